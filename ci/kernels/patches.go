package kernels

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// patchSets are the flavours Debian patches beyond their configuration,
// and where the linux source package keeps each patch set.
var patchSets = map[string]string{"rt": "debian/patches-rt"}

// flavourPatches applies a flavour's own patch set, where Debian ships
// one (debian/patches-rt/ of the linux source package for the rt
// flavour), to netdevsim's sources under srcRoot: each patch of its
// series, in order, cut to the files under drivers/net/netdevsim/. The
// flavour's headers already carry their patches; netdevsim comes from the
// stock source and must follow them (6.1-rt removed
// u64_stats_fetch_begin_irq, which stock netdevsim calls). It returns the
// patches it applied.
func (p *Preparer) flavourPatches(ctx context.Context, a *Apt, k *Kernel, build, srcRoot string) ([]string, error) {
	set, ok := patchSets[k.Flavour]
	if !ok {
		return nil, nil // the stock build, or a flavour of config only (cloud)
	}
	dir := filepath.Join(build, "source")
	files, err := a.Source(ctx, dir, "linux", k.Version)
	if err != nil {
		return nil, fmt.Errorf("the %s flavour's patch set: %w", k.Flavour, err)
	}
	var deb string
	for _, f := range files {
		if strings.HasSuffix(f, ".debian.tar.xz") {
			deb = f
		}
	}
	if deb == "" {
		return nil, fmt.Errorf("the %s flavour's patch set: no debian.tar.xz in source linux %s", k.Flavour, k.Version)
	}
	if err := run(ctx, dir, "tar", "-xJf", deb, "--wildcards", set+"/*"); err != nil {
		// No such directory: this flavour has no patch set of its own.
		p.logf("kernel %s: source linux %s has no %s: no patches to apply", k.Name, k.Version, set)
		return nil, nil
	}
	series, err := os.ReadFile(filepath.Join(dir, set, "series"))
	if err != nil {
		return nil, fmt.Errorf("the %s flavour's patch set: %w", k.Flavour, err)
	}
	var applied []string
	for _, line := range strings.Split(string(series), "\n") {
		name := strings.TrimSpace(strings.SplitN(line, "#", 2)[0])
		if name == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, set, name))
		if err != nil {
			return applied, fmt.Errorf("patch %s: %w", name, err)
		}
		cut := FilterPatch(string(b), "drivers/net/netdevsim/")
		if cut == "" {
			continue
		}
		cmd := exec.CommandContext(ctx, "patch", "-p1", "--forward", "--batch", "--no-backup-if-mismatch")
		cmd.Dir, cmd.Stdin = srcRoot, strings.NewReader(cut)
		if out, err := cmd.CombinedOutput(); err != nil {
			return applied, fmt.Errorf("%s patch %s on netdevsim: %w\n%s", set, name, err, out)
		}
		applied = append(applied, name)
	}
	p.logf("kernel %s: applied %d patch(es) of %s to netdevsim", k.Name, len(applied), set)
	return applied, nil
}

// FilterPatch keeps the parts of a unified diff (git format, or plain
// ---/+++ pairs) whose files lie under prefix; "" when none does.
func FilterPatch(patch, prefix string) string {
	lines := strings.SplitAfter(patch, "\n")
	var out strings.Builder
	keep := false
	for i, l := range lines {
		start, path := false, ""
		switch {
		case strings.HasPrefix(l, "diff --git a/"):
			start = true
			f := strings.Fields(l)
			if len(f) >= 4 {
				path = strings.TrimPrefix(f[3], "b/")
			}
		case strings.HasPrefix(l, "--- ") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "+++ ") && !keepsGitHeader(lines, i):
			start = true
			f := strings.Fields(lines[i+1])
			if len(f) >= 2 {
				path = f[1]
				if j := strings.Index(path, "/"); j >= 0 {
					path = path[j+1:] // b/drivers/... or linux/drivers/...
				}
			}
		case strings.HasPrefix(l, "-- \n") || l == "--\n":
			keep = false // a format-patch signature
			continue
		}
		if start {
			keep = strings.HasPrefix(path, prefix)
		}
		if keep {
			out.WriteString(l)
		}
	}
	return out.String()
}

// keepsGitHeader tells whether the ---/+++ pair at i belongs to a git
// header just before it (diff --git, index ...), which already decided.
func keepsGitHeader(lines []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-6; j-- {
		if strings.HasPrefix(lines[j], "diff --git ") {
			return true
		}
		if strings.HasPrefix(lines[j], "@@") || strings.HasPrefix(lines[j], "+++ ") {
			return false
		}
	}
	return false
}
