package vm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeQEMU is a qemu-system-x86_64 on PATH that acts out one way a VM
// goes, chosen by FAKE_KVM for a KVM boot and FAKE_TCG for a TCG one, so
// that every branch of the watchdog and the fallback is decided in
// seconds, without a real hang.
const fakeQEMU = `#!/bin/sh
case "$*" in *"-accel kvm"*) mode=$FAKE_KVM ;; *) mode=$FAKE_TCG ;; esac
echo "$*" >> "$FAKE_ARGS"
case "$mode" in
silent)
	exec sleep 600 ;;
banner-hang)
	echo "[    0.000000] Linux version 6.1.0-50-amd64"
	echo "Probing EDD (edd=off to disable)... ok"
	exec sleep 600 ;;
abort)
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
	echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion failed." >&2
	kill -ABRT $$ ;;
ok)
	echo "[    0.000000] Linux version 6.1.0-50-amd64"
	echo "@@XDPLAB-INIT 6.1.0-50-amd64"
	echo "@@XDPLAB-START probe"
	echo "@@XDPLAB-ALIVE"
	echo "@@XDPLAB-STATUS probe 0"
	echo "@@XDPLAB-FILE a.json 11 b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
	echo "aGVsbG8gd29ybGQ="
	echo "@@XDPLAB-END"
	echo "@@XDPLAB-DONE"
	exit 0 ;;
stall)
	echo "@@XDPLAB-INIT 6.1.0-50-amd64"
	echo "@@XDPLAB-START run-veth"
	echo "[   12.5] watchdog: BUG: soft lockup - CPU#1 stuck for 22s!"
	exec sleep 600 ;;
heartbeat)
	echo "@@XDPLAB-INIT 6.1.0-50-amd64"
	while :; do echo "@@XDPLAB-ALIVE"; sleep 0.1; done ;;
early-poweroff)
	echo "@@XDPLAB-INIT 6.1.0-50-amd64"
	echo "Kernel panic - not syncing: Attempted to kill init!"
	exit 0 ;;
crash)
	echo "@@XDPLAB-INIT 6.1.0-50-amd64"
	exit 3 ;;
esac
`

type fake struct {
	kvmDev, args string
}

func newFake(t *testing.T, kvm, tcg string) fake {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "qemu-system-x86_64"), []byte(fakeQEMU), 0o755))
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	t.Setenv("FAKE_KVM", kvm)
	t.Setenv("FAKE_TCG", tcg)
	t.Setenv(AccelEnv, "")
	f := fake{kvmDev: filepath.Join(dir, "kvm"), args: filepath.Join(dir, "args")}
	t.Setenv("FAKE_ARGS", f.args)
	require.NoError(t, os.WriteFile(f.kvmDev, nil, 0o600))
	return f
}

// boots is the accelerator of every boot, in order.
func (f fake) boots(t *testing.T) []string {
	b, err := os.ReadFile(f.args)
	require.NoError(t, err)
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(l, "-accel kvm") {
			out = append(out, "kvm")
		} else {
			out = append(out, "tcg")
		}
	}
	return out
}

func (f fake) opts() Options {
	return Options{Kernel: "k", Initrd: "i", KVMBoot: time.Second, Stall: 1500 * time.Millisecond, Timeout: 20 * time.Second, KVMDevice: f.kvmDev}
}

// A KVM that boots to the init script is kept: one boot, no fallback.
func TestRunKVMWorks(t *testing.T) {
	f := newFake(t, "ok", "silent")
	res, err := Run(context.Background(), f.opts())
	require.NoError(t, err)
	assert.Equal(t, []string{"kvm"}, f.boots(t))
	assert.Equal(t, KVM, res.Accel.Accel)
	assert.False(t, res.FellBack)
	assert.Equal(t, "hello world", string(res.Files["a.json"]))
	require.Len(t, res.Steps, 1)
	assert.Equal(t, "probe", res.Steps[0].Name)
	assert.True(t, res.Steps[0].Ended)
	assert.Positive(t, res.Boot)
	assert.Positive(t, res.FirstOutput)
	assert.LessOrEqual(t, res.FirstOutput, res.Boot)
}

