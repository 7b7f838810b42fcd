package kernels

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Apt is a private apt configuration for one Debian suite: its own sources,
// lists, cache and apt.conf under Dir. It never reads or changes the host's
// apt state or configuration (no dpkg status, no sources.list, no
// apt.conf.d), so any suite can be used from any Debian or Ubuntu host.
type Apt struct {
	Suite  string
	Dir    string
	Mirror string // default http://deb.debian.org/debian
}

func (a *Apt) opts() []string {
	d := a.Dir
	return []string{
		"-o", "Dir::Etc=" + filepath.Join(d, "etc"),
		"-o", "Dir::Etc::sourcelist=" + filepath.Join(d, "etc", "sources.list"),
		"-o", "Dir::Etc::sourceparts=" + filepath.Join(d, "etc", "sources.list.d"),
		"-o", "Dir::Etc::preferencesparts=" + filepath.Join(d, "etc", "preferences.d"),
		"-o", "Dir::State=" + filepath.Join(d, "state"),
		"-o", "Dir::State::status=" + filepath.Join(d, "state", "status"),
		"-o", "Dir::Cache=" + filepath.Join(d, "cache"),
	}
}

// conf is the private apt.conf: with APT_CONFIG naming it, apt reads it
// instead of the host's /etc/apt/apt.conf, and its Parts directory
// instead of the host's apt.conf.d (where an AllowUnauthenticated would
// otherwise carry over). Signatures are required; downloads run in apt's
// _apt sandbox. Of the host's settings only those in carried are kept.
func (a *Apt) conf(host []string) string {
	d := a.Dir
	return fmt.Sprintf(`Dir::Etc::Main "%s";
Dir::Etc::Parts "%s";
APT::Get::AllowUnauthenticated "false";
Acquire::AllowInsecureRepositories "false";
Acquire::AllowDowngradeToInsecureRepositories "false";
Acquire::AllowWeakRepositories "false";
`, filepath.Join(d, "etc", "apt.conf"), filepath.Join(d, "etc", "apt.conf.d")) + strings.Join(host, "")
}

// carried are the host's apt settings the private configuration keeps:
// how to reach the mirror (proxies, retries) and whether to check a
// Release file's dates (a host whose mirror is a frozen snapshot turns
// that off). Nothing that concerns trust (signatures, insecure or
// unauthenticated repositories) is carried.
var carried = []string{"Acquire::Check-Valid-Until", "Acquire::Check-Date", "Acquire::http::Proxy", "Acquire::https::Proxy",
	"Acquire::ftp::Proxy", "Acquire::Retries"}

// hostSettings reads the carried settings from the host's apt
// configuration (apt-config dump), as lines of apt.conf.
func hostSettings() []string {
	out, err := exec.Command("apt-config", "dump").Output()
	if err != nil {
		return nil
	}
	return carriedLines(string(out))
}

// carriedLines picks the carried settings out of `apt-config dump`.
func carriedLines(dump string) []string {
	var lines []string
	for _, l := range strings.Split(dump, "\n") {
		key, val, ok := strings.Cut(l, " ")
		if !ok || !slices.Contains(carried, key) || !strings.HasPrefix(val, "\"") || !strings.HasSuffix(val, "\";") ||
			strings.ContainsAny(strings.Trim(val, "\";"), "\"{};\n") {
			continue
		}
		lines = append(lines, key+" "+val+"\n")
	}
	return lines
}

// Init writes the configuration for the suite.
func (a *Apt) Init() error {
	if a.Mirror == "" {
		a.Mirror = "http://deb.debian.org/debian"
	}
	for _, d := range []string{"etc/sources.list.d", "etc/preferences.d", "etc/apt.conf.d", "state/lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a.Dir, d), 0o755); err != nil {
			return fmt.Errorf("apt %s: %w", a.Suite, err)
		}
	}
	src := fmt.Sprintf("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", a.Mirror, a.Suite)
	if err := os.WriteFile(filepath.Join(a.Dir, "etc", "sources.list"), []byte(src), 0o644); err != nil {
		return fmt.Errorf("apt %s: %w", a.Suite, err)
	}
	if err := os.WriteFile(filepath.Join(a.Dir, "etc", "apt.conf"), []byte(a.conf(hostSettings())), 0o644); err != nil {
		return fmt.Errorf("apt %s: %w", a.Suite, err)
	}
	status := filepath.Join(a.Dir, "state", "status")
	if _, err := os.Stat(status); err != nil {
		if err := os.WriteFile(status, nil, 0o644); err != nil {
			return fmt.Errorf("apt %s: %w", a.Suite, err)
		}
	}
	return nil
}

