package runner

import (
	"fmt"
	"io"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/spec"
)

// Config is what to measure (the run description) and where a run
// reports as it goes.
type Config struct {
	spec.Run
	Live io.Writer // one line per second; nil for none
	// Stderr gets what the --remote host's agent and ssh say (nil: kept
	// for errors only).
	Stderr  io.Writer
	Command []string // recorded in the results
	// Label names the run in a history (run --label); recorded.
	Label   string
	Version string // xdplab's version, recorded in the results
}

// checkHost checks what the description leaves to the machine the run
// starts on: the CPUs this process may use. Inside the kernel matrix's VM,
// that is the VM's.
func (c *Config) checkHost() error {
	if c.Remote != "" {
		return nil // the generator's threads run there: its agent checks
	}
	if n := len(host.CPUs()); c.Threads > n {
		return &spec.FieldError{Field: spec.FieldThreads, Parts: []any{fmt.Sprintf(
			"%d out of range: this machine lets xdplab use %d CPUs (one generator thread per CPU and queue)", c.Threads, n)}}
	}
	return nil
}

// objectOptions is how a run loads its user's object; ifindex binds it to
// a device for offload (0: none).
func objectOptions(r *spec.Run, ifindex uint32) bpf.ObjectOptions {
	return bpf.ObjectOptions{Path: r.Object, Program: r.ObjectProgram, Ifindex: ifindex, MapEntries: r.MapEntries, MapCPUs: r.MapCPUs, MapInit: r.MapInit,
		Variables: r.Variables, TailCalls: r.TailCalls}
}

// ReadObject reads a run's object as its load will, loading nothing: the
// spec.ObjectReader a front end gives spec.Build and scenarios.Load.
func ReadObject(r *spec.Run) error { return bpf.CheckObject(objectOptions(r, 0)) }

// ReadObjectPrograms reads a user's object as ReadObject does, where no
// program is named every XDP program of it: what inspect and equiv take,
// which look at every program of the object.
func ReadObjectPrograms(r *spec.Run) error {
	if r.ObjectProgram != "" {
		return ReadObject(r)
	}
	progs, err := bpf.ObjectXDPPrograms(r.Object)
	if err != nil {
		return err
	}
	for _, p := range progs {
		run := *r
		run.ObjectProgram = p
		if err := ReadObject(&run); err != nil {
			return err
		}
	}
	return nil
}

// recordMapInit records the SHA-256 of the map contents file prog was
// filled from, and refuses a file that changed between two loads of one
// run: every mode must run with the same configuration.
func (r *runner) recordMapInit(prog *bpf.Program) error {
	if r.run == nil || prog.MapInitSHA256 == "" {
		return nil
	}
	c := &r.run.Config
	switch c.MapInitSHA256 {
	case "":
		c.MapInitSHA256 = prog.MapInitSHA256
	case prog.MapInitSHA256:
	default:
		return fmt.Errorf("map init %s changed during the run (sha256 %s, now %s): every mode must load the same contents; rerun with the file left alone", c.MapInit, c.MapInitSHA256, prog.MapInitSHA256)
	}
	return nil
}
