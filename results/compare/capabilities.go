package compare

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xdplab/xdplab/results"
)

// CapabilityChange is one qualification check of one driver whose
// verdict differs between kernels: what compare --by kernel says of
// qualifications beside their measurements.
type CapabilityChange struct {
	Driver string `json:"driver"`
	// Check is the check's section and name ("functional: XDP_TX").
	Check string `json:"check"`
	Mode  string `json:"mode,omitempty"`
	// Verdicts are the kernels' verdicts, oldest kernel first.
	Verdicts []KernelVerdict `json:"verdicts"`
	// Regression: a later kernel lost what an earlier had (it passed, or
	// worked unadvertised, there; here it fails or is not supported).
	Regression bool `json:"regression"`
}

// KernelVerdict is one kernel's verdict on a check.
type KernelVerdict struct {
	Kernel  string          `json:"kernel"`
	Verdict results.Verdict `json:"verdict"`
}

func (c CapabilityChange) String() string {
	var parts []string
	for _, v := range c.Verdicts {
		parts = append(parts, string(v.Verdict)+" on "+v.Kernel)
	}
	s := c.Driver + " " + c.Check
	if c.Mode != "" {
		s += " (" + c.Mode + ")"
	}
	s += ": " + strings.Join(parts, ", ")
	if c.Regression {
		s += " (REGRESSION: a later kernel lost it)"
	}
	return s
}

// absent stands for a check a kernel's report does not hold.
const absent results.Verdict = "absent"

// worked and lost are the verdicts a capability regression goes between.
func worked(v results.Verdict) bool {
	return v == results.VerdictPass || v == results.VerdictWorksNotAdvertised
}

func lost(v results.Verdict) bool {
	return v == results.VerdictFail || v == results.VerdictAdvertisedFails || v == results.VerdictNotSupported
}

// kernelOrder sorts kernel releases by their version numbers
// ("5.10.0-32-amd64" before "6.1.0-50-amd64" before "6.12.117+deb13"),
// then as text.
func kernelOrder(a, b string) int {
	va, vb := kernelVersion(a), kernelVersion(b)
	if c := slices.Compare(va, vb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// kernelVersion is a release's leading dotted numbers: 6.12.117.
func kernelVersion(rel string) []int {
	var v []int
	for _, part := range strings.SplitN(rel, ".", 4) {
		end := strings.IndexFunc(part, func(r rune) bool { return r < '0' || r > '9' })
		if end < 0 {
			end = len(part)
		}
		n, err := strconv.Atoi(part[:end])
		if err != nil {
			break
		}
		v = append(v, n)
		if end < len(part) {
			break
		}
	}
	return v
}

// Capabilities compares the checks of qualifications of one driver
// across kernels. It returns every check whose verdict differs, and how
// many checks it could compare (those of a driver seen on two kernels or
// more). A kernel with several qualifications of one driver keeps the
// first one's verdict.
func Capabilities(qs []*results.Qualification) ([]CapabilityChange, int) {
	type key struct{ driver, check, mode string }
	var keys []key
	verdicts := map[key]map[string]results.Verdict{} // kernel -> verdict
	driverKernels := map[string][]string{}
	for _, q := range qs {
		driver := q.DUT.Driver
		if driver == "" {
			driver = q.DUT.Name
		}
		kernel := q.Host.Kernel
		if !slices.Contains(driverKernels[driver], kernel) {
			driverKernels[driver] = append(driverKernels[driver], kernel)
		}
		for _, c := range q.Checks {
			if c.Section == "performance" || c.Section == "stability" {
				continue // measurements: the tables compare those
			}
			k := key{driver, c.Section + ": " + c.Name, c.Mode}
			if verdicts[k] == nil {
				verdicts[k] = map[string]results.Verdict{}
				keys = append(keys, k)
			}
			if _, ok := verdicts[k][kernel]; !ok {
				verdicts[k][kernel] = c.Verdict
			}
		}
	}
	var out []CapabilityChange
	compared := 0
	for _, k := range keys {
		if len(driverKernels[k.driver]) < 2 {
			continue
		}
		compared++
		ch := CapabilityChange{Driver: k.driver, Check: k.check, Mode: k.mode}
		// Every kernel the driver was qualified on: one whose
		// qualification lacks the check has it "absent".
		kernels := slices.Clone(driverKernels[k.driver])
		slices.SortFunc(kernels, kernelOrder)
		seenWorked := false
		var first results.Verdict
		differs := false
		for i, kr := range kernels {
			v, ok := verdicts[k][kr]
			if !ok {
				v = absent
			}
			if i == 0 {
				first = v
			} else if v != first {
				differs = true
			}
			if seenWorked && (lost(v) || v == absent) {
				ch.Regression = true
			}
			seenWorked = seenWorked || worked(v)
			ch.Verdicts = append(ch.Verdicts, KernelVerdict{Kernel: kr, Verdict: v})
		}
		if differs {
			out = append(out, ch)
		}
	}
	return out, compared
}

// capabilityNote says what the capability comparison covered.
func capabilityNote(changes []CapabilityChange, compared int) string {
	if len(changes) == 0 {
		return fmt.Sprintf("capabilities: every qualification check (%d) has the same verdict on every kernel", compared)
	}
	return fmt.Sprintf("capabilities: %d of %d qualification checks differ between kernels", len(changes), compared)
}
