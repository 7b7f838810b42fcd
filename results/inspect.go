package results

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// The inspection file's schema (xdplab inspect --format json).
const (
	InspectionSchema        = "xdplab.inspect"
	InspectionSchemaVersion = 1
)

// Inspection is what `xdplab inspect` found: each program loaded,
// verified and attached in each mode, with no traffic.
type Inspection struct {
	Header
	Modes    []string    `json:"modes"`
	Programs []Inspected `json:"programs"`
	Notes    []string    `json:"notes,omitempty"`
}

// Inspected is one program in one mode.
type Inspected struct {
	Program      Program      `json:"program"`
	Mode         string       `json:"mode"`
	AttachMethod string       `json:"attach_method"`
	AttachedMode string       `json:"attached_mode"`
	Fingerprint  *Fingerprint `json:"fingerprint"`
	// Offloadable: nothing in the program keeps it from hardware
	// offload; OffloadBlockers say what does.
	Offloadable     bool     `json:"offloadable"`
	OffloadBlockers []string `json:"offload_blockers,omitempty"`
}

// WriteText writes an inspection for a terminal: the fingerprints, then
// how each program attached and whether it could be offloaded.
func (in *Inspection) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "xdplab %s  kernel %s  %s  modes %s\n\n", in.Tool.Version, in.Host.Kernel, in.Host.CPUModel, strings.Join(in.Modes, ","))
	rs := make([]Result, len(in.Programs))
	for i, p := range in.Programs {
		rs[i] = Result{Program: p.Program, Mode: p.Mode, Fingerprint: p.Fingerprint}
	}
	if err := WriteFingerprints(w, rs); err != nil {
		return err
	}
	fmt.Fprintln(w)
	seen := map[string]bool{}
	for _, p := range in.Programs {
		fmt.Fprintf(w, "%s %s: attached with %s, the kernel reports %s mode\n", p.Program.Name, p.Mode, p.AttachMethod, p.AttachedMode)
		if seen[p.Program.Name] {
			continue
		}
		seen[p.Program.Name] = true
		if p.Offloadable {
			fmt.Fprintf(w, "%s: offloadable: it uses only what hardware offload runs\n", p.Program.Name)
		} else {
			fmt.Fprintf(w, "%s: not offloadable: %s\n", p.Program.Name, strings.Join(p.OffloadBlockers, "; "))
		}
	}
	for _, n := range in.Notes {
		fmt.Fprintln(w, n)
	}
	return nil
}

// Run is the inspection as a results run that compare and report read:
// one result per program and mode with its fingerprint, no trials, the
// control plane checked (loaded, verified, attached, read back).
func (in *Inspection) Run() *Run {
	r := &Run{Header: Header{Schema: SchemaName, SchemaVersion: SchemaVersion, Tool: in.Tool, Host: in.Host, Started: in.Started}, Finished: in.Started,
		Config: Config{Modes: in.Modes, Protocol: "udp"}, Notes: in.Notes, Metrics: map[string]Metric{}}
	for _, p := range in.Programs {
		if !slices.Contains(r.Config.Programs, p.Program.Name) {
			r.Config.Programs = append(r.Config.Programs, p.Program.Name)
		}
		r.Results = append(r.Results, Result{
			Program: p.Program, Mode: p.Mode, AttachMethod: p.AttachMethod, AttachedMode: p.AttachedMode,
			ControlPlaneOnly: true, Fingerprint: p.Fingerprint,
			ControlPlane: []string{fmt.Sprintf("xdplab inspect: loaded, verified and attached with %s, the kernel reports %s mode; no traffic", p.AttachMethod, p.AttachedMode)},
		})
	}
	return r
}
