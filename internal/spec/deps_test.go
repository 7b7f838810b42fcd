package spec

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dataPackages describe, record and judge runs. They are data: what they
// link is decided here, so that `xdplab scenario validate`, compare and
// report never drag a BPF loader or netlink in again.
var dataPackages = []string{"./internal/spec", "./scenarios/...", "./results/...", "./bpf/catalog"}

// pureOwn are xdplab's own packages a data package may import: plain
// vocabularies and file helpers that touch neither kernel nor host.
var pureOwn = map[string]bool{
	"internal/spec": true, "internal/stream": true, "internal/xdpmode": true, "internal/sshtarget": true,
	"internal/search": true, "internal/atomicfile": true, "bpf/catalog": true,
}

// kernelModules are the libraries that reach the kernel.
var kernelModules = []string{"github.com/cilium/ebpf", "github.com/vishvananda/", "github.com/safchain/ethtool", "github.com/mdlayher/"}

func TestDataLinksNoLoader(t *testing.T) {
	const module = "github.com/xdplab/xdplab/"
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, dataPackages...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, module+"internal/spec", "go list ran on this module")
	for _, d := range deps {
		for _, m := range kernelModules {
			assert.False(t, strings.HasPrefix(d, m), "a data package links %s", d)
		}
		if own, ok := strings.CutPrefix(d, module); ok {
			top, _, _ := strings.Cut(own, "/")
			if top != "results" && top != "scenarios" {
				assert.True(t, pureOwn[own], "a data package imports %s, which is not a plain vocabulary", d)
			}
		}
	}
}
