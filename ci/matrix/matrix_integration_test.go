//go:build integration

package matrix

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// The QEMU of this test: where xdplab asks for KVM it runs TCG with the
// vCPUs stopped (-S), a real QEMU that says nothing, as a PVM KVM host
// does; every boot is logged.
const silentKVM = `#!/bin/sh
echo "$*" >> "$QEMU_LOG"
case "$*" in *"-accel kvm"*) ;; *) exec "$REAL_QEMU" "$@" ;; esac
for a do
	shift
	case "$a" in kvm) a=tcg ;; host) a=max ;; esac
	set -- "$@" "$a"
done
exec "$REAL_QEMU" "$@" -S
`

// A KVM that boots nothing costs the matrix one boot deadline: the first
// kernel boots again with TCG and the others start with TCG, all saying
// why. A kernel whose VM goes silent, and one whose module does not load,
// each fail with an error naming the kernel, the accelerator and its
// console log; the matrix goes on and the good kernel still runs. Uses
// 5.10, which .ci/run's matrix step has in the cache.
func TestIntegrationMatrixGoesOnAfterFailures(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireTool(t, "qemu-system-x86_64")
	testenv.RequireTool(t, "apt-get")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		testenv.RequireTool(t, "busybox-static")
	}
	bin := buildXdplab(t)

	real, err := exec.LookPath("qemu-system-x86_64")
	require.NoError(t, err)
	wrap := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(wrap, "qemu-system-x86_64"), []byte(silentKVM), 0o755))
	qlog := filepath.Join(wrap, "boots")
	t.Setenv("PATH", wrap+":"+os.Getenv("PATH"))
	t.Setenv("REAL_QEMU", real)
	t.Setenv("QEMU_LOG", qlog)
	t.Setenv(vm.AccelEnv, "")
	kvmDev := filepath.Join(wrap, "kvm") // a KVM that opens
	require.NoError(t, os.WriteFile(kvmDev, nil, 0o600))

	var log bytes.Buffer
	specs := []kernels.Spec{{Name: "hang", Suite: "bullseye"}, {Name: "badmod", Suite: "bullseye"}, {Name: "5.10", Suite: "bullseye"}}
	start := time.Now()
	krs, err := Run(context.Background(), Options{
		Kernels: specs, Cache: kernels.DefaultCache(), Out: t.TempDir(), Xdplab: bin, Log: &log,
		Duration: time.Second, Trials: 1, Stall: 15 * time.Second, KVMDevice: kvmDev,
		BeforeSteps: map[string]string{
			// The guest goes silent: no heartbeat, nothing on the console.
			"hang": "kill $XDPLAB_HEARTBEAT; sleep 100000",
			// A real insmod of a module that is not one.
			"badmod": vm.Step("insmod-broken", "echo junk > /tmp/broken.ko; insmod /tmp/broken.ko"),
		},
	})
	require.NoError(t, err, log.String())
	require.Len(t, krs, 3)
	t.Logf("three kernels in %s:\n%s", time.Since(start).Round(time.Second), log.String())

	// One KVM boot in all, then TCG.
	boots, err := os.ReadFile(qlog)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(boots), "-accel kvm"), string(boots))
	assert.Equal(t, 3, strings.Count(string(boots), "-accel tcg"), string(boots))
	why := "KVM present but unusable here (no console output in 20s): using TCG"
	for _, kr := range krs {
		assert.Equal(t, vm.Choice{Accel: vm.TCG, Why: why}, kr.Accel, kr.Spec.Name)
	}
	assert.Equal(t, 1, strings.Count(log.String(), "matrix: "+why+", for every kernel of this matrix"), log.String())

	hang := krs[0]
	require.Error(t, hang.Err)
	assert.ErrorContains(t, hang.Err, "kernel hang")
	assert.ErrorContains(t, hang.Err, "the console was silent for 15s (accel tcg)")
	assert.ErrorContains(t, hang.Err, "console log: "+hang.Console)
	assert.FileExists(t, hang.Console)

	bad := krs[1]
	require.Error(t, bad.Err)
	assert.ErrorContains(t, bad.Err, "kernel badmod")
	assert.ErrorContains(t, bad.Err, "insmod-broken exited")

	good := krs[2]
	require.NoError(t, good.Err, log.String())
	assert.Contains(t, good.Files, "probe-veth.json")
	if assert.Contains(t, good.Files, "run-veth.json") {
		r, err := results.ReadFile(good.Files["run-veth.json"])
		require.NoError(t, err)
		assert.Contains(t, r.Environment.Cmdline, "xdplab.accel=tcg", "the guest's results say which accelerator ran them")
	}
	assert.Positive(t, good.Boot)
	var names []string
	for _, st := range good.Steps {
		names = append(names, st.Name)
		assert.True(t, st.Ended, st.Name)
	}
	assert.Contains(t, names, "run-veth")
	// The qualification suite on netdevsim: the offload control plane
	// passes, the data path does not apply.
	if assert.Contains(t, good.Files, "qualify-netdevsim.json") {
		q := readQualification(good.Files["qualify-netdevsim.json"])
		require.NotNil(t, q)
		v := map[string]results.Verdict{}
		for _, c := range q.Checks {
			v[c.Name+"/"+c.Mode] = c.Verdict
		}
		assert.Equal(t, results.VerdictPass, v["offload control plane/offload"])
		assert.Equal(t, results.VerdictNotApplicable, v["offload data path/offload"])
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

// buildXdplab builds a static xdplab, as the VMs get it.
func buildXdplab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xdplab")
	gocmd, err := exec.LookPath("go") // go test puts its own go first on PATH
	require.NoError(t, err)
	build := exec.Command(gocmd, "build", "-o", bin, "github.com/xdplab/xdplab/cmd/xdplab")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// The journal check a VM runs on each NIC pair, run here on a pair of
// veths in the host's namespace (no rings, one channel: it says so): MTU
// and GRO off their defaults, a run that holds the pair killed with
// SIGKILL, and after xdplab clean every setting as it was. With a clean
// that does nothing the check says "differs": it can fail.
func TestIntegrationJournalCheckScript(t *testing.T) {
	testenv.RequireRoot(t)
	for _, tool := range []string{"ethtool", "ip", "nsenter"} {
		testenv.RequireTool(t, tool)
	}
	if _, err := os.Stat("/sbin/ethtool"); err != nil {
		t.Skip("the script calls /sbin/ethtool and /sbin/ip, as in the VM")
	}
	bin := buildXdplab(t)
	script := filepath.Join(t.TempDir(), "journal-check.sh")
	require.NoError(t, os.WriteFile(script, []byte(journalCheck), 0o755))
	check := func(xdplab, dir string) (verdict, record string, out string) {
		a, b := testenv.HostVeth(t, 1500)
		if dir == "" {
			dir = t.TempDir()
		}
		cmd := exec.Command("sh", script, "veth", a, b)
		cmd.Env = append(os.Environ(), "XDPLAB="+xdplab, "OUT="+dir)
		o, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 { // 3: stuck, said in the record
			require.NoError(t, err, string(o))
		}
		rec, err := os.ReadFile(filepath.Join(dir, "journal-veth.txt"))
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(string(rec)), "\n")
		return lines[len(lines)-1], string(rec), dir
	}

	// A command that does not return (a driver stuck in the kernel) ends
	// the check, saying which, with the kernel's log beside it.
	fake := filepath.Join(t.TempDir(), "ethtool")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n[ \"$1\" = -K ] && exec sleep 4\nexec /sbin/ethtool \"$@\"\n"), 0o755))
	t.Setenv("ETHTOOL", fake)
	t.Setenv("GUARD_S", "1")
	v, rec, dir := check(bin, "")
	assert.Regexp(t, `^verdict: stuck: '\S+ -K \S+ gro off' did not return within 1 s$`, v, rec)
	assert.FileExists(t, filepath.Join(dir, "journal-veth-dmesg.txt"))
	assert.NotContains(t, rec, "lent:", "no run after a stuck command")
	assert.NotContains(t, rec, "gro not changed", "stuck, not refused")
	// The next check in the same VM would meet the same held lock.
	v, _, _ = check(bin, dir)
	assert.Equal(t, "verdict: skipped: journal-veth left a command stuck in the kernel (its lock held): this check would meet it", v)
	time.Sleep(4 * time.Second) // the fake's sleep ends
	os.Unsetenv("ETHTOOL")
	os.Unsetenv("GUARD_S")

	v, rec, _ = check(bin, "")
	assert.Equal(t, "verdict: restored", v, rec)
	assert.Contains(t, rec, "mtu 1500 -> 1400")
	assert.Contains(t, rec, "gro -> off")
	assert.Contains(t, rec, "rings not changeable")
	assert.Regexp(t, `(?m)^lent: after \d+s \S+ was in /run/netns/xdplab-\w+-dut with the run's program attached in generic mode`, rec)
	assert.Regexp(t, `(?m)^/run/netns/xdplab-\w+-dut: \S+ mtu 1400 -> 1300$`, rec, "changed again while lent")
	assert.Contains(t, rec, "xdplab run: killed (SIGKILL)")

	// A clean that restores nothing: the ports stay in the dead run's
	// namespaces, and the check sees it.
	noClean := filepath.Join(t.TempDir(), "xdplab-no-clean")
	require.NoError(t, os.WriteFile(noClean, []byte("#!/bin/sh\n[ \"$1\" = clean ] && exit 0\nexec "+bin+" \"$@\"\n"), 0o755))
	v, rec, dir = check(noClean, "")
	t.Cleanup(func() { _ = exec.Command(bin, "clean").Run() })
	assert.Regexp(t, `^verdict: differs: \d+ line\(s\), journal-veth.diff$`, v, rec)
	assert.FileExists(t, filepath.Join(dir, "journal-veth.diff"))
	out, err := exec.Command(bin, "clean").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "restored")
}
