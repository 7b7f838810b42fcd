package results

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/schematest"
)

// A two-host run names the generator's host, its control channel and
// where the CPU figure comes from, and is valid against the schema.
func TestRemoteTopology(t *testing.T) {
	r, err := ReadFile("testdata/run-a-k6.18.json")
	require.NoError(t, err)
	r.SchemaVersion = SchemaVersion
	r.Topology.Kind = "nic-pair-remote"
	r.Topology.Interfaces[0].Host = "gen-host"
	r.Topology.Remote = &Remote{Target: "ssh://root@gen-host", Host: Host{Hostname: "gen-host", Kernel: "6.12.48", Machine: "x86_64", CPUModel: "Xeon", Cores: 16},
		Version: "v1.5.0", Agent: "xdplab v1.5.0 on the remote host's PATH", RunID: "ab12cd", Namespaces: []string{"xdplab-ab12cd-gen"},
		ControlDelay: &ControlDelay{MedianS: 0.00021, MaxS: 0.0009, Snapshots: 12}, Clocks: "rates on this host's clock"}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	schematest.ValidateJSON(t, JSONSchema, b)

	var out bytes.Buffer
	require.NoError(t, WriteTable(&out, r))
	s := out.String()
	assert.Contains(t, s, "generator on ssh://root@gen-host: xdplab v1.5.0  kernel 6.12.48  Xeon  16 cores  control channel 0.21 ms one way (median of 12 snapshots, at most 0.90 ms)")
	assert.Contains(t, s, "every CPU of this host (the DUT's) per offered frame; the generator's CPU is on its own host")
	assert.NotContains(t, s, "busy time of the generator CPUs")

	r.Topology.Remote.SameMachine, r.Topology.Remote.ControlDelay = true, nil
	out.Reset()
	require.NoError(t, WriteTable(&out, r))
	s = out.String()
	assert.Contains(t, s, "shares this kernel, so it includes the generator")
	assert.Regexp(t, `generator on ssh://root@gen-host: xdplab v1.5.0  kernel 6.12.48  Xeon  16 cores\n`, s, "no delay where none was measured")

	r.Topology.Remote.Target = "gen-host"
	b, err = json.Marshal(r)
	require.NoError(t, err)
	assert.Error(t, schematest.Validate(JSONSchema, b), "the target is an ssh:// address")
}
