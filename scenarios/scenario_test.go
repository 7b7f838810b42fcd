package scenarios

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.Len(t, s.Configs, 4, "two sizes times two flow counts")
	assert.Equal(t, 64, s.Configs[0].FrameSize)
	assert.Equal(t, 16, s.Configs[1].Flows)
	assert.Equal(t, 2*time.Second, s.Configs[0].Duration)
	assert.Equal(t, 2, s.Configs[0].Trials)
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
		{"bad mode", "format: 1\nname: x\nprograms: [drop]\nmodes: [turbo]\n", `t.yaml:4: modes[0]: unknown XDP mode "turbo"`},
		{"mode twice", "format: 1\nname: x\nprograms: [drop]\nmodes: [native, drv]\n", "native named twice"},
		{"bad topology", "format: 1\nname: x\nprograms: [drop]\ntopology:\n  kind: ring\n", `topology.kind: "ring"`},
		{"nic-pair without peer", "format: 1\nname: x\nprograms: [drop]\ntopology:\n  kind: nic-pair\n  dut: eth1\n", "needs dut and peer"},
		{"unknown protocol", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  protocol: sctp\n", `t.yaml:5: traffic.protocol: "sctp": use udp, tcp-syn or icmp`},
		{"vlan out of range", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  vlan: 4095\n", "traffic.vlan: 4095 out of range"},
		{"imix and sizes", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: [64]\n  imix: imix\n", "traffic.imix: imix and sizes exclude each other"},
		{"imix word", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  imix: lots\n", `traffic.imix: mix "lots": write imix`},
		{"imix entry key", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  imix:\n    - {size: 64, weigth: 7}\n", `traffic.imix[0]: unknown key "weigth"`},
		{"imix size", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  ip: 6\n  imix: imix\n", "traffic.imix: --imix: mix 64:7,570:4,1518:1: size 64 out of range: UDP over IPv6 needs 66"},
		{"imix too many slots", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  imix: \"64:60,128:10\"\n", "weights add up to 70, at most 64"},
		{"malformed share", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  malformed: lots\n", `traffic.malformed: share "lots": give a percentage`},
		{"latency with drop", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  latency: true\n", "traffic.latency: --latency measures frames that come back out of the DUT: --prog drop keeps them"},
		{"latency too small", "format: 1\nname: x\nprograms: [tx]\ntraffic:\n  ip: 6\n  latency: true\n  sizes: [66]\n", "UDP over IPv6 with a latency stamp needs 82"},
		{"rate share over 100", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  rate: 150%\n", "a share of the measured maximum is above 0% and at most 100%"},
		{"rate share with search", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  rate: 50%\ntrials:\n  search: true\n", "--rate as a share paces the live-frames generator: leave out --search"},
		{"latency unit", "format: 1\nname: x\nprograms: [tx]\nexpect:\n  - p99 <= 200\n", "p99 is a latency: give it with ns, us or ms"},
		{"unit on a share", "format: 1\nname: x\nprograms: [tx]\nexpect:\n  - loss <= 2us\n", "give it in percent"},
		{"replay timing", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  pcap:\n    path: library/pcap/udp-100.pcap\n    timing: slow\n", `traffic.pcap.timing: --replay-timing "slow": use top-speed, capture or rate`},
		{"replay rate without rate", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  pcap:\n    path: library/pcap/udp-100.pcap\n    timing: rate\n", "--replay-timing rate needs --rate"},
		{"bad ip", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  ip: 5\n", "traffic.ip: 5: use 4 or 6"},
		{"size too small", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: [32]\n", "traffic.sizes: --size 32 out of range"},
		{"ipv6 size", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  ip: 6\n  sizes: [64]\n", "UDP over IPv6 needs 66"},
		{"sizes word", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: imix\n", `traffic.sizes: imix: give a list of frame sizes`},
		{"empty sizes", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: []\n", "an empty list"},
		{"too many flows", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  flows: 100000000\n", "traffic.flows: --flows 100000000 out of range"},
		{"bad duration", "format: 1\nname: x\nprograms: [drop]\ntrials:\n  duration: 2 weeks\n", `t.yaml:5: trials.duration: "2 weeks" is not a duration`},
		{"short duration", "format: 1\nname: x\nprograms: [drop]\ntrials:\n  duration: 10ms\n", "trials.duration: 10ms out of range"},
		{"bad expectation", "format: 1\nname: x\nprograms: [drop]\nexpect:\n  - drop is fine\n", `t.yaml:5: expect[0]: "drop is fine": write SUBJECT`},
		{"share without percent", "format: 1\nname: x\nprograms: [drop]\nexpect:\n  - drop >= 99\n", "give it in percent"},
		{"ratio without mode", "format: 1\nname: x\nprograms: [drop]\nexpect:\n  - native >= 2\n", "a mode is compared with another"},
		{"bad rate", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  rate: fast\n", `t.yaml:5: traffic.rate: rate "fast": give frames per second`},
		{"rate with af-packet", "format: 1\nname: x\nprograms: [drop]\ntraffic:\n  rate: 1M\n  generator: af-packet\n", "traffic.rate: --rate needs the live-frames generator"},
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
