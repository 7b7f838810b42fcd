package testenv

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/topology"
)

// SSHHost is a second "host" for the two-host tests: a network namespace
// running a real OpenSSH server, reached from this namespace over a veth
// on addresses of 198.19.0.0/16, and a second veth as the cable between
// the two hosts' ports.
type SSHHost struct {
	NS      string // the host's namespace (xdplab-<id>-host: no run's)
	Addr    string // sshd's address
	Target  string // ssh://root@Addr
	Link    string // the host's end of the SSH veth, in NS
	DUT     string // the cable's end here: the DUT's port
	Peer    string // the cable's end in NS: the generator's port there
	Dir     string // keys, known_hosts, sshd's pid file
	Options []string
	sshd    *exec.Cmd
}

// NewSSHHost makes the host, its sshd (host key and the client's key made
// in a temporary directory), and the cable; cleanup removes all of it.
// SSHOptions are the --remote-ssh-option values that reach it with the
// test's key and known_hosts.
func NewSSHHost(tb testing.TB) *SSHHost {
	tb.Helper()
	RequireTool(tb, "ip")
	RequireTool(tb, "ssh")
	RequireTool(tb, "ssh-keygen")
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is missing: .ci/run installs openssh-server", sshd)
		}
		tb.Skipf("%s is missing: apt-get install openssh-server", sshd)
	}
	id := topology.NewRunID()
	oct := 100 + rand.IntN(150)
	h := &SSHHost{NS: topology.NamespacePrefix + id + "-host", Addr: fmt.Sprintf("198.19.%d.2", oct),
		Link: topology.LinkPrefix + id + "h", DUT: topology.LinkPrefix + id + "c", Peer: topology.LinkPrefix + id + "p", Dir: tb.TempDir()}
	h.Target = "ssh://root@" + h.Addr
	run := func(args ...string) {
		tb.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			tb.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("ip", "netns", "add", h.NS)
	tb.Cleanup(func() { h.close(tb) })
	local := topology.LinkPrefix + id + "l"
	run("ip", "link", "add", local, "type", "veth", "peer", "name", h.Link, "netns", h.NS)
	run("ip", "addr", "add", fmt.Sprintf("198.19.%d.1/30", oct), "dev", local)
	run("ip", "link", "set", local, "up")
	run("ip", "-n", h.NS, "addr", "add", h.Addr+"/30", "dev", h.Link)
	run("ip", "-n", h.NS, "link", "set", h.Link, "up")
	run("ip", "-n", h.NS, "link", "set", "lo", "up")
	run("ip", "link", "add", h.DUT, "type", "veth", "peer", "name", h.Peer, "netns", h.NS)
	for _, k := range []string{"host_key", "id"} {
		run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "xdplab-test", "-f", filepath.Join(h.Dir, k))
	}
	h.trustKeys(tb)
	h.startSSHD(tb, sshd)
	h.Options = []string{"UserKnownHostsFile=" + filepath.Join(h.Dir, "known_hosts"), "IdentityFile=" + filepath.Join(h.Dir, "id"),
		"IdentitiesOnly=yes", "GlobalKnownHostsFile=/dev/null"}
	h.waitSSH(tb)
	return h
}

// trustKeys authorizes the client's key there and the host's key here.
func (h *SSHHost) trustKeys(tb testing.TB) {
	tb.Helper()
	pub, err := os.ReadFile(filepath.Join(h.Dir, "id.pub"))
	if err == nil {
		err = os.WriteFile(filepath.Join(h.Dir, "authorized_keys"), pub, 0o600)
	}
	hostPub, err2 := os.ReadFile(filepath.Join(h.Dir, "host_key.pub"))
	if err == nil && err2 == nil {
		err = os.WriteFile(filepath.Join(h.Dir, "known_hosts"), []byte(h.Addr+" "+string(hostPub)), 0o600)
	}
	if err != nil || err2 != nil {
		tb.Fatalf("keys: %v %v", err, err2)
	}
}

// startSSHD runs sshd in the host's namespace, on its address only.
func (h *SSHHost) startSSHD(tb testing.TB, sshd string) {
	tb.Helper()
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		tb.Fatalf("/run/sshd: %v", err)
	}
	h.sshd = exec.Command("ip", "netns", "exec", h.NS, sshd, "-D", "-e", "-f", "/dev/null",
		"-o", "ListenAddress="+h.Addr, "-o", "Port=22", "-o", "HostKey="+filepath.Join(h.Dir, "host_key"),
		"-o", "AuthorizedKeysFile="+filepath.Join(h.Dir, "authorized_keys"), "-o", "PidFile="+filepath.Join(h.Dir, "sshd.pid"),
		"-o", "StrictModes=no", "-o", "PermitRootLogin=prohibit-password", "-o", "PasswordAuthentication=no", "-o", "UsePAM=no")
	logf, err := os.Create(filepath.Join(h.Dir, "sshd.log"))
	if err != nil {
		tb.Fatalf("sshd log: %v", err)
	}
	defer logf.Close()
	h.sshd.Stderr = logf
	if err := h.sshd.Start(); err != nil {
		tb.Fatalf("sshd: %v", err)
	}
}

// waitSSH waits until one ssh gets through.
func (h *SSHHost) waitSSH(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		args := []string{"-T"}
		for _, o := range append(h.Options, "BatchMode=yes", "ConnectTimeout=2") {
			args = append(args, "-o", o)
		}
		out, err := exec.Command("ssh", append(args, "root@"+h.Addr, "true")...).CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(h.Dir, "sshd.log"))
			tb.Fatalf("sshd in %s does not answer: %v: %s\nsshd: %s", h.NS, err, out, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// RemoteArgs are the run flags that reach the host.
func (h *SSHHost) RemoteArgs() []string {
	args := []string{"--remote", h.Target}
	for _, o := range h.Options {
		args = append(args, "--remote-ssh-option", o)
	}
	return args
}

func (h *SSHHost) close(tb testing.TB) {
	if h.sshd != nil && h.sshd.Process != nil {
		_ = h.sshd.Process.Signal(syscall.SIGTERM)
		_ = h.sshd.Wait()
	}
	// sshd's sessions, if any outlived the test, go with the namespace's
	// processes.
	if out, err := exec.Command("ip", "netns", "pids", h.NS).Output(); err == nil {
		for _, p := range strings.Fields(string(out)) {
			_ = exec.Command("kill", "-KILL", p).Run()
		}
	}
	if l, err := netlink.LinkByName(h.DUT); err == nil {
		_ = netlink.LinkDel(l)
	}
	if out, err := exec.Command("ip", "netns", "del", h.NS).CombinedOutput(); err != nil {
		tb.Errorf("remove %s: %v: %s", h.NS, err, out)
	}
}
