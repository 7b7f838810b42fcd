// Package kernels prepares Debian kernels for the kernel matrix: it fetches
// a kernel's packages through a private apt configuration, extracts vmlinuz
// and the modules xdplab needs (veth, netdevsim and what they depend on),
// and builds netdevsim out of tree (Debian builds none of its kernels with
// it) from the matching linux-source package against linux-headers. Each
// kernel is cached under a directory keyed by its package version and the
// build recipe.
package kernels

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/xdplab/xdplab/internal/atomicfile"
)

// debianSuites maps the matrix's kernel names to Debian suites.
var debianSuites = []struct{ Name, Suite string }{
	{"5.10", "bullseye"}, {"6.1", "bookworm"}, {"6.12", "trixie"}, {"sid", "sid"},
}

// Suites returns a copy of debianSuites, which no importer can change.
func Suites() []struct{ Name, Suite string } { return slices.Clone(debianSuites) }

// flavours are Debian's kernel builds beside the stock one: the cloud
// build (fewer drivers) and the PREEMPT_RT build.
var flavours = []string{"cloud", "rt"}

// Spec names one kernel of the matrix.
type Spec struct {
	Name  string // as the user wrote it: 5.10, 6.1, 6.12, sid, 6.1-cloud, or a package
	Suite string
	// Image is a linux-image-* package; empty takes the suite's current
	// kernel (the one linux-image-amd64, or linux-image-<flavour>-amd64,
	// depends on).
	Image string
	// Flavour is a Debian kernel flavour (cloud, rt); empty is the stock
	// build.
	Flavour string
}

// Flavours returns a copy of flavours, which no importer can change.
func Flavours() []string { return slices.Clone(flavours) }

// ParseList reads "5.10,6.1,6.12,sid" or package names
// (linux-image-6.1.0-50-amd64; its suite is found by searching).
func ParseList(s string) ([]Spec, error) {
	var out []Spec
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		found := false
		base, flavour := f, ""
		for _, fl := range flavours {
			if b, ok := strings.CutSuffix(f, "-"+fl); ok {
				base, flavour = b, fl
			}
		}
		for _, su := range debianSuites {
			if base == su.Name || base == su.Suite {
				name := su.Name
				if flavour != "" {
					name += "-" + flavour
				}
				out = append(out, Spec{Name: name, Suite: su.Suite, Flavour: flavour})
				found = true
			}
		}
		if found {
			continue
		}
		if strings.HasPrefix(f, "linux-image-") {
			out = append(out, Spec{Name: f, Image: f})
			continue
		}
		return nil, fmt.Errorf("kernel %q: use 5.10, 6.1, 6.12, sid (or bullseye, bookworm, trixie), each with -cloud or -rt for a flavour, or a linux-image-* package name", f)
	}
	if len(out) == 0 {
		return nil, errors.New("no kernel named")
	}
	return out, nil
}

// Kernel is a prepared kernel.
type Kernel struct {
	Name    string `json:"name"`
	Suite   string `json:"suite"`
	Package string `json:"package"`
	Version string `json:"version"` // the package version
	Release string `json:"release"` // uname -r
	Recipe  string `json:"recipe"`
	Vmlinuz string `json:"vmlinuz"`
	// Modules are the .ko files to load, in order (dependencies first),
	// uncompressed.
	Modules []string `json:"modules"`
	// Wants are the wanted modules this kernel has, by name; one it has
	// neither as a module nor built in is absent.
	Wants map[string]Want `json:"wants"`
	Dir   string          `json:"dir"`
	// Flavour is the Debian flavour (cloud, rt); empty for the stock
	// build. FlavourPatches are the patches of its own set applied to
	// netdevsim.
	Flavour        string   `json:"flavour,omitempty"`
	FlavourPatches []string `json:"flavour_patches,omitempty"`
	// NetdevsimError says why netdevsim did not build for this kernel
	// (its log is NetdevsimLog): the kernel runs all but offload.
	NetdevsimError string `json:"netdevsim_error,omitempty"`
	NetdevsimLog   string `json:"netdevsim_log,omitempty"`
}

