package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const good = `format: 1
name: t
programs: [drop]
traffic:
  sizes: [64, 128]
  flows: [1, 16]
trials:
  duration: 2s
  count: 2
expect:
  - drop >= 99%
`

func TestParseGood(t *testing.T) {
	s, err := Parse("t.yaml", []byte(good))
	require.NoError(t, err)
	require.Len(t, s.Runs, 4, "two sizes times two flow counts")
	assert.Equal(t, 64, s.Runs[0].FrameSize)
	assert.Equal(t, 16, s.Runs[1].Flows)
	assert.Equal(t, 2*time.Second, s.Runs[0].Duration)
	assert.Equal(t, 2, s.Runs[0].Trials)
	require.Len(t, s.Expect, 1)
	assert.Equal(t, "drop", s.Expect[0].Subject)
}

// Broken inputs: each gets an error that names the file, the line where
// it can, the key, and what to do; never a panic, never a scenario.
func TestParseBroken(t *testing.T) {
	dir := t.TempDir()
	notPcap, err := filepath.Abs("library/quick.yaml")
	require.NoError(t, err)
	cases := []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"yaml syntax", "format: 1\nname: [x\n", "t.yaml:2"},
		{"tab indentation", "format: 1\nname: x\ntrials:\n\tcount: 2\n", "t.yaml"},
		{"unknown top key", "format: 1\nname: x\nprograms: [drop]\nprogram: drop\n", `t.yaml:4: unknown field "program"`},
		{"unknown nested key", "format: 1\nname: x\nprograms: [drop]\ntrials:\n  cont: 3\n", `t.yaml:5: unknown field "cont"`},
		{"duplicate key", "format: 1\nname: x\nname: y\nprograms: [drop]\n", "already defined"},
		{"wrong type", "format: 1\nname: x\nprograms: [drop]\ntrials:\n  count: three\n", "t.yaml:5"},
		{"no format", "name: x\nprograms: [drop]\n", "t.yaml: format: format 0"},
		{"future format", "format: 2\nname: x\nprograms: [drop]\n", "format 2: this xdplab reads scenario format 1"},
		{"no name", "format: 1\nprograms: [drop]\n", "name: missing"},
		{"bad name", "format: 1\nname: a b\nprograms: [drop]\n", `name: "a b"`},
		{"no program", "format: 1\nname: x\n", "programs: missing"},
		{"unknown program", "format: 1\nname: x\nprograms: [frob]\n", `t.yaml:3: programs[0]: unknown program "frob"`},
		{"programs and object", "format: 1\nname: x\nprograms: [drop]\nobject:\n  path: x.o\n", "exclude each other"},
		{"missing object file", "format: 1\nname: x\nobject:\n  path: nosuch.o\n", "object.path: " + filepath.Join(dir, "nosuch.o")},
		{"bad mode", "format: 1\nname: x\nprograms: [drop]\nmodes: [turbo]\n", `t.yaml:4: modes[0]: unknown mode or hook "turbo"`},
		{"mode twice", "format: 1\nname: x\nprograms: [drop]\nmodes: [native, drv]\n", "native named twice"},
		{"bad topology", "format: 1\nname: x\nprograms: [drop]\ntopology:\n  kind: ring\n", `topology.kind: "ring"`},
		{"nic-pair without peer", "format: 1\nname: x\nprograms: [drop]\ntopology:\n  kind: nic-pair\n  dut: eth1\n", "needs dut and peer"},
		{"remote that is no ssh address", "format: 1\nname: x\nprograms: [drop]\ntopology:\n  kind: nic-pair\n  dut: eth1\n  peer: eth2\n  remote: gen-host\n", "not an ssh:// address"},
		{"ssh options in a file", "format: 1\nname: x\nprograms: [drop]\ntopology:\n  kind: nic-pair\n  dut: eth1\n  peer: eth2\n  remote: ssh://gen\n  remote_ssh_options: [ProxyCommand=sh]\n", "remote_ssh_options"},
		{"unknown protocol", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  protocol: sctp\n", `t.yaml:5: traffic.protocol: "sctp": use udp, tcp-syn or icmp`},
		{"vlan out of range", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  vlan: 4095\n", "traffic.vlan: 4095 out of range"},
		{"imix and sizes", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: [64]\n  imix: imix\n", "traffic.imix: an IMIX and traffic.sizes exclude each other"},
		{"imix word", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  imix: lots\n", `traffic.imix: mix "lots": write imix`},
		{"imix entry key", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  imix:\n    - {size: 64, weigth: 7}\n", `traffic.imix[0]: unknown key "weigth"`},
		{"imix size", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  ip: 6\n  imix: imix\n", "t.yaml:6: traffic.imix: mix 64:7,570:4,1518:1: size 64 out of range: UDP over IPv6 needs 66"},
		{"imix too many slots", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  imix: \"64:60,128:10\"\n", "weights add up to 70, at most 64"},
		{"malformed share", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  malformed: lots\n", `traffic.malformed: share "lots": give a percentage`},
		{"latency with drop", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  latency: true\n", "t.yaml:5: traffic.latency: measures frames that come back out of the DUT: drop keeps them"},
		{"latency too small", "format: 1\nname: x\nprograms: [tx]\ntraffic:\n  ip: 6\n  latency: true\n  sizes: [66]\n", "UDP over IPv6 with a latency stamp needs 82"},
		{"rate share over 100", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  rate: 150%\n", "a share of the measured maximum is above 0% and at most 100%"},
		{"rate share with search", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  rate: 50%\ntrials:\n  search: true\n", "t.yaml:5: traffic.rate: a rate as a share paces the generator: leave out trials.search"},
		{"latency unit", "format: 1\nname: x\nprograms: [tx]\nexpect:\n  - p99 <= 200\n", "p99 is a latency: give it with ns, us or ms"},
		{"unit on a share", "format: 1\nname: x\nprograms: [tx]\nexpect:\n  - loss <= 2us\n", "give it in percent"},
		{"replay timing", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  pcap:\n    path: library/pcap/udp-100.pcap\n    timing: slow\n", `t.yaml:7: traffic.pcap.timing: "slow": use top-speed, capture or rate`},
		{"replay rate without rate", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  pcap:\n    path: library/pcap/udp-100.pcap\n    timing: rate\n", "t.yaml:7: traffic.pcap.timing: rate needs traffic.rate"},
		{"bad ip", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  ip: 5\n", "traffic.ip: 5: use 4 or 6"},
		{"size too small", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: [32]\n", "t.yaml:5: traffic.sizes: 32 out of range"},
		{"ipv6 size", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  ip: 6\n  sizes: [64]\n", "UDP over IPv6 needs 66"},
		{"sizes word", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: imix\n", `traffic.sizes: imix: give a list of frame sizes`},
		{"empty sizes", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: []\n", "an empty list"},
		{"too many flows", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  flows: 100000000\n", "t.yaml:5: traffic.flows: 100000000 out of range"},
		{"bad duration", "format: 1\nname: x\nprograms: [drop]\ntrials:\n  duration: 2 weeks\n", `t.yaml:5: trials.duration: "2 weeks" is not a duration`},
		{"short duration", "format: 1\nname: x\nprograms: [drop]\ntrials:\n  duration: 10ms\n", "trials.duration: 10ms out of range"},
		{"bad expectation", "format: 1\nname: x\nprograms: [drop]\nexpect:\n  - drop is fine\n", `t.yaml:5: expect[0]: "drop is fine": write SUBJECT`},
		{"share without percent", "format: 1\nname: x\nprograms: [drop]\nexpect:\n  - drop >= 99\n", "give it in percent"},
		{"ratio without mode", "format: 1\nname: x\nprograms: [drop]\nexpect:\n  - native >= 2\n", "a mode is compared with another"},
		{"bad rate", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  rate: fast\n", `t.yaml:5: traffic.rate: rate "fast": give frames per second`},
		{"pcap missing", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  pcap:\n    path: nosuch.pcap\n", "traffic.pcap.path: capture"},
		{"pcap not a capture", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  pcap:\n    path: " + notPcap + "\n", "not a pcap or pcapng capture"},
		{"pcap with sizes", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: [64]\n  pcap:\n    path: x.pcap\n", "leave out traffic.sizes"},
		{"pcap with warmup", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  pcap:\n    path: library/pcap/udp-100.pcap\ntrials:\n  warmup: 1s\n", "trials.warmup: a replay sends the capture once a loop"},
		{"bad generator", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  generator: pktgen\n", `unknown generator "pktgen"`},
	}
	require.GreaterOrEqual(t, len(cases), 20)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(filepath.Join(dir, "t.yaml"), []byte(c.in))
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// Every scenario of the library validates.
func TestLibraryValidates(t *testing.T) {
	files, err := filepath.Glob("library/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4)
	for _, f := range files {
		s, err := Load(f)
		require.NoError(t, err, f)
		assert.NotEmpty(t, s.Expect, "%s has expectations", f)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	files, _ := filepath.Glob("library/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("format: 1\nname: [x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil && s == nil {
			t.Fatal("no error and no scenario")
		}
	})
}

// A scenario's keys map to the run description: table tests, no root.
func TestParseDescribes(t *testing.T) {
	head := "format: 1\nname: x\n"
	cases := []struct {
		in    string
		check func(t *testing.T, r spec.Run)
	}{
		{"programs: [drop]\n", func(t *testing.T, r spec.Run) {
			d := spec.Defaults()
			assert.Equal(t, d, r, "every key left out is the default")
		}},
		{"programs: [tx, pass]\nmodes: [native]\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, []string{"tx", "pass"}, r.Programs)
			assert.Equal(t, []xdpmode.Mode{xdpmode.Native}, r.Modes)
		}},
		{"programs: [drop]\nmodes: [auto]\n", func(t *testing.T, r spec.Run) { assert.Nil(t, r.Modes) }},
		{"programs: [drop]\ntraffic:\n  ip: 6\n  vlan: 10\n  protocol: tcp-syn\n  sizes: 128\n  threads: 200\n", func(t *testing.T, r spec.Run) {
			assert.True(t, r.IPv6)
			assert.Equal(t, uint16(10), r.VLAN)
			assert.Equal(t, stream.TCPSYN, r.Proto)
			assert.Equal(t, 128, r.FrameSize)
			assert.Equal(t, 200, r.Threads, "threads are the host's to check, where the run starts (in the matrix: the VM)")
		}},
		{"programs: [drop]\ntraffic:\n  imix:\n    - {size: 64, weight: 3}\n    - {size: 1518, weight: 1}\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, stream.Mix{{Size: 64, Weight: 3}, {Size: 1518, Weight: 1}}, r.Mix)
		}},
		{"programs: [drop]\ntrials:\n  calibrate: false\n  search: true\n  duration: 2s\n  warmup: 0s\n", func(t *testing.T, r spec.Run) {
			assert.False(t, r.Calibrate)
			assert.NotNil(t, r.Search)
			assert.Equal(t, 2*time.Second, r.Duration)
			assert.Zero(t, r.Warmup)
		}},
		{"programs: [ratelimit]\nworkload:\n  limit: 100k\n  burst: 64\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, uint64(100000), r.Limit.PPS)
			assert.Equal(t, uint64(64), r.Limit.Burst)
		}},
		{"programs: [ratelimit]\nworkload:\n  limit: 100000\n  burst: 64\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, uint64(100000), r.Limit.PPS)
		}},
		{"programs: [drop]\ntraffic:\n  rate: 50%\n", func(t *testing.T, r spec.Run) { assert.Equal(t, 50.0, r.RatePercent) }},
		{"object:\n  path: ../bpf/testdata/unsized_bpfel.o\n  map_entries: [per_ifindex=64]\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, map[string]uint32{"per_ifindex": 64}, r.MapEntries)
			assert.Equal(t, "../bpf/testdata/unsized_bpfel.o", r.Object, "relative to the scenario file")
		}},
		{"object:\n  path: ../bpf/testdata/configured_bpfel.o\n  map_entries: [rxq_cnt=4]\n  set: [verdict=VERDICT_DROP, \"tag=ab\"]\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, map[string]string{"verdict": "VERDICT_DROP", "tag": "ab"}, r.Variables)
		}},
		{"programs: [drop]\ntopology:\n  kind: nic-pair\n  dut: eth1\n  peer: eth2\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, "eth1", r.DUTIface)
			assert.Equal(t, "eth2", r.PeerIface)
			assert.False(t, r.Force)
		}},
		{"programs: [drop]\ntopology:\n  kind: nic-pair\n  dut: eth1\n  peer: eth2\n  remote: ssh://lab@gen-host:2222\n", func(t *testing.T, r spec.Run) {
			assert.Equal(t, "ssh://lab@gen-host:2222", r.Remote)
			assert.Equal(t, "eth2", r.PeerIface, "the generator's port on that host")
		}},
	}
	for _, c := range cases {
		s, err := Parse("t.yaml", []byte(head+c.in), readObject)
		require.NoError(t, err, c.in)
		require.Len(t, s.Runs, 1)
		c.check(t, s.Runs[0])
	}
}

// Every setting of the run description is a key a scenario may write,
// found under the key its Field names.
func TestEverySettingIsAKey(t *testing.T) {
	for _, f := range spec.Fields() {
		k := f.ScenarioKey()
		if k == "-" {
			continue
		}
		parts := strings.Split(k, ".")
		var b strings.Builder
		b.WriteString("format: 1\nname: x\nprograms: [drop]\n")
		if k == "programs" {
			b.Reset()
			b.WriteString("format: 1\nname: x\n")
		}
		for i, p := range parts {
			b.WriteString(strings.Repeat("  ", i) + p + ":")
			if i < len(parts)-1 {
				b.WriteString("\n")
			}
		}
		b.WriteString(" \"\"\n")
		_, err := Parse("t.yaml", []byte(b.String()))
		if err != nil {
			assert.NotContains(t, err.Error(), "unknown field", "%s is a scenario key", k)
		}
	}
}

// Keys that goccy's path parser cannot take are refused with the key
// named and no line, never a panic (the fuzzer found "0[0:").
func TestHostileKeys(t *testing.T) {
	for _, doc := range []string{"0[0:", "a[1]: 2\n", "'x..y': 1\n", "\"$.a\": 1\n", "traffic:\n  \"v[\": 1\n"} {
		_, err := Parse("t.yaml", []byte(doc))
		assert.Error(t, err, doc)
	}
	assert.True(t, pathSafe("traffic.vlan"))
	assert.True(t, pathSafe("object.map_entries"))
	assert.True(t, pathSafe("programs[0]"))
	assert.True(t, pathSafe("traffic.sizes[12]"))
	for _, k := range []string{"", ".a", "a.", "a..b", "a[0", "a b", "0[0:", "a[x]", "a[0]b"} {
		assert.False(t, pathSafe(k), k)
	}
}

// The object a run names is read when Load is given a reader, and its
// refusal is spelled with the file's keys.
func TestParseReadsObject(t *testing.T) {
	doc := []byte("format: 1\nname: x\nobject:\n  path: ../bpf/dut_bpfel.o\n")
	_, err := Parse("t.yaml", doc)
	require.NoError(t, err, "without a reader the object is only looked for")
	_, err = Parse("t.yaml", doc, readObject)
	assert.ErrorContains(t, err, "holds 5 XDP programs (xdp_drop, xdp_pass, xdp_redirect, xdp_tx, xdp_xsk): choose one with object.program")
}

// readObject reads a run's object as runner.ReadObject does.
func readObject(r *spec.Run) error {
	return bpf.CheckObject(bpf.ObjectOptions{Path: r.Object, Program: r.ObjectProgram, MapEntries: r.MapEntries, Variables: r.Variables, TailCalls: r.TailCalls})
}
