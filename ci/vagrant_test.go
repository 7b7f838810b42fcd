package ci

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
)

// The Vagrantfile parses and defines one VM per Debian kernel family
// (Debian's vagrant package; no provider is needed to validate).
func TestVagrantfileValidates(t *testing.T) {
	vagrant := testenv.RequireTool(t, "vagrant")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, vagrant, "validate", "--ignore-provider")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "Vagrantfile validated successfully")
	for _, vm := range []string{"bullseye", "bookworm", "trixie"} {
		assert.Contains(t, string(out), vm)
	}
}
