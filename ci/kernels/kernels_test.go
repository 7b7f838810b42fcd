package kernels

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseList(t *testing.T) {
	s, err := ParseList("5.10, 6.1,trixie,sid,linux-image-6.1.0-50-amd64")
	require.NoError(t, err)
	require.Len(t, s, 5)
	assert.Equal(t, Spec{Name: "5.10", Suite: "bullseye"}, s[0])
	assert.Equal(t, Spec{Name: "6.1", Suite: "bookworm"}, s[1])
	assert.Equal(t, Spec{Name: "6.12", Suite: "trixie"}, s[2])
	assert.Equal(t, Spec{Name: "sid", Suite: "sid"}, s[3])
	assert.Equal(t, Spec{Name: "linux-image-6.1.0-50-amd64", Image: "linux-image-6.1.0-50-amd64"}, s[4])
	s, err = ParseList("6.1-cloud,trixie-rt,sid")
	require.NoError(t, err)
	assert.Equal(t, []Spec{{Name: "6.1-cloud", Suite: "bookworm", Flavour: "cloud"}, {Name: "6.12-rt", Suite: "trixie", Flavour: "rt"}, {Name: "sid", Suite: "sid"}}, s)
	_, err = ParseList("6.1-bigmem")
	assert.ErrorContains(t, err, "with -cloud or -rt")
	_, err = ParseList("4.19")
	assert.ErrorContains(t, err, `kernel "4.19"`)
	_, err = ParseList(" , ")
	assert.ErrorContains(t, err, "no kernel")
}

func TestDepends(t *testing.T) {
	assert.Equal(t, []string{"dracut", "linux-base-7.2.13+deb14-amd64", "linux-binary-7.2.13+deb14-amd64"},
		Depends("dracut | initramfs-tools (>= 0.120+deb8u2), linux-base-7.2.13+deb14-amd64 (= 7.2.13-1), linux-binary-7.2.13+deb14-amd64 (= 7.2.13-1)"))
	assert.Empty(t, Depends(""))
}

func TestModName(t *testing.T) {
	assert.Equal(t, "veth", modName("kernel/drivers/net/veth.ko.xz"))
	assert.Equal(t, "nf_conntrack", modName("/x/nf-conntrack.ko.zst"))
	assert.Equal(t, "psample", modName("psample.ko"))
}

func TestAptConfigIsPrivate(t *testing.T) {
	a := &Apt{Suite: "bookworm", Dir: t.TempDir()}
	require.NoError(t, a.Init())
	b, err := os.ReadFile(filepath.Join(a.Dir, "etc", "sources.list"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "http://deb.debian.org/debian bookworm main")
	for _, o := range a.opts() {
		if o == "-o" {
			continue
		}
		assert.NotContains(t, o, "/etc/apt", "never the host's configuration")
		assert.NotContains(t, o, "/var/lib/dpkg", "never the host's dpkg status")
	}
}

// Of the host's apt settings only how to reach the mirror and the date
// checks carry over, never trust.
func TestCarriedAptSettings(t *testing.T) {
	dump := `APT::Architecture "amd64";
Acquire::Check-Valid-Until "false";
Acquire::Check-Date "false";
Acquire::http::Proxy "http://proxy:3128/";
APT::Get::AllowUnauthenticated "true";
Acquire::AllowInsecureRepositories "true";
Acquire::Retries "3";
Acquire::http::Proxy::evil "x";
Acquire::Retries "3"; APT::Get::AllowUnauthenticated "true";
`
	assert.Equal(t, []string{"Acquire::Check-Valid-Until \"false\";\n", "Acquire::Check-Date \"false\";\n",
		"Acquire::http::Proxy \"http://proxy:3128/\";\n", "Acquire::Retries \"3\";\n"}, carriedLines(dump))
	a := &Apt{Suite: "sid", Dir: "/x"}
	c := a.conf(carriedLines(dump))
	assert.Contains(t, c, `APT::Get::AllowUnauthenticated "false";`)
	assert.NotContains(t, c, `AllowUnauthenticated "true"`)
	assert.Contains(t, c, `Dir::Etc::Parts "/x/etc/apt.conf.d";`)
}
