//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// remoteCmd is the built binary running args with a two-host pair to h.
func remoteCmd(t *testing.T, h *testenv.SSHHost, args ...string) *exec.Cmd {
	t.Helper()
	a := append(append([]string{args[0], "--iface", h.DUT, "--peer", h.Peer}, h.RemoteArgs()...), args[1:]...)
	return exec.Command(built(t), a...)
}

// sansOtherEnd drops where a veth's other end is from ip's output.
func sansOtherEnd(s string) string {
	return regexp.MustCompile(`link-netns(id)? \S+`).ReplaceAllString(s, "")
}

// portState is a port as ip shows it in namespace ns ("" here).
func portState(t *testing.T, ns, name string) string {
	t.Helper()
	var b strings.Builder
	for _, c := range [][]string{{"-d", "link", "show", name}, {"addr", "show", name}} {
		if ns != "" {
			c = append([]string{"-n", ns}, c...)
		}
		// stdout only: ip warns on stderr of a peer namespace it cannot name
		// (a dead agent's, before clean).
		cmd := exec.Command("ip", c...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "ip %v: %s", c, stderr.String())
		b.Write(out)
	}
	return normalizeIP(b.String())
}

// hostState is both ports, each on its host.
func hostState(t *testing.T, h *testenv.SSHHost) string {
	return portState(t, "", h.DUT) + portState(t, h.NS, h.Peer)
}

