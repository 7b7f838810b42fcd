package probe_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/internal/schematest"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results/caps"
)

// A recorded report of a real NIC (virtio_net) validates against the
// schema, reads back, and its verdicts follow from its data.
// A report `xdplab probe --iface eth0 --force` (read-only) wrote on a
// cloud VM with a virtio_net NIC, kernel 6.18: it still validates and
// decodes.
func TestRecordedVirtioNetReport(t *testing.T) {
	b, err := os.ReadFile("testdata/probe-virtio_net.json")
	require.NoError(t, err)
	schematest.ValidateJSON(t, caps.ReportJSONSchema, b)
	var rep probe.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Len(t, rep.Interfaces, 1)
	c := rep.Interfaces[0]
	assert.Equal(t, "virtio_net", c.Driver.Driver)
	assert.Equal(t, offload.XDPFeature(c.Advertised.XDPFeaturesRaw).Names(), c.Advertised.XDPFeatures)
	assert.True(t, c.Advertised.Has(offload.FeatureXSKZeroCopy))
	assert.False(t, c.Detected.Attached)
	// Recorded before rows carried capability IDs: the verdicts follow
	// from the data, and today's rows add an ID to each.
	rows := offload.Compare(c.Advertised, c.Detected)
	for i := range rows {
		assert.NotEmpty(t, rows[i].ID, rows[i].Capability)
		rows[i].ID = ""
	}
	assert.Equal(t, c.Comparison, rows, "the verdicts follow from the data")
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf))
	assert.Contains(t, buf.String(), "driver virtio_net")
}