// HasNetdevsim tells whether netdevsim built for the kernel.
func (k *Kernel) HasNetdevsim() bool { return k.NetdevsimError == "" }

// RecipeVersion changes whenever the way a kernel is prepared changes, so
// that cached kernels built the old way are rebuilt.
const RecipeVersion = "2"

// FlavourRecipe is added to a flavour kernel's recipe: its netdevsim is
// built with the flavour's own patch set.
const FlavourRecipe = "flavour-patches-2"

// wanted are the modules the matrix loads, in order, before their
// dependencies are added: veth; sch_ingress and cls_bpf, which the tc hook
// needs on kernels before tcx (clsact and a direct-action filter);
// netdevsim; and the drivers of the NICs QEMU emulates (virtio_pci is
// virtio-net's PCI transport, which virtio_net does not name as a
// dependency).
var wanted = []string{"veth", "sch_ingress", "cls_bpf", "netdevsim", "igb", "e1000e", "virtio_pci", "virtio_net", "vmxnet3"}

// Want is how a kernel has one wanted module.
type Want struct {
	// Modules are the .ko files it needs, dependencies first and itself
	// last; those built into the kernel are left out.
	Modules []string `json:"modules,omitempty"`
	// Builtin: the module itself is built into the kernel.
	Builtin bool `json:"builtin,omitempty"`
}

// Wanted returns a copy of wanted, which no importer can change.
func Wanted() []string { return slices.Clone(wanted) }

// Preparer prepares kernels into a cache directory.
type Preparer struct {
	Cache string
	Log   io.Writer // progress lines; nil for none
	apts  map[string]*Apt
}

func (p *Preparer) logf(format string, args ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, format+"\n", args...)
	}
}

func (p *Preparer) apt(ctx context.Context, suite string) (*Apt, error) {
	if a := p.apts[suite]; a != nil {
		return a, nil
	}
	a := &Apt{Suite: suite, Dir: filepath.Join(p.Cache, "apt", suite)}
	if err := a.Init(); err != nil {
		return nil, err
	}
	// Lists younger than six hours are fresh enough to resolve versions.
	lists, _ := filepath.Glob(filepath.Join(a.Dir, "state", "lists", "*Packages*"))
	fresh := false
	for _, l := range lists {
		if st, err := os.Stat(l); err == nil && time.Since(st.ModTime()) < 6*time.Hour {
			fresh = true
		}
	}
	if !fresh {
		p.logf("apt: updating %s lists", suite)
		if err := a.Update(ctx); err != nil {
			return nil, err
		}
	}
	if p.apts == nil {
		p.apts = map[string]*Apt{}
	}
	p.apts[suite] = a
	return a, nil
}

// resolve finds the image package and its version.
func (p *Preparer) resolve(ctx context.Context, s *Spec) (*Apt, string, string, error) {
	suites := []string{s.Suite}
	if s.Suite == "" { // a package name: newest suite first
		suites = nil
		for i := len(debianSuites) - 1; i >= 0; i-- {
			suites = append(suites, debianSuites[i].Suite)
		}
	}
	for _, suite := range suites {
		a, err := p.apt(ctx, suite)
		if err != nil {
			return nil, "", "", err
		}
		img := s.Image
		if img == "" {
			meta := "linux-image-amd64"
			if s.Flavour != "" {
				meta = "linux-image-" + s.Flavour + "-amd64"
			}
			deps, err := a.Field(ctx, meta, "Depends")
			if err != nil {
				return nil, "", "", err
			}
			for _, d := range Depends(deps) {
				if strings.HasPrefix(d, "linux-image-") {
					img = d
				}
			}
			if img == "" {
				return nil, "", "", fmt.Errorf("kernel %s: %s in %s names no linux-image package (%s)", s.Name, meta, suite, deps)
			}
		}
		v, err := a.Field(ctx, img, "Version")
		if err != nil || v == "" {
			continue
		}
		s.Suite = suite
		return a, img, v, nil
	}
	return nil, "", "", fmt.Errorf("kernel %s: package %s is in none of bullseye, bookworm, trixie, sid (old versions leave the mirror: name a current one)", s.Name, s.Image)
}

