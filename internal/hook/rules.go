package hook

import (
	"fmt"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// Decide is a user-space inspector's rule: the XDP action a frame gets.
type Decide func(frame []byte) catalog.Action

// Rules is the decision the built-in program prog takes, applied in user
// space: the same rule as its BPF builds. It fails for a program whose
// rule user space does not apply.
func Rules(prog string) (Decide, error) {
	switch prog {
	case "drop":
		return func([]byte) catalog.Action { return catalog.Drop }, nil
	case "pass":
		return func([]byte) catalog.Action { return catalog.Pass }, nil
	}
	return nil, fmt.Errorf("user space applies no rules of %s", prog)
}