func (a *Apt) run(ctx context.Context, dir, tool string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, tool, append(a.opts(), args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "APT_CONFIG="+filepath.Join(a.Dir, "etc", "apt.conf"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s (suite %s): %w: %s", tool, strings.Join(args, " "), a.Suite, err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Update fetches the suite's package lists.
func (a *Apt) Update(ctx context.Context) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("the kernel matrix fetches Debian packages with apt-get: run it on Debian or Ubuntu (%w)", err)
	}
	if _, err := os.Stat("/usr/share/keyrings/debian-archive-keyring.gpg"); err != nil {
		return fmt.Errorf("no Debian archive keyring: apt-get install debian-archive-keyring (%w)", err)
	}
	_, err := a.run(ctx, a.Dir, "apt-get", "update", "-q")
	return err
}

// Field returns a control field of a package (Version, Depends, ...), of
// its newest version in the suite.
func (a *Apt) Field(ctx context.Context, pkg, field string) (string, error) {
	out, err := a.run(ctx, a.Dir, "apt-cache", "show", "--no-all-versions", pkg)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, field+": "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}

// Download fetches packages into dir and returns the .deb paths.
func (a *Apt) Download(ctx context.Context, dir string, pkgs ...string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := a.run(ctx, dir, "apt-get", append([]string{"download", "-q"}, pkgs...)...); err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pkgs {
		m, _ := filepath.Glob(filepath.Join(dir, strings.SplitN(p, "=", 2)[0]+"_*.deb"))
		if len(m) == 0 {
			return nil, fmt.Errorf("apt-get download %s (suite %s): no .deb", p, a.Suite)
		}
		out = append(out, m[len(m)-1])
	}
	return out, nil
}

// Depends lists the package names a Depends field names (first
// alternative of each, versions dropped).
func Depends(field string) []string {
	var out []string
	for _, d := range strings.Split(field, ",") {
		alt := strings.TrimSpace(strings.Split(d, "|")[0])
		if name := strings.Fields(alt); len(name) > 0 {
			out = append(out, name[0])
		}
	}
	return out
}

// Source fetches the files of source package name at version into dir
// (apt-get source --download-only, checked against the suite's signed
// Sources index) and returns their paths. The suite's deb-src lists live
// in a configuration of their own beside the binary one (dir Dir+"-src"),
// updated only when a source is asked for.
func (a *Apt) Source(ctx context.Context, dir, name, version string) ([]string, error) {
	s := &Apt{Suite: a.Suite, Mirror: a.Mirror, Dir: a.Dir + "-src"}
	if err := s.Init(); err != nil {
		return nil, err
	}
	src := fmt.Sprintf("deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", s.Mirror, s.Suite)
	if err := os.WriteFile(filepath.Join(s.Dir, "etc", "sources.list"), []byte(src), 0o644); err != nil {
		return nil, fmt.Errorf("apt %s sources: %w", a.Suite, err)
	}
	lists, _ := filepath.Glob(filepath.Join(s.Dir, "state", "lists", "*Sources*"))
	fresh := false
	for _, l := range lists {
		if st, err := os.Stat(l); err == nil && time.Since(st.ModTime()) < 6*time.Hour {
			fresh = true
		}
	}
	if !fresh {
		if err := s.Update(ctx); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := s.run(ctx, dir, "apt-get", "source", "--download-only", "-q", name+"="+version); err != nil {
		return nil, err
	}
	m, _ := filepath.Glob(filepath.Join(dir, name+"_*"))
	if len(m) == 0 {
		return nil, fmt.Errorf("apt-get source %s=%s (suite %s): no files", name, version, a.Suite)
	}
	return m, nil
}
