package probe_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/internal/schematest"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results/caps"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// validate checks a report against the committed JSON Schema.
func validate(t *testing.T, rep *probe.Report) {
	t.Helper()
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	schematest.ValidateJSON(t, caps.ReportJSONSchema, b)
}