// A KVM boot that prints nothing, one that prints the kernel's first lines
// and hangs, and one where QEMU aborts: each is given up on within the
// boot deadline and the VM boots again with TCG, saying why.
func TestRunFallsBackToTCG(t *testing.T) {
	for _, c := range []struct{ kvm, why string }{
		{"silent", "KVM present but unusable here (no console output in 2s): using TCG"},
		{"banner-hang", "KVM present but unusable here (the init script did not start in 2s; its last line: Probing EDD (edd=off to disable)... ok): using TCG"},
		{"abort", "KVM present but unusable here (QEMU ended before the init script started: signal: aborted; QEMU said: qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69): using TCG"},
	} {
		t.Run(c.kvm, func(t *testing.T) {
			f := newFake(t, c.kvm, "ok")
			o := f.opts()
			// A stall deadline shorter than the boot's is not what
			// stops a KVM boot: that would be no fallback.
			o.KVMBoot, o.Stall = 2*time.Second, time.Second
			start := time.Now()
			res, err := Run(context.Background(), o)
			require.NoError(t, err)
			assert.Less(t, time.Since(start), 8*time.Second, "the boot deadline, not the VM's timeout")
			assert.Equal(t, []string{"kvm", "tcg"}, f.boots(t))
			assert.Equal(t, Choice{Accel: TCG, Why: c.why}, res.Accel)
			assert.True(t, res.FellBack)
			assert.True(t, res.Done)
			assert.Contains(t, string(res.Console), "[xdplab: ", "the KVM attempt's console is kept")
		})
	}
}

// XDPLAB_QEMU_ACCEL=kvm forces KVM: a boot that does not get anywhere is
// an error naming KVM, with no TCG boot; =tcg never tries KVM.
func TestRunForced(t *testing.T) {
	f := newFake(t, "silent", "ok")
	t.Setenv(AccelEnv, "kvm")
	res, err := Run(context.Background(), f.opts())
	var ve *Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, NoBoot, ve.Kind)
	assert.EqualError(t, err, "no console output in 1s (accel kvm); the console was empty")
	assert.Equal(t, []string{"kvm"}, f.boots(t))
	assert.False(t, res.FellBack)

	f = newFake(t, "ok", "ok")
	t.Setenv(AccelEnv, "tcg")
	res, err = Run(context.Background(), f.opts())
	require.NoError(t, err)
	assert.Equal(t, []string{"tcg"}, f.boots(t))
	assert.Equal(t, Choice{Accel: TCG, Why: "XDPLAB_QEMU_ACCEL=tcg", Forced: true}, res.Accel)

	t.Setenv(AccelEnv, "hvf")
	_, err = Run(context.Background(), f.opts())
	assert.ErrorContains(t, err, `XDPLAB_QEMU_ACCEL="hvf": use kvm or tcg`)
}

// Without a KVM device the VM boots with TCG at once, and says why.
func TestRunNoKVM(t *testing.T) {
	f := newFake(t, "ok", "ok")
	o := f.opts()
	o.KVMDevice = filepath.Join(t.TempDir(), "none")
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, []string{"tcg"}, f.boots(t))
	assert.Contains(t, res.Accel.Why, "no usable KVM")
}

// After the init script started, what goes wrong is the VM's own failure:
// no second boot, and the error says how, with the accelerator, the step
// and the console's last lines.
func TestRunFailuresAfterBoot(t *testing.T) {
	for _, c := range []struct {
		mode string
		kind ErrorKind
		want []string
		max  time.Duration
	}{
		{"stall", Stalled, []string{"the console was silent for 1.5s (accel kvm, in step run-veth)", "| [   12.5] watchdog: BUG: soft lockup"}, 8 * time.Second},
		{"heartbeat", TimedOut, []string{"the VM did not power off within 3s (accel kvm)", "| @@XDPLAB-INIT"}, 9 * time.Second},
		{"early-poweroff", Unfinished, []string{"powered off before its script ended", "| Kernel panic - not syncing"}, 8 * time.Second},
		{"crash", Exited, []string{"qemu: exit status 3 (accel kvm)"}, 8 * time.Second},
	} {
		t.Run(c.mode, func(t *testing.T) {
			f := newFake(t, c.mode, "ok")
			o := f.opts()
			o.Timeout = 3 * time.Second
			start := time.Now()
			res, err := Run(context.Background(), o)
			assert.Less(t, time.Since(start), c.max)
			var ve *Error
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, c.kind, ve.Kind)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "@@XDPLAB-ALIVE", "heartbeats are not shown")
			assert.Equal(t, []string{"kvm"}, f.boots(t), "no fallback once the init script ran")
			assert.False(t, res.FellBack)
		})
	}
}

