// Package vm boots a kernel in QEMU with an initramfs xdplab builds: busybox
// (Debian's busybox-static), a static xdplab, the kernel's modules and an
// init script; the script's files come back over the serial console. QEMU
// uses KVM where /dev/kvm opens and TCG otherwise; a KVM boot that does
// not reach the init script in time boots again with TCG. A watchdog
// stops a VM whose console goes silent or that runs past its time. It
// needs qemu-system-x86_64 (and read-write /dev/kvm for KVM); its errors
// are *Error, naming the accelerator, the step and the console's last
// lines.
package vm

import (
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/u-root/u-root/pkg/cpio"
)

// Busybox is where Debian's busybox-static puts its binary.
const Busybox = "/bin/busybox"

// Image is what goes into an initramfs.
type Image struct {
	Busybox string            // a static busybox; default Busybox
	Files   map[string]string // path in the image -> file on the host
	Texts   map[string]string // path in the image -> its content (scripts)
	Init    string            // the /init script (busybox sh)
}

// Build writes a gzipped newc initramfs.
func (im Image) Build(out string) error {
	bb := im.Busybox
	if bb == "" {
		bb = Busybox
	}
	if err := checkStatic(bb); err != nil {
		return err
	}
	recs := []cpio.Record{
		cpio.Directory("bin", 0o755), cpio.Directory("dev", 0o755), cpio.Directory("proc", 0o755),
		cpio.Directory("sys", 0o755), cpio.Directory("run", 0o755), cpio.Directory("tmp", 0o1777),
		cpio.Directory("var", 0o755), cpio.Symlink("var/run", "/run"), cpio.Directory("out", 0o755),
		cpio.CharDev("dev/console", 0o600, 5, 1), cpio.CharDev("dev/null", 0o666, 1, 3),
		cpio.StaticFile("init", im.Init, 0o755),
	}
	add := func(dst, src string) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("initramfs: %w", err)
		}
		recs = append(recs, cpio.StaticFile(strings.TrimPrefix(dst, "/"), string(b), 0o755))
		return nil
	}
	if err := add("bin/busybox", bb); err != nil {
		return err
	}
	for _, dst := range slices.Sorted(maps.Keys(im.Files)) {
		if err := add(dst, im.Files[dst]); err != nil {
			return err
		}
	}
	for _, dst := range slices.Sorted(maps.Keys(im.Texts)) {
		recs = append(recs, cpio.StaticFile(strings.TrimPrefix(dst, "/"), im.Texts[dst], 0o755))
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	w := cpio.Newc.Writer(zw)
	if err := cpio.WriteRecordsAndDirs(w, recs); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	if err := cpio.WriteTrailer(w); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// checkStatic refuses anything but a static ELF executable (no program
// interpreter): the initramfs has no dynamic loader.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("busybox %s: %w (Debian: apt-get install busybox-static)", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: the initramfs needs busybox-static", path)
		}
	}
	return nil
}

// Options boot one VM.
type Options struct {
	Kernel string // vmlinuz
	Initrd string
	Memory int // MiB, default 1024
	CPUs   int // default 2
	// Timeout bounds the whole VM; the caller sizes it to the script's
	// work. Default 10 minutes.
	Timeout time.Duration
	// Accel is the accelerator; the zero value is Choose's. A KVM choice
	// that is not forced falls back to TCG when the boot does not reach
	// the init script within KVMBoot.
	Accel Choice
	// KVMBoot is how long a KVM boot may take to reach the init script
	// (default DefaultKVMBoot).
	KVMBoot time.Duration
	// Stall ends a VM whose console says nothing for this long (default
	// DefaultStall): the init script's heartbeat keeps a live guest's
	// console busy.
	Stall time.Duration
	// Cmdline is added to the kernel's command line.
	Cmdline string
	// NICs are pairs of emulated NICs, each pair cabled back to back.
	NICs []NICPair
	// Console receives the serial console as it comes; the whole of it is
	// also returned.
	Console io.Writer
	// KVMDevice is the KVM device Choose tries (default /dev/kvm).
	KVMDevice string
}

// DefaultKVMBoot is how long a KVM boot may take to reach the init script.
// Under TCG the matrix's kernels reach it in about 6 s here, so a KVM
// that needs over three times that is no gain even where it would get
// there.
const DefaultKVMBoot = 20 * time.Second