// Prepare returns the kernel, from the cache when it is there.
//
// The cache is shared by matrices that may run at once: the suites' apt
// state is used under one lock (cache/apt.lock), and each kernel entry is
// checked, built and written under its own (entry.lock), its manifest
// written last and atomically, so that no matrix reads or removes an
// entry another is building.
func (p *Preparer) Prepare(ctx context.Context, s Spec) (*Kernel, error) {
	if err := os.MkdirAll(p.Cache, 0o755); err != nil {
		return nil, fmt.Errorf("kernel cache %s: %w", p.Cache, err)
	}
	unlockApt, err := lock(ctx, filepath.Join(p.Cache, "apt.lock"), p.Log)
	if err != nil {
		return nil, err
	}
	defer unlockApt()
	a, img, version, err := p.resolve(ctx, &s)
	if err != nil {
		return nil, err
	}
	release := strings.TrimPrefix(img, "linux-image-")
	recipe := recipeHash(s.Flavour)
	dir := filepath.Join(p.Cache, "kernels", fmt.Sprintf("%s_%s_%s", release, version, recipe))
	manifest := filepath.Join(dir, "kernel.json")
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	unlock, err := lock(ctx, dir+".lock", p.Log)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if b, err := os.ReadFile(manifest); err == nil {
		var k Kernel
		if err := json.Unmarshal(b, &k); err == nil {
			p.logf("kernel %s: %s %s from the cache", s.Name, img, version)
			return &k, nil
		}
	}
	p.logf("kernel %s: preparing %s %s (suite %s)", s.Name, img, version, s.Suite)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	k := &Kernel{Name: s.Name, Suite: s.Suite, Package: img, Version: version, Release: release, Recipe: recipe, Dir: dir, Flavour: s.Flavour}
	if err := p.build(ctx, a, k); err != nil {
		return nil, fmt.Errorf("kernel %s (%s %s): %w", s.Name, img, version, err)
	}
	b, _ := json.MarshalIndent(k, "", "  ")
	if err := atomicfile.Write(manifest, b, 0o644); err != nil {
		return nil, err
	}
	// Only the manifest, vmlinuz and the modules are kept.
	for _, d := range []string{"debs", "root", "build"} {
		_ = os.RemoveAll(filepath.Join(dir, d))
	}
	return k, nil
}

func recipeHash(flavour string) string {
	r := RecipeVersion + strings.Join(wanted, ",")
	if flavour != "" {
		r += FlavourRecipe
	}
	h := sha256.Sum256([]byte(r))
	return hex.EncodeToString(h[:4])
}

func run(ctx context.Context, dir string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := string(out)
		if len(tail) > 3000 {
			tail = "..." + tail[len(tail)-3000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail)
	}
	return nil
}

