package results_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kernelFacing are the modules and packages that touch a kernel or a
// host: BPF, netlink, namespaces, ethtool, and xdplab's own machinery.
var kernelFacing = []string{
	"github.com/cilium/ebpf", "github.com/vishvananda/netlink", "github.com/vishvananda/netns",
	"github.com/safchain/ethtool", "github.com/mdlayher/genetlink",
	"github.com/xdplab/xdplab/bpf", "github.com/xdplab/xdplab/offload", "github.com/xdplab/xdplab/topology",
	"github.com/xdplab/xdplab/internal/",
}

// plainData are the packages that describe a run and read and judge
// documents: they must build without any of kernelFacing, so that a
// report, a comparison, a history, `xdplab scenario validate` and the run
// description link no BPF or netlink code.
var plainData = []string{"github.com/xdplab/xdplab/results/...", "github.com/xdplab/xdplab/internal/spec",
	"github.com/xdplab/xdplab/scenarios/...", "github.com/xdplab/xdplab/bpf/catalog"}

// allowed are the plain vocabularies and helpers under kernelFacing's
// prefixes that touch no kernel: the programs' catalogue, the run
// description and its vocabularies, the search's decisions, and the
// writer's one helper.
var allowed = []string{"github.com/xdplab/xdplab/internal/atomicfile", "github.com/xdplab/xdplab/bpf/catalog",
	"github.com/xdplab/xdplab/internal/spec", "github.com/xdplab/xdplab/internal/stream", "github.com/xdplab/xdplab/internal/xdpmode",
	"github.com/xdplab/xdplab/internal/sshtarget", "github.com/xdplab/xdplab/internal/search"}

func TestDocumentsTouchNoKernel(t *testing.T) {
	gocmd, err := exec.LookPath("go") // go test puts its own go first on PATH
	require.NoError(t, err)
	for _, p := range plainData {
		out, err := exec.Command(gocmd, "list", "-deps", p).CombinedOutput()
		require.NoError(t, err, string(out))
		var bad []string
		for _, dep := range strings.Fields(string(out)) {
			if isAllowed(dep) {
				continue
			}
			for _, k := range kernelFacing {
				if dep == k || strings.HasPrefix(dep, strings.TrimSuffix(k, "/")+"/") {
					bad = append(bad, dep)
				}
			}
		}
		assert.Empty(t, bad, "%s depends on what touches a kernel", p)
	}
}

func isAllowed(dep string) bool {
	for _, a := range allowed {
		if dep == a {
			return true
		}
	}
	return false
}