// settled waits until the generator host has given its port back as it
// was (the agent tears down on its own once its session is gone), but for
// where the cable's other end is (a killed controller's DUT port waits for
// `xdplab clean` here).
func settled(t *testing.T, h *testenv.SSHHost, want string) {
	t.Helper()
	want = sansOtherEnd(want)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if exec.Command("ip", "-n", h.NS, "link", "show", h.Peer).Run() == nil {
			got := sansOtherEnd(portState(t, h.NS, h.Peer))
			if got == want || time.Now().After(deadline) {
				assert.Equal(t, want, got, "the generator's port as it was")
				return
			}
		} else if time.Now().After(deadline) {
			require.Fail(t, "the generator's port never came back to its host")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// agents lists the agent processes left in the host's namespace.
func agents(t *testing.T, h *testenv.SSHHost) []string {
	t.Helper()
	out, _ := exec.Command("ip", "netns", "pids", h.NS).Output()
	var left []string
	for _, p := range strings.Fields(string(out)) {
		cmd, _ := os.ReadFile("/proc/" + p + "/cmdline")
		if strings.Contains(string(cmd), "agent") {
			left = append(left, p+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return left
}

// The run over SSH: both ends' counters agree, the results name both
// hosts, and both ports come back as they were.
func TestIntegrationRemoteRun(t *testing.T) {
	testenv.RequireRoot(t)
	h := testenv.NewSSHHost(t)
	before, peerBefore := hostState(t, h), portState(t, h.NS, h.Peer)
	out := filepath.Join(t.TempDir(), "r.json")
	b, err := remoteCmd(t, h, "run", "--output", out, "--prog", "drop", "--modes", "generic,native",
		"--duration", "2s", "--trials", "2", "--warmup", "500ms").CombinedOutput()
	text := string(b)
	require.NoError(t, err, text)
	run, err := results.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "nic-pair-remote", run.Topology.Kind)
	rm := run.Topology.Remote
	require.NotNil(t, rm)
	assert.Equal(t, h.Target, rm.Target)
	assert.True(t, rm.SameMachine, "a namespace posing as a host shares this kernel")
	assert.Equal(t, "dev", rm.Version)
	assert.Contains(t, rm.Agent, "shipped")
	assert.Regexp(t, `^xdplab-[a-z0-9]+-gen$`, rm.Namespaces[0])
	require.NotNil(t, rm.ControlDelay)
	assert.Greater(t, rm.ControlDelay.Snapshots, 8, "every trial's snapshots went over the channel")
	assert.Greater(t, rm.ControlDelay.MedianS, 0.0)
	assert.Less(t, rm.ControlDelay.MedianS, 0.1)
	roles := map[string]results.Interface{}
	for _, i := range run.Topology.Interfaces {
		roles[i.Role] = i
	}
	assert.Equal(t, h.Peer, roles["gen"].Name)
	assert.NotEmpty(t, roles["gen"].Host, "the generator's port names its host")
	assert.Equal(t, h.DUT, roles["dut"].Name)
	assert.Empty(t, roles["dut"].Host)
	assert.Contains(t, text, "generator on "+h.Target)
	assert.Contains(t, text, "control channel")
	assert.Contains(t, text, "shares this kernel, so it includes the generator")
	require.Len(t, run.Results, 2)
	for _, res := range run.Results {
		require.Len(t, res.Trials, 2)
		for _, tr := range res.Trials {
			gen := tr.Raw.Generator.Packets
			require.Greater(t, gen, uint64(100000), "%s: the generator sent", res.Mode)
			// The generator's count, the remote port's own transmit
			// counter, the DUT's receive counter and its program's count
			// agree within 1%.
			counts := map[string]uint64{
				"remote tx_packets": tr.Raw.Interfaces["gen"].TxPackets,
				"program":           tr.Raw.Program["drop"].Packets,
			}
			if run.Config.Generator == string(stream.LiveFrames) {
				// Live frames leave by ndo_xdp_xmit, which veth counts too.
				counts["remote tx_queue_0_xdp_xmit"] = tr.Raw.Interfaces["gen"].Ethtool["tx_queue_0_xdp_xmit"]
			}
			for what, n := range counts {
				assert.InEpsilon(t, float64(gen), float64(n), 0.01, "%s %s: generator %d, %s %d", res.Mode, what, gen, what, n)
			}
			for _, f := range tr.Flags {
				assert.NotEqual(t, results.FlagCountersDisagree, f.Code, "%s: %s", res.Mode, f.Message)
			}
			// No calibration with the generator elsewhere: a DUT that took
			// every frame says the generator set the rate.
			if tr.Figures.Loss <= 0.001 {
				assert.True(t, hasFlag(tr, results.FlagGeneratorBound), "%s: loss %.4f%% unflagged", res.Mode, 100*tr.Figures.Loss)
			}
		}
	}
	settled(t, h, peerBefore)
	assert.Equal(t, before, hostState(t, h))
	assert.Empty(t, agents(t, h))
}

// A dropped SSH session in the middle of a trial, and a SIGKILL of the
// controller: both hosts come back as they were, with `xdplab clean` here
// for the killed controller's side and nothing for `clean --remote`.
func TestIntegrationRemoteEveryEnd(t *testing.T) {
	testenv.RequireRoot(t)
	h := testenv.NewSSHHost(t)
	before, peerBefore, dutBefore := hostState(t, h), portState(t, h.NS, h.Peer), portState(t, "", h.DUT)
	start := func(t *testing.T) *watched {
		cmd := remoteCmd(t, h, "run", "--output", filepath.Join(t.TempDir(), "r.json"), "--prog", "drop", "--modes", "native",
			"--duration", "30s", "--trials", "3")
		w := startWatched(t, cmd)
		w.waitStarted(t)
		return w
	}
	t.Run("SSH session dropped", func(t *testing.T) {
		w := start(t)
		out, err := exec.Command("pgrep", "-P", fmt.Sprint(w.cmd.Process.Pid), "-x", "ssh").Output()
		require.NoError(t, err, "xdplab's ssh")
		for _, pid := range strings.Fields(string(out)) {
			require.NoError(t, exec.Command("kill", "-KILL", pid).Run())
		}
		err = w.wait()
		require.Error(t, err, "the run fails with its session")
		assert.Contains(t, w.text(), "the SSH session ended")
		settled(t, h, peerBefore)
		assert.Equal(t, before, hostState(t, h))
		assert.Empty(t, agents(t, h), "the agent ended with its session")
		code, text := exitOf(t, append([]string{"clean", "--dry-run"}, h.RemoteArgs()...)...)
		require.Equal(t, 0, code, text)
		assert.Contains(t, text, "nothing to clean")
	})
	t.Run("agent SIGKILL and clean --remote", func(t *testing.T) {
		w := start(t)
		left := agents(t, h)
		require.Len(t, left, 1, "one agent serves the run")
		require.NoError(t, exec.Command("kill", "-KILL", strings.SplitN(left[0], ":", 2)[0]).Run())
		err := w.wait()
		require.Error(t, err, "the run fails with its agent")
		assert.Contains(t, w.text(), "the SSH session ended")
		assert.Equal(t, sansOtherEnd(dutBefore), sansOtherEnd(portState(t, "", h.DUT)), "this host's port back at once")
		require.Error(t, exec.Command("ip", "-n", h.NS, "link", "show", h.Peer).Run(), "the generator's port stranded in the dead agent's namespace")
		code, text := exitOf(t, append([]string{"clean", "--dry-run"}, h.RemoteArgs()...)...)
		require.Equal(t, 0, code, text)
		assert.Contains(t, text, "would restore "+h.Peer)
		code, text = exitOf(t, append([]string{"clean"}, h.RemoteArgs()...)...)
		require.Equal(t, 0, code, text)
		assert.Contains(t, text, "restored "+h.Peer)
		assert.Equal(t, before, hostState(t, h), "both ports as they were")
	})
	t.Run("SIGKILL and clean", func(t *testing.T) {
		w := start(t)
		require.NoError(t, w.cmd.Process.Kill())
		_ = w.wait()
		// The controller's ssh saw its stdin close: the agent tore down.
		settled(t, h, peerBefore)
		code, text := exitOf(t, "clean")
		require.Equal(t, 0, code, text)
		assert.Contains(t, text, "restored "+h.DUT)
		assert.Equal(t, before, hostState(t, h))
		code, text = exitOf(t, append([]string{"clean"}, h.RemoteArgs()...)...)
		require.Equal(t, 0, code, text)
		assert.Contains(t, text, "nothing to clean")
		assert.Empty(t, agents(t, h))
	})
}

// Refusals: a host whose key is not known, and the interface the SSH
// session runs over. Neither leaves anything.
func TestIntegrationRemoteRefusals(t *testing.T) {
	testenv.RequireRoot(t)
	h := testenv.NewSSHHost(t)
	before := hostState(t, h)
	t.Run("unknown host key", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "known_hosts")
		require.NoError(t, os.WriteFile(empty, nil, 0o600))
		args := []string{"run", "--iface", h.DUT, "--peer", h.Peer, "--remote", h.Target, "--prog", "drop", "--duration", "1s", "--trials", "1"}
		for _, o := range h.Options {
			if strings.HasPrefix(o, "UserKnownHostsFile=") {
				o = "UserKnownHostsFile=" + empty
			}
			args = append(args, "--remote-ssh-option", o)
		}
		code, text := exitOf(t, args...)
		assert.NotEqual(t, 0, code)
		assert.Contains(t, text, "known_hosts", text)
		assert.NotContains(t, text, "traffic started")
		data, err := os.ReadFile(empty)
		require.NoError(t, err)
		assert.Empty(t, data, "the key was not accepted silently")
		assert.Equal(t, before, hostState(t, h))
	})
	t.Run("the SSH session's interface", func(t *testing.T) {
		args := append([]string{"run", "--iface", h.DUT, "--peer", h.Link, "--prog", "drop", "--duration", "1s", "--trials", "1", "--force"}, h.RemoteArgs()...)
		code, text := exitOf(t, args...)
		assert.NotEqual(t, 0, code)
		assert.Contains(t, text, "carries the SSH session xdplab runs over", "refused even with --force")
		out, err := exec.Command("ip", "-n", h.NS, "addr", "show", h.Link).CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), h.Addr, "the session's interface untouched")
		assert.Equal(t, before, hostState(t, h))
		assert.Empty(t, agents(t, h))
	})
}