func (p *Preparer) build(ctx context.Context, a *Apt, k *Kernel) error {
	debs := filepath.Join(k.Dir, "debs")
	root := filepath.Join(k.Dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	// The image; from 7.x on it is split into linux-binary-*,
	// linux-modules-* and linux-base-* (which holds modules.builtin: without
	// it a built-in virtio_pci looks missing).
	pkgs := []string{k.Package + "=" + k.Version}
	deps, err := a.Field(ctx, k.Package, "Depends")
	if err != nil {
		return err
	}
	for _, d := range Depends(deps) {
		if strings.HasPrefix(d, "linux-binary-") || strings.HasPrefix(d, "linux-modules-") || strings.HasPrefix(d, "linux-base-") {
			pkgs = append(pkgs, d+"="+k.Version)
		}
	}
	// netdevsim's build: headers (and what they pull in) and the source.
	hdr := "linux-headers-" + k.Release
	pkgs = append(pkgs, hdr+"="+k.Version)
	hdeps, err := a.Field(ctx, hdr, "Depends")
	if err != nil {
		return err
	}
	for _, d := range Depends(hdeps) {
		if strings.HasPrefix(d, "linux-headers-") || strings.HasPrefix(d, "linux-kbuild-") {
			pkgs = append(pkgs, d)
		}
	}
	series := regexp.MustCompile(`^\d+\.\d+`).FindString(k.Release)
	src := "linux-source-" + series
	pkgs = append(pkgs, src)
	p.logf("kernel %s: downloading %s", k.Name, strings.Join(pkgs, " "))
	files, err := a.Download(ctx, debs, pkgs...)
	if err != nil {
		return err
	}
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "linux-source-") {
			continue
		}
		if err := run(ctx, root, "dpkg-deb", "-x", f, root); err != nil {
			return err
		}
	}
	if k.Vmlinuz, err = p.vmlinuz(root, k); err != nil {
		return err
	}
	modDir, err := firstDir(filepath.Join(root, "lib", "modules", k.Release), filepath.Join(root, "usr", "lib", "modules", k.Release))
	if err != nil {
		return fmt.Errorf("no modules directory for %s in the image", k.Release)
	}
	nsim, err := p.netdevsim(ctx, a, k, root, files, series)
	if err != nil {
		// One module that does not build (a flavour's patched sources, a
		// compiler the headers do not expect) costs offload only: the
		// kernel still runs everything else.
		k.NetdevsimError = firstLine(err.Error())
		k.NetdevsimLog = filepath.Join(k.Dir, "netdevsim-build.log")
		if werr := os.WriteFile(k.NetdevsimLog, []byte(err.Error()+"\n"), 0o644); werr != nil {
			return werr
		}
		p.logf("kernel %s: netdevsim did not build: %s (log %s); offload will not run", k.Name, k.NetdevsimError, k.NetdevsimLog)
		nsim = ""
	}
	return p.modules(k, modDir, nsim)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func firstDir(paths ...string) (string, error) {
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func (p *Preparer) vmlinuz(root string, k *Kernel) (string, error) {
	for _, c := range []string{
		filepath.Join(root, "boot", "vmlinuz-"+k.Release),
		filepath.Join(root, "usr", "lib", "modules", k.Release, "vmlinuz"),
		filepath.Join(root, "lib", "modules", k.Release, "vmlinuz"),
	} {
		if _, err := os.Stat(c); err == nil {
			dst := filepath.Join(k.Dir, "vmlinuz")
			if err := os.Rename(c, dst); err != nil {
				return "", err
			}
			return dst, nil
		}
	}
	return "", fmt.Errorf("no vmlinuz for %s in the image packages", k.Release)
}

// netdevsim builds netdevsim.ko against the kernel's headers.
func (p *Preparer) netdevsim(ctx context.Context, a *Apt, k *Kernel, root string, files []string, series string) (string, error) {
	build := filepath.Join(k.Dir, "build")
	var srcDeb string
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "linux-source-") {
			srcDeb = f
		}
	}
	if srcDeb == "" {
		return "", errors.New("no linux-source package")
	}
	if err := os.MkdirAll(build, 0o755); err != nil {
		return "", err
	}
	tarball := "linux-source-" + series + ".tar.xz"
	// The source package holds one tarball: take netdevsim's directory.
	err := run(ctx, build, "sh", "-c", fmt.Sprintf(
		"dpkg-deb --fsys-tarfile %q | tar -xO ./usr/src/%s | tar -xJ --wildcards 'linux-source-%s/drivers/net/netdevsim/*'",
		srcDeb, tarball, series))
	if err != nil {
		return "", err
	}
	nsimDir := filepath.Join(build, "linux-source-"+series, "drivers", "net", "netdevsim")
	// A patch set that cannot be had is no reason not to try: many
	// flavours' netdevsim builds from the stock source.
	var patchErr error
	if k.FlavourPatches, patchErr = p.flavourPatches(ctx, a, k, build, filepath.Join(build, "linux-source-"+series)); patchErr != nil {
		p.logf("kernel %s: %v; building netdevsim without it", k.Name, firstLine(patchErr.Error()))
	}
	hdrDir := filepath.Join(root, "usr", "src", "linux-headers-"+k.Release)
	if err := p.hostObjtool(ctx, k, root, build, srcDeb, tarball, series); err != nil {
		return "", err
	}
	if err := p.suiteGlibc(ctx, k, root, build); err != nil {
		return "", err
	}
	// The headers' Makefile names the common headers (and, from 7.x, its
	// own directory) by absolute path.
	mk := filepath.Join(hdrDir, "Makefile")
	b, err := os.ReadFile(mk)
	if err != nil {
		return "", err
	}
	b = []byte(strings.ReplaceAll(string(b), "/usr/src/", filepath.Join(root, "usr", "src")+"/"))
	if err := os.WriteFile(mk, b, 0o644); err != nil {
		return "", err
	}
	args := []string{"-C", hdrDir, "M=" + nsimDir, "CONFIG_NETDEVSIM=m",
		// No pahole here: no BTF for the module.
		"CONFIG_DEBUG_INFO_BTF_MODULES=",
		// 6.12+ kernels are built with a newer gcc than Debian 12's.
		"CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=",
		"CC=" + hostGCC(), "HOSTCC=" + hostGCC(), "-j" + fmt.Sprint(runtime.NumCPU()), "modules"}
	p.logf("kernel %s: building netdevsim against %s", k.Name, filepath.Base(hdrDir))
	if err := run(ctx, build, "make", args...); err != nil {
		if patchErr != nil {
			return "", fmt.Errorf("%w\n(and before: %v)", err, patchErr)
		}
		return "", err
	}
	ko := filepath.Join(nsimDir, "netdevsim.ko")
	if _, err := os.Stat(ko); err != nil {
		return "", fmt.Errorf("make built no netdevsim.ko: %w", err)
	}
	return ko, nil
}

