package results

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/schematest"
)

// The committed fixtures validate against the committed JSON Schema.
func TestFixturesValidate(t *testing.T) {
	for _, f := range []string{"testdata/run-a-k6.18.json", "testdata/run-b-k6.1.json"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		schematest.ValidateJSON(t, JSONSchema, b)
		r, err := ReadFile(f)
		require.NoError(t, err)
		assert.Equal(t, 2, r.SchemaVersion, "version 2 fixtures validate as version 3")
		for name, m := range r.Metrics {
			assert.NotEmpty(t, m.Unit, name)
			assert.NotEmpty(t, m.Source, name)
		}
	}
}

// A file in schema version 1 (no metrics) is read, its metrics filled in
// with the standard ones and a note saying so.
func TestReadVersion1(t *testing.T) {
	r, err := ReadFile("testdata/v1-run-a-k6.18.json")
	require.NoError(t, err)
	assert.Equal(t, 1, r.SchemaVersion)
	require.Contains(t, r.Metrics, "throughput_pps")
	assert.Equal(t, BetterHigher, r.Metrics["throughput_pps"].Better)
	assert.Contains(t, r.Metrics["offered_pps"].Source, "live-frames")
	assert.Contains(t, r.Notes[len(r.Notes)-1], "schema version 1")
	assert.Len(t, r.Results, 4)
	assert.Len(t, r.Results[0].Trials, 10)

	// Written again it is a valid current file.
	r.SchemaVersion = SchemaVersion
	b, err := json.Marshal(r)
	require.NoError(t, err)
	schematest.ValidateJSON(t, JSONSchema, b)
}
