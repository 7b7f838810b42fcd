package runner

import (
	"context"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/results"
)

// flowstatsWorkload is the flow table's side here: its flows after the
// trials.
type flowstatsWorkload struct{ passStack }

func (flowstatsWorkload) options(*runner, *bpf.DUTOptions) {}

func (flowstatsWorkload) start(*runner, *setup) (any, error) { return nil, nil }

func (flowstatsWorkload) figures(_ context.Context, r *runner, s *setup, _ any, _ *results.Result) (*results.Workload, error) {
	return r.flowFigures(s)
}

// flowFigures read the flowstats workload's table after the trials.
func (r *runner) flowFigures(s *setup) (*results.Workload, error) {
	flows, bad, _, err := s.prog.FlowTable()
	if err != nil {
		return nil, err
	}
	f := &results.FlowFigures{Count: len(flows), Malformed: bad.Packets,
		Source: "the program's LRU flow table read after the trials (warm-up included), most packets first"}
	for i, fl := range flows {
		f.Packets += fl.Packets
		if i < 10 {
			f.Top = append(f.Top, results.FlowRow{Src: fl.Src.String(), Dst: fl.Dst.String(), Sport: fl.Sport, Dport: fl.Dport,
				Proto: fl.Proto, VLAN: fl.VLAN, Packets: fl.Packets, Bytes: fl.Bytes})
		}
	}
	return &results.Workload{Kind: "flowstats", Flows: f}, nil
}