// hostObjtool makes sure the kbuild package's objtool runs here: Debian
// builds it against its suite's glibc, and trixie's and sid's need a newer
// one than bookworm has. Where it does not run, objtool is built from the
// kernel's own source with the host's compiler and put in its place.
func (p *Preparer) hostObjtool(ctx context.Context, k *Kernel, root, build, srcDeb, tarball, series string) error {
	// From 6.12 on, objtool is a wrapper that runs objtool.real-$SRCARCH.
	tools, _ := filepath.Glob(filepath.Join(root, "usr", "lib", "linux-kbuild-*", "tools", "objtool", "objtool.real-x86"))
	if len(tools) == 0 {
		tools, _ = filepath.Glob(filepath.Join(root, "usr", "lib", "linux-kbuild-*", "tools", "objtool", "objtool"))
	}
	if len(tools) == 0 {
		return nil // this kernel's kbuild has no objtool
	}
	if out, err := exec.CommandContext(ctx, tools[0], "--help").CombinedOutput(); err == nil || !strings.Contains(string(out), "GLIBC") {
		return nil
	}
	p.logf("kernel %s: the packaged objtool needs a newer glibc: building it from linux-source-%s", k.Name, series)
	err := run(ctx, build, "sh", "-c", fmt.Sprintf(
		"dpkg-deb --fsys-tarfile %q | tar -xO ./usr/src/%s | tar -xJ --wildcards 'linux-source-%[3]s/tools/*' 'linux-source-%[3]s/include/*' 'linux-source-%[3]s/arch/x86/*' 'linux-source-%[3]s/scripts/*'",
		srcDeb, tarball, series))
	if err != nil {
		return err
	}
	src := filepath.Join(build, "linux-source-"+series, "tools", "objtool")
	if err := run(ctx, src, "make", "-j"+fmt.Sprint(runtime.NumCPU()), "CC="+hostGCC(), "HOSTCC="+hostGCC()); err != nil {
		return fmt.Errorf("build objtool (apt-get install libelf-dev): %w", err)
	}
	b, err := os.ReadFile(filepath.Join(src, "objtool"))
	if err != nil {
		return err
	}
	return os.WriteFile(tools[0], b, 0o755)
}

