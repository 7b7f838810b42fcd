package host

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The capabilities a run needs.
var needed = []struct {
	bit  uint
	name string
}{
	{21, "CAP_SYS_ADMIN"}, // enter and create namespaces
	{12, "CAP_NET_ADMIN"}, // links, XDP attach
	{39, "CAP_BPF"},       // load programs, BPF_PROG_RUN
}

// ErrPrivileges says the process lacks what a run needs.
type ErrPrivileges struct{ Missing []string }

func (e *ErrPrivileges) Error() string {
	return fmt.Sprintf("xdplab run needs root, or %s (missing: %s): run it with sudo",
		"CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_BPF", strings.Join(e.Missing, ", "))
}

// CheckPrivileges reads the effective capabilities of the process.
func CheckPrivileges() error {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil // cannot tell: let the kernel answer
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		eff, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return nil
		}
		var missing []string
		for _, c := range needed {
			if eff&(1<<c.bit) == 0 {
				missing = append(missing, c.name)
			}
		}
		if len(missing) > 0 {
			return &ErrPrivileges{Missing: missing}
		}
		return nil
	}
	return nil
}
