package spec

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

// The defaults recorded: every figure a results file reads from the
// configuration, defaults spelled out.
func TestRecordDefaults(t *testing.T) {
	r := Defaults()
	assert.Equal(t, results.Config{Programs: []string{"drop"}, FrameSize: 64, IPVersion: 4, Flows: 1, Threads: 1,
		Work: "no-touch", Protocol: "udp", WarmupS: 1, DurationS: 5, Trials: 3, ProgStatsS: 1}, Record(&r))
}

// What a run resolves is what it records: the object's program, the
// backends an l4lb run used, a capture's timing and speed, the mix.
func TestRecordResolved(t *testing.T) {
	r, err := Build([]Setting{{FieldPrograms, "l4lb"}, {FieldPrograms, "ratelimit"}, {FieldIMIX, "128:1,1024:1"}, {FieldIP, "6"}, {FieldVLAN, "7"},
		{FieldRate, "50%"}, {FieldMalformed, "1%"}, {FieldLimit, "1k"}, {FieldBurst, "5"}, {FieldSources, "3"}, {FieldFlows, "9"}})
	require.NoError(t, err)
	c := Record(&r)
	assert.Equal(t, DefaultBackends, c.Backends, "l4lb's default backends are recorded")
	assert.Equal(t, 576, c.FrameSize, "the mix's mean")
	assert.Equal(t, "128:1,1024:1", c.IMIX)
	assert.Equal(t, 6, c.IPVersion)
	assert.Equal(t, 7, c.VLAN)
	assert.InDelta(t, 50, c.RatePercent, 0)
	assert.Equal(t, uint32(10000), c.MalformedPPM)
	assert.Equal(t, uint64(1000), c.LimitPPS)
	assert.Equal(t, uint64(5), c.Burst)
	assert.Equal(t, 3, c.Sources)
	assert.Equal(t, 9, c.Flows)
	assert.Empty(t, c.Pcap, "no capture, no replay fields")
	assert.Empty(t, c.ReplayTiming)

	r = Defaults()
	r.Backends = 4
	assert.Zero(t, Record(&r).Backends, "backends are l4lb's only")
	r.Object, r.ObjectProgram, r.PinScratch = "x.o", "xdp_main", true
	r.MapEntries, r.MapCPUs = map[string]uint32{"*": 4}, []string{"rx"}
	c = Record(&r)
	assert.Equal(t, map[string]uint32{"*": 4}, c.MapEntries)
	assert.Equal(t, []string{"rx"}, c.MapCPUs, "sizes by convention recorded as given")
	assert.Equal(t, []string{"x.o:xdp_main"}, c.Programs, "an object's program replaces the built-ins")
	assert.Equal(t, "scratch", c.Pin)

	r = Defaults()
	r.Pcap, r.ReplayTiming, r.ReplaySpeed, r.Loops = filepath.Join("d", "c.pcap"), "capture", 0, 2
	c = Record(&r)
	assert.Equal(t, "capture", c.ReplayTiming)
	assert.InDelta(t, 1, c.ReplaySpeed, 0, "speed 0 is the capture's own")
	assert.Equal(t, 2, c.Loops)
	r.ReplayTiming, r.ReplaySpeed = "", 3
	c = Record(&r)
	assert.Equal(t, "top-speed", c.ReplayTiming)
	assert.Zero(t, c.ReplaySpeed, "a speed only with capture timing")
	r.Proto = ""
	assert.Equal(t, "udp", Record(&r).Protocol)
}

// Every field decides whether it is recorded: a new setting either
// writes itself into the results or is named here as recorded elsewhere.
func TestEveryFieldRecordedOrExcused(t *testing.T) {
	elsewhere := map[string]string{
		FieldObjectProgram: "with the object, as OBJECT:PROGRAM",
		FieldModes:         "the modes found, by the runner",
		FieldHooks:         "the hooks that ran, by the runner",
		FieldDUT:           "the topology", FieldPeer: "the topology", FieldRemote: "the topology",
		FieldRemoteXdplab: "the remote's version", FieldRemoteSSH: "not recorded: options of the session",
		FieldForce: "not recorded: a permission", FieldRunID: "the topology",
		FieldGenerator: "the generator that ran, by the runner", FieldLoops: "with the capture",
		FieldReplayTiming: "with the capture", FieldReplaySpeed: "with the capture", FieldRewriteIPs: "with the capture",
		FieldCalibrate: "the calibration's result", FieldSearch: "the search's result",
	}
	for _, f := range Fields() {
		_, excused := elsewhere[f.Path]
		assert.NotEqual(t, excused, f.record != nil, "%s: recorded through the table or excused, not both or neither", f.Path)
	}
}
