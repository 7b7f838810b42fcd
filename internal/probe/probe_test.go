package probe_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/offload"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// validate checks a report against the committed JSON Schema.
func validate(t *testing.T, rep *offload.Report) {
	t.Helper()
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	testenv.ValidateJSON(t, offload.ReportJSONSchema, b)
}
