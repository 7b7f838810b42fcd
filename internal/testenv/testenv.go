// Package testenv holds what xdplab's tests share: skipping tests that need
// root, and a TestMain check that fails a package whose tests left a
// namespace, link or loaded xdplab program behind.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/topology"
)

// RequireRoot skips a test unless it runs as root. In CI (CI=true) it fails
// instead, so that integration tests never pass by being skipped.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("integration tests need root; CI runs them as root")
	}
	tb.Skip("needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)")
}

// ourPrograms are the kernel names (at most 15 characters) of xdplab's programs.
var ourPrograms = []string{"xdp_drop", "xdp_pass", "xdp_tx", "xdp_redirect", "xdp_gen",
	"xdplab_drop", "xdplab_pass", "xdp_meta_hash", "xdp_meta_timest"}

// Leaks lists namespaces, links and xdplab programs that exist now.
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
	var id ebpf.ProgramID
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if err != nil {
			break
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		info, err := p.Info()
		p.Close()
		if err != nil {
			continue
		}
		for _, n := range ourPrograms {
			if info.Name == n {
				out = append(out, fmt.Sprintf("program %s (id %d)", info.Name, id))
			}
		}
	}
	return out, nil
}

// Main runs the tests and fails when they left anything behind. Use it as
// TestMain in packages with integration tests.
func Main(m *testing.M) {
	var before []string
	if os.Geteuid() == 0 {
		before, _ = Leaks()
	}
	code := m.Run()
	if os.Geteuid() == 0 {
		after, err := Leaks()
		if err != nil {
			fmt.Fprintln(os.Stderr, "leak check:", err)
			code = 1
		}
		old := map[string]bool{}
		for _, b := range before {
			old[b] = true
		}
		for _, a := range after {
			if !old[a] {
				fmt.Fprintln(os.Stderr, "left behind by the tests:", a)
				code = 1
			}
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