// suiteGlibc makes the kbuild package's other host programs (modpost,
// fixdep, ...) run where they need a newer glibc than the host's: each such
// program is wrapped to start through the dynamic loader of its own suite's
// libc6, fetched with the same private apt configuration.
func (p *Preparer) suiteGlibc(ctx context.Context, k *Kernel, root, build string) error {
	var broken []string
	kbuild, _ := filepath.Glob(filepath.Join(root, "usr", "lib", "linux-kbuild-*"))
	for _, dir := range kbuild {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Type()&os.ModeSymlink != 0 {
				return nil
			}
			if info, err := d.Info(); err != nil || info.Mode()&0o111 == 0 {
				return nil
			}
			f, err := elf.Open(path)
			if err != nil {
				return nil // a script
			}
			f.Close()
			cmd := exec.CommandContext(ctx, path)
			cmd.Env = append(os.Environ(), "LD_TRACE_LOADED_OBJECTS=1")
			out, _ := cmd.CombinedOutput()
			if strings.Contains(string(out), "GLIBC_") && strings.Contains(string(out), "not found") {
				broken = append(broken, path)
			}
			return nil
		})
	}
	if len(broken) == 0 {
		return nil
	}
	a, err := p.apt(ctx, k.Suite)
	if err != nil {
		return err
	}
	debs, err := a.Download(ctx, filepath.Join(build, "glibc-debs"), "libc6")
	if err != nil {
		return err
	}
	glibc := filepath.Join(build, "glibc")
	if err := run(ctx, build, "dpkg-deb", "-x", debs[0], glibc); err != nil {
		return err
	}
	loader, err := firstFile(filepath.Join(glibc, "usr", "lib64", "ld-linux-x86-64.so.2"), filepath.Join(glibc, "lib64", "ld-linux-x86-64.so.2"),
		filepath.Join(glibc, "usr", "lib", "x86_64-linux-gnu", "ld-linux-x86-64.so.2"), filepath.Join(glibc, "lib", "x86_64-linux-gnu", "ld-linux-x86-64.so.2"))
	if err != nil {
		return fmt.Errorf("libc6 of %s has no dynamic loader", k.Suite)
	}
	libs := filepath.Join(glibc, "usr", "lib", "x86_64-linux-gnu") + ":" + filepath.Join(glibc, "lib", "x86_64-linux-gnu")
	for _, b := range broken {
		p.logf("kernel %s: %s needs %s's glibc: wrapping it", k.Name, filepath.Base(b), k.Suite)
		if err := os.Rename(b, b+".suite"); err != nil {
			return err
		}
		wrapper := fmt.Sprintf("#!/bin/sh\nexec %q --library-path %q %q \"$@\"\n", loader, libs, b+".suite")
		if err := os.WriteFile(b, []byte(wrapper), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func firstFile(paths ...string) (string, error) {
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func hostGCC() string {
	if p, err := exec.LookPath("gcc"); err == nil {
		return p
	}
	return "gcc"
}

// modules collects veth, netdevsim and their dependencies in load order,
// uncompressed, into k.Dir/modules. The dependencies come from each
// module's own .modinfo (depends=): the packages ship no modules.dep, which
// depmod writes at install time.
func (p *Preparer) modules(k *Kernel, modDir, nsim string) error {
	index, err := moduleIndex(modDir, nsim)
	if err != nil {
		return err
	}
	out := filepath.Join(k.Dir, "modules")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	builtin := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(modDir, "modules.builtin")); err == nil {
		for _, l := range strings.Fields(string(b)) {
			builtin[modName(l)] = true
		}
	}
	var order []string
	depsOf := map[string][]string{}
	var add func(name string) error
	add = func(name string) error {
		if slices.Contains(order, name) {
			return nil
		}
		src, ok := index[name]
		if !ok {
			return nil // built into the kernel
		}
		dst := filepath.Join(out, name+".ko")
		if err := uncompressTo(src, dst); err != nil {
			return fmt.Errorf("module %s: %w", name, err)
		}
		deps, err := modinfoDepends(dst)
		if err != nil {
			return err
		}
		depsOf[name] = deps
		for _, d := range deps {
			if err := add(d); err != nil {
				return err
			}
		}
		order = append(order, name)
		k.Modules = append(k.Modules, dst)
		return nil
	}
	k.Wants = map[string]Want{}
	for _, w := range wanted {
		if err := add(w); err != nil {
			return err
		}
		if _, ok := index[w]; !ok {
			if builtin[w] {
				k.Wants[w] = Want{Builtin: true}
			}
			continue
		}
		k.Wants[w] = Want{Modules: needed(w, depsOf, order, k.Modules)}
	}
	return nil
}

// moduleIndex is every module under modDir by name (netdevsim's built
// one first, where there is one).
func moduleIndex(modDir, nsim string) (map[string]string, error) {
	index := map[string]string{}
	if nsim != "" {
		index["netdevsim"] = nsim
	}
	err := filepath.WalkDir(modDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(d.Name(), ".ko") {
			if _, ok := index[modName(path)]; !ok {
				index[modName(path)] = path
			}
		}
		return nil
	})
	return index, err
}

// needed is what module w needs (itself and its dependencies, from
// depsOf), as the files of mods in their load order (order names them).
func needed(w string, depsOf map[string][]string, order, mods []string) []string {
	need := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		if need[n] {
			return
		}
		need[n] = true
		for _, d := range depsOf[n] {
			walk(d)
		}
	}
	walk(w)
	var out []string
	for i, n := range order {
		if need[n] {
			out = append(out, mods[i])
		}
	}
	return out
}

