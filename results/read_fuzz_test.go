package results

import (
	"bytes"
	"os"
	"testing"
)

// Whatever a results file holds, Read answers with a run or an error,
// never a panic, and a run it accepts can be written back.
func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/run-a-k6.18.json", "testdata/v1-run-a-k6.18.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema":"xdplab.results","schema_version":4,"results":[{"trials":[{"figures":{"dut_ns_per_pkt":-3}}]}],"calibration":{"trials":[]}}`))
	f.Add([]byte(`{"schema":"xdplab.results","schema_version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if _, err := Marshal(r); err != nil {
			// Numbers JSON cannot hold (NaN) never come from JSON.
			t.Fatalf("a run read back does not encode: %v", err)
		}
		for _, res := range r.Results {
			_ = res.Summary.DUTString(len(res.Trials))
			_ = res.ProgNsPerPkt.String("%.1f")
		}
	})
}
