package ci

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
	// Vagrant's local state (.vagrant/) and its home go to a temporary
	// directory, never into the tree.
	tmp := t.TempDir()
	cmd.Env = append(os.Environ(), "VAGRANT_DOTFILE_PATH="+filepath.Join(tmp, "dot"), "VAGRANT_HOME="+filepath.Join(tmp, "home"))
	_, statErr := os.Stat("../.vagrant")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "Vagrantfile validated successfully")
	for _, vm := range []string{"bullseye", "bookworm", "trixie"} {
		assert.Contains(t, string(out), vm)
	}
	if os.IsNotExist(statErr) {
		assert.NoDirExists(t, "../.vagrant", "validating writes nothing into the tree")
	}
}