// The watchdog's stall deadline holds under TCG too, before the init
// script: a TCG boot that prints nothing is not waited on for the VM's
// whole timeout.
func TestRunTCGSilent(t *testing.T) {
	f := newFake(t, "ok", "silent")
	t.Setenv(AccelEnv, "tcg")
	start := time.Now()
	_, err := Run(context.Background(), f.opts())
	assert.Less(t, time.Since(start), 8*time.Second)
	var ve *Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, Stalled, ve.Kind)
	assert.EqualError(t, err, "the console was silent for 1.5s (accel tcg); the console was empty")
}

// A cancelled context stops the VM and is no fallback.
func TestRunCancelled(t *testing.T) {
	f := newFake(t, "silent", "ok")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, f.opts())
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), err)
	assert.Equal(t, []string{"kvm"}, f.boots(t))
}

func TestWatcher(t *testing.T) {
	now := time.Unix(100, 0)
	w := newWatcher(now, func() time.Time { return now })
	s := w.state()
	assert.False(t, s.said)
	now = now.Add(2 * time.Second)
	assert.Equal(t, 2*time.Second, w.state().silent, "silent since the start before any byte")

	w.Write([]byte("[ 0.1] Linux version\r\n@@XDPLAB-IN"))
	assert.Equal(t, 2*time.Second, w.state().firstAt)
	assert.False(t, w.state().inited, "half a marker is no marker")
	now = now.Add(time.Second)
	w.Write([]byte("IT 6.1\n@@XDPLAB-START run-veth\n"))
	s = w.state()
	assert.True(t, s.inited)
	assert.Equal(t, 3*time.Second, s.initAt)
	assert.Equal(t, "run-veth", s.step)
	now = now.Add(5 * time.Second)
	w.Write([]byte("@@XDPLAB-ALIVE\n"))
	assert.Equal(t, 5*time.Second, w.state().stepFor)
	assert.Zero(t, w.state().silent)
	w.Write([]byte("@@XDPLAB-STATUS run-veth 4\n@@XDPLAB-START equiv\nhalf a li"))
	steps, tail := w.finish()
	assert.Equal(t, []StepTime{{Name: "run-veth", Took: 5 * time.Second, Status: 4, Ended: true}, {Name: "equiv"}}, steps)
	assert.Equal(t, []string{"[ 0.1] Linux version", "@@XDPLAB-INIT 6.1", "@@XDPLAB-START run-veth", "@@XDPLAB-STATUS run-veth 4", "@@XDPLAB-START equiv", "half a li"}, tail)

	for range 20 {
		w.Write([]byte("line\n"))
	}
	_, tail = w.finish()
	assert.Len(t, tail, tailLines)
	w.Write([]byte(strings.Repeat("x", 5000)))
	_, tail = w.finish()
	assert.Equal(t, strings.Repeat("x", 200)+"...", tail[len(tail)-1], "an endless line is cut")
}

func TestScriptPrologue(t *testing.T) {
	s := Script("echo body\n")
	assert.True(t, strings.HasPrefix(s, "#!/bin/busybox sh\n"))
	assert.Less(t, strings.Index(s, markInit), strings.Index(s, "echo body"))
	assert.Contains(t, s, "sleep 5; echo \""+markAlive+"\"")
	assert.Contains(t, SendFiles("/out"), "kill $XDPLAB_HEARTBEAT")
	assert.Less(t, strings.Index(SendFiles("/out"), "kill $XDPLAB_HEARTBEAT"), strings.Index(SendFiles("/out"), markFile), "the heartbeat stops before any file")
	assert.Equal(t, "echo \"@@XDPLAB-START x 90\"\ntimeout -k 10 90 /xdplab probe > /out/p.txt 2>&1\necho \"@@XDPLAB-STATUS x $?\"\n",
		TimedStep("x", 90*time.Second, "/xdplab probe > /out/p.txt 2>&1"))
}

