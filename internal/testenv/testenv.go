// Package testenv holds what xdplab's tests share: skipping tests that need
// root, and a TestMain check that fails a package whose tests left behind a
// namespace, a host link, a journal, or an xdplab program, map or bpf link
// that was not there before them.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/topology"
)

// RequireRoot skips a test unless it runs as root. In CI (CI=true) it fails
// instead, so that integration tests never pass by being skipped. A test
// that needs root must be named TestIntegration* (and live in an
// *_integration_test.go file, built with the integration tag that
// `make test` gives and `make test-unit` does not): any other fails here.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if !strings.HasPrefix(tb.Name(), "TestIntegration") {
		tb.Fatalf("%s needs root: name it TestIntegration* in an *_integration_test.go file (//go:build integration)", tb.Name())
	}
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("integration tests need root; CI runs them as root")
	}
	tb.Skip("needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)")
}

// Leaks lists what xdplab's tests could leave: namespaces and host links
// of xdplab's name forms, journals, and every BPF program, map and link
// that is xdplab's by the object catalogue (bpf.Catalogue: every program
// and map xdplab can load). An error while listing is returned, never
// taken for "nothing left".
func Leaks() ([]string, error) {
	var out []string
	nss, links, err := topology.Leftovers()
	if err != nil {
		return nil, err
	}
	for _, n := range nss {
		out = append(out, "namespace "+n)
	}
	for _, l := range links {
		out = append(out, "link "+l)
	}
	journals, errs := topology.Journals()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, j := range journals {
		out = append(out, "journal "+j.Path())
	}
	progNames, mapNames, err := bpf.Catalogue()
	if err != nil {
		return nil, err
	}
	ours := map[ebpf.ProgramID]bool{}
	err = named("program", ebpf.ProgramGetNextID, func(id ebpf.ProgramID) error {
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			return err
		}
		defer p.Close()
		info, err := p.Info()
		if err != nil {
			return err
		}
		if slices.Contains(progNames, info.Name) {
			ours[id] = true
			out = append(out, fmt.Sprintf("program %s (id %d)", info.Name, id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = named("map", ebpf.MapGetNextID, func(id ebpf.MapID) error {
		m, err := ebpf.NewMapFromID(id)
		if err != nil {
			return err
		}
		defer m.Close()
		info, err := m.Info()
		if err != nil {
			return err
		}
		if slices.Contains(mapNames, info.Name) {
			out = append(out, fmt.Sprintf("map %s (id %d)", info.Name, id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var it link.Iterator
	defer it.Close()
	for it.Next() {
		info, err := it.Link.Info()
		if err != nil {
			continue // a link type this kernel reports no info for
		}
		if ours[info.Program] {
			out = append(out, fmt.Sprintf("bpf link %d of program %d", it.ID, info.Program))
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("leak check: list links: %w", err)
	}
	return out, nil
}

// named walks every BPF object of a kind by id and calls visit on each; an
// object gone between listing and opening is skipped, any other error is
// returned.
func named[ID ~uint32](kind string, next func(ID) (ID, error), visit func(ID) error) error {
	for id := ID(0); ; {
		n, err := next(id)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("leak check: list %ss: %w", kind, err)
		}
		id = n
		if err := visit(id); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("leak check: %s %d: %w", kind, id, err)
		}
	}
}

// SettledLeaks is Leaks once the kernel has had a moment to free what was
// closed: it retries for up to 3 s while anything is listed.
func SettledLeaks() ([]string, error) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		l, err := Leaks()
		if err != nil || len(l) == 0 || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Main runs the tests and fails when they left anything behind. Use it as
// TestMain in packages with integration tests.
func Main(m *testing.M) { MainWith(m, nil) }

// MainWith is Main with a cleanup that runs after the tests, before the
// leak check (a helper binary's directory, say).
func MainWith(m *testing.M, cleanup func()) {
	var before []string
	if os.Geteuid() == 0 {
		var err error
		if before, err = Leaks(); err != nil {
			fmt.Fprintln(os.Stderr, "leak check before the tests:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if cleanup != nil {
		cleanup()
	}
	if os.Geteuid() == 0 {
		old := map[string]bool{}
		for _, b := range before {
			old[b] = true
		}
		// The kernel frees a BPF program or map some time after its last
		// file descriptor closes (RCU, a work queue): what is still there
		// after a grace period was left behind.
		var left []string
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			after, err := Leaks()
			if err != nil {
				fmt.Fprintln(os.Stderr, "leak check:", err)
				code = 1
				break
			}
			left = left[:0]
			for _, a := range after {
				if !old[a] {
					left = append(left, a)
				}
			}
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
		}
		for _, a := range left {
			fmt.Fprintln(os.Stderr, "left behind by the tests:", a)
			code = 1
		}
	}
	os.Exit(code)
}

// HostVeth makes a veth in the host's namespace, named xl<id>a and
// xl<id>b, standing for two NICs of the host cabled back to back; the test
// removes it when it ends.
func HostVeth(tb testing.TB, mtu int) (a, b string) {
	tb.Helper()
	id := topology.NewRunID()
	a, b = topology.LinkPrefix+id+"a", topology.LinkPrefix+id+"b"
	la := netlink.NewLinkAttrs()
	la.Name, la.MTU = a, mtu
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: b}); err != nil {
		tb.Fatalf("host veth %s/%s: %v", a, b, err)
	}
	tb.Cleanup(func() {
		if l, err := netlink.LinkByName(a); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	return a, b
}

// LentVeth is HostVeth with an address on a, and a up (b stays down):
// two NICs with settings a run must give back.
func LentVeth(tb testing.TB, mtu int, addr string) (a, b string) {
	tb.Helper()
	a, b = HostVeth(tb, mtu)
	l, err := netlink.LinkByName(a)
	if err != nil {
		tb.Fatalf("host veth %s: %v", a, err)
	}
	ad, err := netlink.ParseAddr(addr)
	if err == nil {
		err = netlink.AddrAdd(l, ad)
	}
	if err == nil {
		err = netlink.LinkSetUp(l)
	}
	if err != nil {
		tb.Fatalf("address %s on %s, up: %v", addr, a, err)
	}
	return a, b
}

// RequireTool skips a test when a command is missing, or fails it in CI,
// which installs every tool the tests use.
func RequireTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is missing: .ci/run installs it", name)
	}
	tb.Skipf("needs %s (Debian: apt-get install %s)", name, name)
	return ""
}

// Generator is the generator a run picks by default on this kernel:
// live-frames where it runs XDP programs on live frames, af-packet where
// it lacks them (before 5.18) or refuses them (EPERM on some builds). A
// test that checks which ran, or the counters only one of them moves,
// asks it rather than assuming the first.
func Generator(tb testing.TB) stream.Kind {
	tb.Helper()
	err := xdp.HaveLiveFrames()
	switch {
	case err == nil:
		return stream.LiveFrames
	case errors.Is(err, ebpf.ErrNotSupported):
		tb.Logf("this kernel has no live frames for the generator: %v", err)
		return stream.AFPacket
	}
	tb.Fatalf("probe live frames: %v", err)
	return ""
}

// RequireLiveFrames skips a test of the live-frames generator itself on
// a kernel that has none (the rest of the suite runs with AF_PACKET).
func RequireLiveFrames(tb testing.TB) {
	tb.Helper()
	if Generator(tb) != stream.LiveFrames {
		tb.Skip("this kernel runs no XDP program on live frames (BPF_F_TEST_XDP_LIVE_FRAMES): the generator is AF_PACKET here")
	}
}

// EveryBuiltin describes a check of every built-in program in generic
// and native mode, with the settings a check without traffic loads the
// workloads with (catalog.ExampleRule, a limit), as inspect and equiv do.
func EveryBuiltin(tb testing.TB) spec.Run {
	tb.Helper()
	rules := filepath.Join(tb.TempDir(), "rules")
	if err := os.WriteFile(rules, []byte(catalog.ExampleRule+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	var settings []spec.Setting
	for _, n := range catalog.BuiltinNames() {
		settings = append(settings, spec.Setting{Path: spec.FieldPrograms, Value: n})
	}
	settings = append(settings, spec.Setting{Path: spec.FieldModes, Value: "generic"}, spec.Setting{Path: spec.FieldModes, Value: "native"},
		spec.Setting{Path: spec.FieldRules, Value: rules}, spec.Setting{Path: spec.FieldLimit, Value: "1M"}, spec.Setting{Path: spec.FieldBurst, Value: "64"})
	r, err := spec.Build(settings)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
