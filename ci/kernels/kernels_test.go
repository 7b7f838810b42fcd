package kernels

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
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

// A flavour kernel's netdevsim is built another way: another cache entry;
// the stock kernels' entries stay.
func TestRecipeHash(t *testing.T) {
	// It changed when the NIC drivers joined wanted (a cache entry without
	// their modules is not taken for one with them), when 7.x's
	// linux-base-* (modules.builtin) joined the packages, and when the tc
	// hook's sch_ingress and cls_bpf joined wanted.
	assert.Equal(t, "62ec62e8", recipeHash(""), "the stock recipe of the kernels already cached")
	assert.NotEqual(t, recipeHash(""), recipeHash("rt"))
	assert.Equal(t, recipeHash("cloud"), recipeHash("rt"))
}

func TestFilterPatch(t *testing.T) {
	patch := `From 1 Mon Sep 17 00:00:00 2001
Subject: [PATCH] treewide: Remove u64_stats_fetch_begin_irq()

---
 drivers/net/netdevsim/netdev.c | 4 ++--
 drivers/net/veth.c             | 2 +-
 2 files changed

diff --git a/drivers/net/netdevsim/netdev.c b/drivers/net/netdevsim/netdev.c
index 1..2 100644
--- a/drivers/net/netdevsim/netdev.c
+++ b/drivers/net/netdevsim/netdev.c
@@ -67,3 +67,3 @@
-		start = u64_stats_fetch_begin_irq(&ns->syncp);
+		start = u64_stats_fetch_begin(&ns->syncp);
diff --git a/drivers/net/veth.c b/drivers/net/veth.c
index 3..4 100644
--- a/drivers/net/veth.c
+++ b/drivers/net/veth.c
@@ -1,1 +1,1 @@
-a
+b
-- 
2.40.0
`
	got := FilterPatch(patch, "drivers/net/netdevsim/")
	assert.True(t, strings.HasPrefix(got, "diff --git a/drivers/net/netdevsim/netdev.c"), got)
	assert.Contains(t, got, "+\t\tstart = u64_stats_fetch_begin(&ns->syncp);\n")
	assert.NotContains(t, got, "veth")
	assert.NotContains(t, got, "2.40.0")
	assert.Empty(t, FilterPatch(patch, "drivers/net/netdevsim2/"))

	plain := "Index: linux/drivers/net/netdevsim/dev.c\n--- linux.orig/drivers/net/netdevsim/dev.c\n+++ linux/drivers/net/netdevsim/dev.c\n@@ -1 +1 @@\n-x\n+y\n--- a/kernel/sched.c\n+++ b/kernel/sched.c\n@@ -1 +1 @@\n-p\n+q\n"
	got = FilterPatch(plain, "drivers/net/netdevsim/")
	assert.Equal(t, "--- linux.orig/drivers/net/netdevsim/dev.c\n+++ linux/drivers/net/netdevsim/dev.c\n@@ -1 +1 @@\n-x\n+y\n", got)
}

// A kernel's wanted modules: each with what it needs, dependencies first
// and itself last, a built-in one marked, a missing one absent; modules
// shared by two wants load once.
func TestModulesWants(t *testing.T) {
	gcc := testenv.RequireTool(t, "gcc")
	mods := t.TempDir()
	ko := func(path, depends string) {
		src := filepath.Join(t.TempDir(), "m.c")
		require.NoError(t, os.WriteFile(src, []byte(`__attribute__((section(".modinfo"), used)) static const char d[] = "depends=`+depends+`";`), 0o644))
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(mods, path)), 0o755))
		out, err := exec.Command(gcc, "-c", "-o", filepath.Join(mods, path), src).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	ko("kernel/drivers/net/veth.ko", "")
	ko("kernel/drivers/net/ethernet/intel/igb/igb.ko", "dca,ptp,i2c-algo-bit")
	ko("kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko", "ptp")
	ko("kernel/drivers/ptp/ptp.ko", "pps_core")
	ko("kernel/drivers/pps/pps_core.ko", "")
	ko("kernel/drivers/dca/dca.ko", "")
	ko("kernel/drivers/i2c/algos/i2c-algo-bit.ko", "")
	ko("kernel/drivers/net/virtio_net.ko", "net_failover")
	ko("kernel/drivers/net/net_failover.ko", "failover")
	ko("kernel/net/core/failover.ko", "")
	require.NoError(t, os.WriteFile(filepath.Join(mods, "modules.builtin"), []byte("kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/virtio/virtio.ko\n"), 0o644))

	k := &Kernel{Dir: t.TempDir()}
	require.NoError(t, (&Preparer{}).modules(k, mods, ""))
	base := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, strings.TrimSuffix(filepath.Base(p), ".ko"))
		}
		return out
	}
	assert.Equal(t, []string{"veth", "dca", "pps_core", "ptp", "i2c_algo_bit", "igb", "e1000e", "failover", "net_failover", "virtio_net"}, base(k.Modules),
		"load order: dependencies first, each module once")
	assert.Equal(t, []string{"veth"}, base(k.Wants["veth"].Modules))
	assert.Equal(t, []string{"dca", "pps_core", "ptp", "i2c_algo_bit", "igb"}, base(k.Wants["igb"].Modules))
	assert.Equal(t, []string{"pps_core", "ptp", "e1000e"}, base(k.Wants["e1000e"].Modules))
	assert.Equal(t, []string{"failover", "net_failover", "virtio_net"}, base(k.Wants["virtio_net"].Modules))
	assert.Equal(t, Want{Builtin: true}, k.Wants["virtio_pci"])
	assert.NotContains(t, k.Wants, "vmxnet3", "neither a module nor built in")
	assert.NotContains(t, k.Wants, "netdevsim", "did not build")
}