func modName(path string) string {
	b := filepath.Base(path)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		b = strings.TrimSuffix(b, ext)
	}
	return strings.ReplaceAll(strings.TrimSuffix(b, ".ko"), "-", "_")
}

// modinfoDepends reads the depends= line of a module's .modinfo section.
func modinfoDepends(ko string) ([]string, error) {
	f, err := elf.Open(ko)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("%s: no .modinfo", ko)
	}
	b, err := sec.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range strings.Split(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, "depends="); ok {
			var out []string
			for _, d := range strings.Split(v, ",") {
				if d != "" {
					out = append(out, strings.ReplaceAll(d, "-", "_"))
				}
			}
			return out, nil
		}
	}
	return nil, nil
}

// uncompressTo copies a module, uncompressing .xz and .zst (busybox's
// insmod reads plain .ko).
func uncompressTo(src, dst string) error {
	var cmd *exec.Cmd
	switch {
	case strings.HasSuffix(src, ".xz"):
		cmd = exec.Command("xz", "-dc", src)
	case strings.HasSuffix(src, ".zst"):
		cmd = exec.Command("zstd", "-dc", src)
	case strings.HasSuffix(src, ".gz"):
		cmd = exec.Command("gzip", "-dc", src)
	default:
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout = out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("uncompress %s: %w", src, err)
	}
	return nil
}

// DefaultCache is $XDPLAB_CACHE, or /var/cache/xdplab.
func DefaultCache() string {
	if d := os.Getenv("XDPLAB_CACHE"); d != "" {
		return d
	}
	return "/var/cache/xdplab"
}
