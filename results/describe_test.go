package results

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Describe is the one description of a configuration: every setting a
// run had, in order, marked as pairing, default or method.
func TestDescribe(t *testing.T) {
	c := Config{FrameSize: 570, IPVersion: 6, Flows: 16, Threads: 2, Work: "no-touch", Protocol: "tcp-syn", VLAN: 7,
		IMIX: "64:7,570:4,1518:1", MalformedPPM: 10000, RatePercent: 50, Latency: true, Generator: "live-frames",
		Trials: 3, DurationS: 2, WarmupS: 1}
	kv := Describe(c, nil)
	assert.Equal(t, "size 570, ip 6, flows 16, threads 2, work no-touch, proto tcp-syn, vlan 7, imix 64:7+570:4+1518:1, "+
		"malformed-ppm 10000, rate 50%, latency true, generator live-frames, trials 3, duration 2s, warmup 1s", Text(kv))
	assert.Equal(t, "size=570/ip=6/flows=16/threads=2/proto=tcp-syn/vlan=7/imix=64:7+570:4+1518:1/malformed-ppm=10000/rate=50%", Name(kv))
	assert.Equal(t, "7", Lookup(kv, "vlan"))
	assert.Empty(t, Lookup(kv, "pcap"))
	for _, s := range kv {
		assert.Equal(t, s.Key == "generator" || s.Key == "trials" || s.Key == "duration" || s.Key == "warmup", s.Method, s.Key)
	}

	res := &Result{Program: Program{Name: "tx", Work: "swap-macs"}, Mode: "native"}
	kv = Describe(Config{FrameSize: 64, Flows: 1, Threads: 1, Work: "no-touch", Pcap: "/x/trace.pcap", Loops: 3, ReplayTiming: "capture", ReplaySpeed: 2}, res)
	assert.Equal(t, "prog=tx/mode=native/size=64/work=swap-macs/pcap=trace.pcap", Name(kv), "a result's work is the work its program did")
	assert.Equal(t, "3", Lookup(kv, "loops"))
	assert.Equal(t, "capture", Lookup(kv, "timing"))
	assert.Empty(t, Lookup(kv, "warmup"), "a replay has no warm-up")
	assert.Equal(t, []string{"work swap-macs -> no-touch", "pcap trace.pcap -> none"}, Diff(kv, Describe(Config{FrameSize: 64, Flows: 1, Threads: 1, Work: "no-touch"}, &Result{Program: Program{Name: "tx"}, Mode: "native"}))[0:2])
}
