//go:build integration

package matrix

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/internal/testenv"
)

// A kernel whose VM never powers off, and one whose module does not load,
// each fail with an error naming the kernel and its console log; the
// matrix goes on and the good kernel still runs. Uses 5.10, which .ci/run's
// matrix step has in the cache.
func TestIntegrationMatrixGoesOnAfterFailures(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireTool(t, "qemu-system-x86_64")
	testenv.RequireTool(t, "apt-get")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		testenv.RequireTool(t, "busybox-static")
	}
	bin := filepath.Join(t.TempDir(), "xdplab")
	gocmd, err := exec.LookPath("go")
	if err != nil {
		gocmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(gocmd, "build", "-o", bin, "github.com/xdplab/xdplab/cmd/xdplab")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	var log bytes.Buffer
	specs := []kernels.Spec{{Name: "hang", Suite: "bullseye"}, {Name: "badmod", Suite: "bullseye"}, {Name: "5.10", Suite: "bullseye"}}
	krs, err := Run(context.Background(), Options{
		Kernels: specs, Cache: kernels.DefaultCache(), Out: t.TempDir(), Xdplab: bin, Log: &log,
		Duration: time.Second, Trials: 1, Timeout: 2 * time.Minute,
		BeforeSteps: map[string]string{
			"hang": "sleep 100000",
			// A real insmod of a module that is not one.
			"badmod": vm.Step("insmod-broken", "echo junk > /tmp/broken.ko; insmod /tmp/broken.ko"),
		},
	})
	require.NoError(t, err, log.String())
	require.Len(t, krs, 3)

	hang := krs[0]
	require.Error(t, hang.Err)
	assert.ErrorContains(t, hang.Err, "kernel hang")
	assert.ErrorContains(t, hang.Err, "did not power off within 2m0s")
	assert.ErrorContains(t, hang.Err, "console log: "+hang.Console)
	assert.FileExists(t, hang.Console)

	bad := krs[1]
	require.Error(t, bad.Err)
	assert.ErrorContains(t, bad.Err, "kernel badmod")
	assert.ErrorContains(t, bad.Err, "insmod-broken exited")

	good := krs[2]
	require.NoError(t, good.Err, log.String())
	assert.Contains(t, good.Files, "probe-veth.json")
	assert.Contains(t, good.Files, "run-veth.json")
	// The qualification suite on netdevsim: the offload control plane
	// passes, the data path does not apply.
	if assert.Contains(t, good.Files, "qualify-netdevsim.json") {
		q := readQualification(good.Files["qualify-netdevsim.json"])
		require.NotNil(t, q)
		v := map[string]string{}
		for _, c := range q.Checks {
			v[c.Name+"/"+c.Mode] = c.Verdict
		}
		assert.Equal(t, "pass", v["offload control plane/offload"])
		assert.Equal(t, "not-applicable", v["offload data path/offload"])
		assert.Equal(t, "netdevsim", q.DUT.Driver)
	}
	rows := Rows(krs)
	f := Failures(krs, rows)
	if !assert.Len(t, f, 2, "the two broken kernels, nothing about 5.10: %v", f) {
		// What the good kernel's failed steps said, before the temporary
		// directory goes.
		for step, st := range good.Status {
			if st != 0 {
				b, _ := os.ReadFile(good.Files[step+".txt"])
				t.Logf("%s exited %d:\n%s", step, st, b)
			}
		}
	}
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, krs))
	assert.Contains(t, table.String(), "kernel failed")
	assert.Contains(t, table.String(), "control plane only")
}
