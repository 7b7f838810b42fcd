package main

import (
	"strings"
	"testing"
	"time"

	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
)

// describeArgs maps run flags to the run description, as run does,
// without running anything.
func describeArgs(t *testing.T, args ...string) (spec.Run, error) {
	t.Helper()
	f := &runFlags{}
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	f.addSpecFlags(fs)
	require.NoError(t, fs.Parse(args))
	return f.describe()
}

// The flags map to the description in a pure function: table tests, no
// root, nothing started.
func TestRunFlagsDescribe(t *testing.T) {
	cases := []struct {
		args  []string
		check func(t *testing.T, r spec.Run)
	}{
		{nil, func(t *testing.T, r spec.Run) { assert.Equal(t, spec.Defaults(), r) }},
		{[]string{"--prog", "drop,pass", "--prog", "tx"}, func(t *testing.T, r spec.Run) {
			assert.Equal(t, []string{"drop", "pass", "tx"}, r.Programs)
		}},
		{[]string{"--iface", "eth1", "--peer", "eth2", "--remote", "ssh://gen", "--remote-ssh-option", "Ciphers=aes128-ctr,aes256-ctr",
			"--remote-ssh-option", "Port=2222", "--remote-xdplab", "/opt/xdplab"}, func(t *testing.T, r spec.Run) {
			assert.Equal(t, "ssh://gen", r.Remote)
			assert.Equal(t, []string{"Ciphers=aes128-ctr,aes256-ctr", "Port=2222"}, r.RemoteSSHOptions, "an option's commas are its own")
			assert.Equal(t, "/opt/xdplab", r.RemoteXdplab)
		}},
		{[]string{"--modes", "native,generic"}, func(t *testing.T, r spec.Run) {
			assert.Equal(t, []xdpmode.Mode{xdpmode.Native, xdpmode.Generic}, r.Modes)
		}},
		{[]string{"--modes", "auto"}, func(t *testing.T, r spec.Run) { assert.Nil(t, r.Modes) }},
		{[]string{"--ipv6", "--size", "128", "--vlan", "7", "--proto", "tcp-syn"}, func(t *testing.T, r spec.Run) {
			assert.True(t, r.IPv6)
			assert.Equal(t, 128, r.FrameSize)
			assert.Equal(t, uint16(7), r.VLAN)
			assert.Equal(t, stream.TCPSYN, r.Proto)
		}},
		{[]string{"--ipv6=false"}, func(t *testing.T, r spec.Run) { assert.False(t, r.IPv6) }},
		{[]string{"--no-calibrate", "--search", "--duration", "2s", "--trials", "5"}, func(t *testing.T, r spec.Run) {
			assert.False(t, r.Calibrate)
			require.NotNil(t, r.Search)
			assert.Equal(t, 2*time.Second, r.Duration)
			assert.Equal(t, 5, r.Trials)
		}},
		{[]string{"--rate", "50%"}, func(t *testing.T, r spec.Run) { assert.Equal(t, 50.0, r.RatePercent) }},
		{[]string{"--imix", "imix"}, func(t *testing.T, r spec.Run) { assert.Equal(t, stream.SimpleIMIX, r.Mix) }},
		{[]string{"--prog", "ratelimit", "--limit", "100k", "--burst", "64"}, func(t *testing.T, r spec.Run) {
			assert.Equal(t, uint64(100000), r.Limit.PPS)
			assert.Equal(t, uint64(64), r.Limit.Burst)
		}},
		{[]string{"--iface", "eth1", "--peer", "eth2", "--force", "--run-id", "abc"}, func(t *testing.T, r spec.Run) {
			assert.Equal(t, "eth1", r.DUTIface)
			assert.Equal(t, "eth2", r.PeerIface)
			assert.True(t, r.Force)
			assert.Equal(t, "abc", r.RunID)
		}},
		{[]string{"--object", "../../bpf/testdata/unsized_bpfel.o", "--map-size", "per_ifindex=16"}, func(t *testing.T, r spec.Run) {
			assert.Equal(t, map[string]uint32{"per_ifindex": 16}, r.MapEntries)
			assert.Nil(t, r.Programs)
		}},
		{[]string{"--threads", "200"}, func(t *testing.T, r spec.Run) {
			assert.Equal(t, 200, r.Threads, "the host's CPUs are checked where the run starts")
		}},
	}
	for _, c := range cases {
		r, err := describeArgs(t, c.args...)
		require.NoError(t, err, "%v", c.args)
		c.check(t, r)
	}
}

// A mistake names the flag, and the flags it refers to, as flags.
func TestRunFlagsSpellErrors(t *testing.T) {
	for args, want := range map[string]string{
		"--vlan 5000":                          "--vlan: 5000 out of range: use a VLAN id from 1 to 4094 (0: untagged)",
		"--imix imix --size 128":               "--imix: an IMIX and --size exclude each other: the mix names its sizes",
		"--loops 2":                            "--loops: replays a capture: give --pcap too",
		"--prog drop,frob":                     `--prog: unknown program "frob"`,
		"--rate 50% --search":                  "--rate: a rate as a share paces the generator: leave out --search",
		"--program p":                          "--program: names a program in an object: give --object too",
		"--iface eth1":                         "--iface: the DUT's interface and --peer go together",
		"--prog tx --latency --ipv6 --size 66": "--size: 66 out of range: UDP over IPv6 with a latency stamp needs 82",
		// Refused when the flags are read, before any calibration.
		"--object ../../bpf/testdata/unsized_bpfel.o": "--map-size: map(s) per_ifindex of ../../bpf/testdata/unsized_bpfel.o have max_entries 0: " +
			"the object's own loader sizes them at load time; give their entries with --map-size per_ifindex=N",
		"--object ../../bpf/dut_bpfel.o":                             "--program: ../../bpf/dut_bpfel.o holds 5 XDP programs (xdp_drop, xdp_pass, xdp_redirect, xdp_tx, xdp_xsk): choose one with --program",
		"--object ../../bpf/testdata/tponly_bpfel.o --program tp_rx": "--object: ../../bpf/testdata/tponly_bpfel.o holds no XDP program (it holds 2 tracepoint program(s)): xdplab loads XDP programs",
	} {
		_, err := describeArgs(t, strings.Fields(args)...)
		var ue *usageError
		require.ErrorAs(t, err, &ue, args)
		assert.Contains(t, err.Error(), want, args)
	}
}
