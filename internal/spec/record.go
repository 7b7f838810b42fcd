package spec

import "github.com/xdplab/xdplab/results"

// Record is the resolved description as the results file records it:
// every field of the table writes its own value, defaults and derived
// values included (the frame size of a mix or a capture, the l4lb
// workload's backends). What only the run knows (the modes it found,
// the CPUs and the generator that ran, the command line) the runner adds.
func Record(r *Run) results.Config {
	var c results.Config
	for i := range fields {
		if rec := fields[i].record; rec != nil {
			rec(r, &c)
		}
	}
	return c
}