// The probe of the generator host's port comes back here.
func TestIntegrationRemoteProbe(t *testing.T) {
	testenv.RequireRoot(t)
	h := testenv.NewSSHHost(t)
	args := append([]string{"probe", "--json", "--iface", h.Peer}, h.RemoteArgs()...)
	code, text := exitOf(t, args...)
	require.Equal(t, 0, code, text)
	var rep struct {
		Interfaces []struct {
			Name string `json:"name"`
		} `json:"interfaces"`
	}
	require.NoError(t, json.Unmarshal([]byte(text[strings.Index(text, "{"):]), &rep), text)
	require.Len(t, rep.Interfaces, 1)
	assert.Equal(t, h.Peer, rep.Interfaces[0].Name)

	// Over the session, its own interface is never probed with --attach,
	// even with --force.
	args = append([]string{"probe", "--iface", h.Link, "--attach", "--force"}, h.RemoteArgs()...)
	code, text = exitOf(t, args...)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, text, "carries the SSH session xdplab runs over")
}

// The functional checks with the generator on the second host: frames sent
// from there, verified where they come out, here and there.
func TestIntegrationRemoteQualify(t *testing.T) {
	testenv.RequireRoot(t)
	h := testenv.NewSSHHost(t)
	before := hostState(t, h)
	dir := t.TempDir()
	args := append([]string{"qualify", "--iface", h.DUT, "--peer", h.Peer, "--only", "functional", "--frames", "50", "--json", "-o", dir}, h.RemoteArgs()...)
	code, text := exitOf(t, args...)
	// Two named NICs leave the MTU 9000 check not-run (suite 2), and the
	// equivalence check needs both ports on one host: inconclusive (6),
	// with no check failed.
	require.Equal(t, 6, code, text)
	q, err := os.ReadFile(filepath.Join(dir, "qualification.json"))
	require.NoError(t, err)
	var rep results.Qualification
	require.NoError(t, json.Unmarshal(q, &rep))
	assert.Equal(t, results.VerdictInconclusive, rep.Verdict)
	assert.Zero(t, rep.Counts[results.VerdictFail], "no check failed")
	require.NotNil(t, rep.Generator)
	assert.Equal(t, h.Target, rep.Generator.Target)
	require.NotNil(t, rep.Generator.Host, "the agent described its host")
	assert.Equal(t, h.Peer, rep.Peer.Name)
	verdicts := map[string]results.Verdict{}
	for _, c := range rep.Checks {
		verdicts[c.Name+" "+c.Mode] = c.Verdict
	}
	for _, m := range []string{"generic", "native"} {
		for _, name := range []string{"XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_ABORTED", "head and tail adjustment", "AF_XDP receive (copy)"} {
			assert.Equal(t, results.VerdictPass, verdicts[name+" "+m], "%s %s", name, m)
		}
	}
	assert.Equal(t, results.VerdictNotRun, verdicts["same verdict in every mode generic,native"])
	md, err := os.ReadFile(filepath.Join(dir, "qualification.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "- Generator host: "+h.Target)
	settled(t, h, portState(t, h.NS, h.Peer))
	assert.Equal(t, before, hostState(t, h))
	assert.Empty(t, agents(t, h))
}

func hasFlag(tr results.Trial, code string) bool {
	for _, f := range tr.Flags {
		if f.Code == code {
			return true
		}
	}
	return false
}