// A timed step's marker carries its budget; a step that outlives it, the
// KILL after it and StuckAfter is stuck in the kernel, however busy the
// heartbeat keeps the console. An untimed step never is.
func TestStuckStep(t *testing.T) {
	w := &watcher{start: time.Now()}
	w.now = time.Now
	at := time.Now()
	w.line(markStart+"probe-vmxnet3 60", at)
	assert.Equal(t, "probe-vmxnet3", w.step)
	assert.Equal(t, 60*time.Second, w.stepBudget)
	o := Options{Timeout: time.Hour, Stall: time.Minute}
	s := state{inited: true, step: "probe-vmxnet3", stepBudget: 60 * time.Second}
	s.stepFor = 60*time.Second + killGrace + StuckAfter - time.Second
	assert.Nil(t, overdue(o, TCG, s, time.Minute))
	s.stepFor += time.Second
	e := overdue(o, TCG, s, time.Minute)
	require.NotNil(t, e)
	assert.Equal(t, Stuck, e.Kind)
	assert.Contains(t, e.Reason(), "past its budget of 1m0s and the KILL after it: a process stuck in the kernel")
	w.line(markStart+"untimed", at)
	assert.Zero(t, w.stepBudget)
	s.stepBudget = 0
	assert.Nil(t, overdue(o, TCG, s, time.Minute), "an untimed step has no budget to outlive")
}

func TestChoose(t *testing.T) {
	t.Setenv(AccelEnv, "")
	c, err := Choose(filepath.Join(t.TempDir(), "kvm"))
	require.NoError(t, err)
	assert.Equal(t, TCG, c.Accel)
	assert.False(t, c.Forced)
	dev := filepath.Join(t.TempDir(), "kvm")
	require.NoError(t, os.WriteFile(dev, nil, 0o600))
	c, err = Choose(dev)
	require.NoError(t, err)
	assert.Equal(t, KVM, c.Accel)
	assert.Equal(t, "kvm ("+c.Why+")", c.String())
}

// Each NIC pair is two devices of its model on one hub of its own.
func TestNICPairArgs(t *testing.T) {
	f := newFake(t, "ok", "ok")
	o := f.opts()
	o.NICs = []NICPair{{Model: "igb", MACs: [2]string{"52:54:00:78:01:01", "52:54:00:78:01:02"}}, {Model: "e1000e", MACs: [2]string{"m1", "m2"}}}
	_, err := Run(context.Background(), o)
	require.NoError(t, err)
	b, err := os.ReadFile(f.args)
	require.NoError(t, err)
	assert.Contains(t, string(b), "-netdev hubport,id=xl0a,hubid=0 -device igb,netdev=xl0a,mac=52:54:00:78:01:01,addr=0x4 -netdev hubport,id=xl0b,hubid=0 -device igb,netdev=xl0b,mac=52:54:00:78:01:02,addr=0x6")
	assert.Contains(t, string(b), "-netdev hubport,id=xl1a,hubid=1 -device e1000e,netdev=xl1a,mac=m1,addr=0x8 -netdev hubport,id=xl1b,hubid=1 -device e1000e,netdev=xl1b,mac=m2,addr=0xa")
	// igb's slots come first wherever it is in the list.
	assert.Equal(t, []string{"-netdev", "hubport,id=xl0a,hubid=0", "-device", "e1000e,netdev=xl0a,mac=a,addr=0x8", "-netdev", "hubport,id=xl0b,hubid=0", "-device", "e1000e,netdev=xl0b,mac=b,addr=0xa",
		"-netdev", "hubport,id=xl1a,hubid=1", "-device", "igb,netdev=xl1a,mac=c,addr=0x4", "-netdev", "hubport,id=xl1b,hubid=1", "-device", "igb,netdev=xl1b,mac=d,addr=0x6"},
		nicArgs([]NICPair{{Model: "e1000e", MACs: [2]string{"a", "b"}}, {Model: "igb", MACs: [2]string{"c", "d"}}}))
}

func TestDevices(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "qemu-system-x86_64"), []byte("#!/bin/sh\n[ \"$*\" = \"-device help\" ] || exit 1\n"+
		"echo 'Network devices:'\necho 'name \"e1000e\", bus PCI, desc \"Intel 82574L GbE Controller\"'\necho 'name \"virtio-net-pci\", bus PCI, alias \"virtio-net\"'\n"), 0o755))
	t.Setenv("PATH", dir)
	d, err := Devices(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"e1000e": true, "virtio-net-pci": true}, d)
}
