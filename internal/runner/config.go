package runner

import (
	"fmt"
	"io"
	"runtime"

	"github.com/xdplab/xdplab/internal/spec"
	"golang.org/x/sys/unix"
)

// Config is what to measure (the run description) and where a run
// reports as it goes.
type Config struct {
	spec.Run
	Live    io.Writer // one line per second; nil for none
	Command []string  // recorded in the results
	Version string    // xdplab's version, recorded in the results
}

// checkHost checks what the description leaves to the machine the run
// starts on: the CPUs this process may use. Inside the kernel matrix's VM,
// that is the VM's.
func (c *Config) checkHost() error {
	if n := len(usableCPUs()); c.Threads > n {
		return &spec.FieldError{Field: spec.FieldThreads, Parts: []any{fmt.Sprintf(
			"%d out of range: this machine lets xdplab use %d CPUs (one generator thread per CPU and queue)", c.Threads, n)}}
	}
	return nil
}

// usableCPUs lists the CPUs this process may run on.
func usableCPUs() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		var out []int
		for i := range runtime.NumCPU() {
			out = append(out, i)
		}
		return out
	}
	var out []int
	for i := range 1024 {
		if set.IsSet(i) {
			out = append(out, i)
		}
	}
	return out
}