// DefaultStall is how long a console may stay silent: nine heartbeats.
const DefaultStall = 45 * time.Second

// Result is what came back from a VM.
type Result struct {
	Console []byte
	Files   map[string][]byte // sent by the init script with SendFiles, each checked against its length and SHA-256
	Status  map[string]int    // step -> exit status, sent with Step
	Steps   []StepTime        // each step's time, in order
	Done    bool              // the script reached its end
	// Accel is the accelerator the VM ran with, and why; FellBack says a
	// KVM boot failed first (Accel.Why says how).
	Accel    Choice
	FellBack bool
	// FirstOutput is when the console said its first byte, and Boot when
	// the kernel started the init script; zero when it never did.
	FirstOutput time.Duration
	Boot        time.Duration
	Elapsed     time.Duration
	// Errors are files that did not come back whole (a kernel message
	// inside the transfer, a name refused) and a console cut at
	// MaxConsole.
	Errors []string
}

// MaxConsole bounds the console kept from one VM.
const MaxConsole = 64 << 20

// MaxFile bounds one file sent back.
const MaxFile = 32 << 20

// fileName is what a file the guest sends may be called: no paths, and
// never console.log, which the host writes itself.
var fileName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,79}$`)

// capped keeps the first n bytes written and drops the rest.
type capped struct {
	b   bytes.Buffer
	n   int
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.n - c.b.Len()
	if room < len(p) {
		c.cut = true
		if room > 0 {
			c.b.Write(p[:room])
		}
		return len(p), nil
	}
	return c.b.Write(p)
}

// Run boots the VM and waits for it to power off. Where KVM is the
// choice but the boot does not reach the init script within KVMBoot (a
// nested KVM that aborts, or hangs with an empty console), it boots again
// with TCG, unless XDPLAB_QEMU_ACCEL forced KVM. A console silent for
// Stall, or a VM past Timeout, is stopped; the error (an *Error) names
// the accelerator, the step and the console's last lines.
func Run(ctx context.Context, o Options) (*Result, error) {
	choice := o.Accel
	if choice.Accel == "" {
		c, err := Choose(o.KVMDevice)
		if err != nil {
			return nil, err
		}
		choice = c
	}
	res, err := run(ctx, o, choice)
	var ve *Error
	if choice.Accel != KVM || choice.Forced || ctx.Err() != nil || !errors.As(err, &ve) || ve.Kind != NoBoot {
		return res, err
	}
	why := ve.Reason()
	if l := telling(ve.Last); l != "" {
		why += "; " + l
	}
	fb := Choice{Accel: TCG, Why: "KVM present but unusable here (" + why + "): using TCG"}
	res2, err2 := run(ctx, o, fb)
	if res2 != nil {
		res2.FellBack = true
		res2.Console = append([]byte(fmt.Sprintf("[xdplab: %s]\n%s\n[xdplab: the TCG boot]\n", ve.Error(), res.Console)), res2.Console...)
	}
	return res2, err2
}

func run(ctx context.Context, o Options, choice Choice) (*Result, error) {
	qemu, err := qemuPath()
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	res := &Result{Files: map[string][]byte{}, Status: map[string]int{}, Accel: choice}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, qemuArgs(o, choice.Accel)...)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	console := &capped{n: MaxConsole}
	watch := newWatcher(start, time.Now)
	ws := []io.Writer{console, watch}
	if o.Console != nil {
		ws = append(ws, o.Console)
	}
	w := io.MultiWriter(ws...)
	cmd.Stdout, cmd.Stderr = w, w
	// QEMU dies with xdplab, even by SIGKILL: the parent-death signal
	// goes with the thread that started it, which stays locked until QEMU
	// has ended.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stop := watchdog(watch, o, choice.Accel, start, cancel)
	runtime.LockOSThread()
	err = cmd.Run()
	runtime.UnlockOSThread()
	stopped := stop()
	res.Elapsed = time.Since(start)
	res.Console = console.b.Bytes()
	parse(res)
	if console.cut {
		res.Errors = append(res.Errors, fmt.Sprintf("the console passed %d MiB: the rest was dropped", MaxConsole>>20))
	}
	st := watch.state()
	if st.inited {
		res.Boot = st.initAt
	}
	if st.said {
		res.FirstOutput = st.firstAt
	}
	steps, last := watch.finish()
	res.Steps = steps
	fail := func(e *Error) (*Result, error) {
		e.Accel, e.After, e.Last = choice.Accel, res.Elapsed, last
		if n := len(steps); n > 0 && !steps[n-1].Ended {
			e.Step = steps[n-1].Name
		}
		return res, e
	}
	switch {
	case stopped != nil:
		return fail(stopped)
	case ctx.Err() != nil:
		return res, fmt.Errorf("the VM was stopped: %w", context.Cause(ctx))
	case err != nil && !st.inited:
		return fail(&Error{Kind: NoBoot, Said: st.said, Err: err})
	case err != nil:
		return fail(&Error{Kind: Exited, Err: err})
	case !res.Done:
		return fail(&Error{Kind: Unfinished, Said: st.said})
	}
	return res, nil
}

// qemuPath finds QEMU, or says how to install it.
func qemuPath() (string, error) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return "", fmt.Errorf("qemu-system-x86_64 is missing (Debian: apt-get install qemu-system-x86): %w", err)
	}
	return qemu, nil
}

// withDefaults fills what the caller left out.
func (o Options) withDefaults() Options {
	if o.Memory == 0 {
		o.Memory = 1024
	}
	if o.CPUs == 0 {
		o.CPUs = 2
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.KVMBoot == 0 {
		o.KVMBoot = DefaultKVMBoot
	}
	if o.Stall == 0 {
		o.Stall = DefaultStall
	}
	return o
}

// qemuArgs is QEMU's command line for o with accelerator a. The
// kernel's own boot lines go to the console (the init script quiets it
// to errors once it starts), so a boot that stops shows where;
// xdplab.accel tells the guest's results which accelerator ran them
// (their environment records the command line).
func qemuArgs(o Options, a Accel) []string {
	cmdline := strings.TrimSpace("console=ttyS0 panic=-1 oops=panic xdplab.accel=" + string(a) + " " + o.Cmdline)
	args := []string{"-no-reboot", "-m", strconv.Itoa(o.Memory), "-smp", strconv.Itoa(o.CPUs),
		"-kernel", o.Kernel, "-initrd", o.Initrd, "-append", cmdline,
		"-nic", "none", "-serial", "stdio", "-monitor", "none", "-display", "none"}
	args = append(args, nicArgs(o.NICs)...)
	if a == KVM {
		return append(args, "-accel", "kvm", "-cpu", "host")
	}
	return append(args, "-accel", "tcg,thread=multi", "-cpu", "max")
}

// overdue is the deadline a VM has passed after ran, if any: the whole
// VM's, KVM's boot deadline (which rules until the init script starts,
// so that a silent KVM boot falls back rather than stalls), a console
// silent for Stall, or a timed step that outlived its budget and KILL.
func overdue(o Options, a Accel, s state, ran time.Duration) *Error {
	kvmBoot := a == KVM && !s.inited
	switch {
	case ran >= o.Timeout:
		return &Error{Kind: TimedOut, Limit: o.Timeout, Said: s.said}
	case kvmBoot && ran >= o.KVMBoot:
		return &Error{Kind: NoBoot, Limit: o.KVMBoot, Said: s.said}
	case !kvmBoot && s.silent >= o.Stall:
		return &Error{Kind: Stalled, Limit: o.Stall, Said: s.said}
	case s.stepBudget > 0 && s.stepFor >= s.stepBudget+killGrace+StuckAfter:
		return &Error{Kind: Stuck, Limit: s.stepBudget, Said: s.said}
	}
	return nil
}

// watchdog checks the deadlines ten times a second and cancels the VM
// when one passes. stop ends it and returns the deadline that stopped the
// VM, if one did.
func watchdog(w *watcher, o Options, a Accel, start time.Time, cancel func()) (stop func() *Error) {
	var stopped *Error
	done, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if stopped = overdue(o, a, w.state(), time.Since(start)); stopped != nil {
				cancel()
				return
			}
		}
	}()
	return func() *Error {
		close(done)
		<-watched
		return stopped
	}
}

// telling is the console line that best says why a boot failed: QEMU's
// first word about it, else the kernel's last.
func telling(last []string) string {
	for _, l := range last {
		if strings.HasPrefix(l, "qemu-system-") {
			return "QEMU said: " + l
		}
	}
	if n := len(last); n > 0 {
		return "its last line: " + last[n-1]
	}
	return ""
}
