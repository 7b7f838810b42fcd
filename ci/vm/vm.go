// Package vm boots a kernel in QEMU with an initramfs xdplab builds: busybox
// (Debian's busybox-static), a static xdplab, the kernel's modules and an
// init script; the script's files come back over the serial console. QEMU
// uses KVM where /dev/kvm exists and TCG otherwise.
package vm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
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
	for dst, src := range im.Files {
		if err := add(dst, src); err != nil {
			return err
		}
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
	Kernel  string // vmlinuz
	Initrd  string
	Memory  int // MiB, default 1024
	CPUs    int // default 2
	Timeout time.Duration
	// Console receives the serial console as it comes; the whole of it is
	// also returned.
	Console io.Writer
}

// Result is what came back from a VM.
type Result struct {
	Console []byte
	Files   map[string][]byte // sent by the init script with SendFiles, each checked against its length and SHA-256
	Status  map[string]int    // step -> exit status, sent with Step
	Done    bool              // the script reached its end
	Accel   string
	Elapsed time.Duration
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

// Markers the init script prints.
const (
	markFile   = "@@XDPLAB-FILE "
	markEnd    = "@@XDPLAB-END"
	markStatus = "@@XDPLAB-STATUS "
	markDone   = "@@XDPLAB-DONE"
)

// Step wraps a shell command so that its exit status comes back.
func Step(name, command string) string {
	return fmt.Sprintf("%s\necho \"%s%s $?\"\n", command, markStatus, name)
}

// SendFiles is the script tail that sends every file in dir back, each
// framed with its length and SHA-256.
func SendFiles(dir string) string {
	return fmt.Sprintf("for f in %s/*; do [ -f \"$f\" ] || continue; "+
		"echo \"%s$(basename $f) $(wc -c < \"$f\") $(sha256sum \"$f\" | cut -d' ' -f1)\"; base64 \"$f\"; echo \"%s\"; done\necho \"%s\"\n",
		dir, markFile, markEnd, markDone)
}

// Accel is kvm where /dev/kvm can be opened, else tcg; XDPLAB_QEMU_ACCEL
// (kvm or tcg) overrides it.
func Accel() string {
	if a := os.Getenv("XDPLAB_QEMU_ACCEL"); a == "kvm" || a == "tcg" {
		return a
	}
	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err == nil {
		f.Close()
		return "kvm"
	}
	return "tcg"
}

// Run boots the VM and waits for it to power off. Where KVM is there but
// QEMU cannot start a vCPU with it (nested virtualisation often refuses
// MSRs), it boots again with TCG.
func Run(ctx context.Context, o Options) (*Result, error) {
	accel := Accel()
	res, err := run(ctx, o, accel)
	if accel == "kvm" && err != nil && res != nil && res.Elapsed < 15*time.Second && !bytes.Contains(res.Console, []byte("Linux version")) &&
		!bytes.Contains(res.Console, []byte("@@XDPLAB")) {
		res2, err2 := run(ctx, o, "tcg")
		if res2 != nil {
			res2.Console = append([]byte(fmt.Sprintf("[xdplab: KVM failed (%v), booted again with TCG]\n%s\n", err, res.Console)), res2.Console...)
		}
		return res2, err2
	}
	return res, err
}

func run(ctx context.Context, o Options, accel string) (*Result, error) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return nil, fmt.Errorf("qemu-system-x86_64 is missing (Debian: apt-get install qemu-system-x86): %w", err)
	}
	if o.Memory == 0 {
		o.Memory = 1024
	}
	if o.CPUs == 0 {
		o.CPUs = 2
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	res := &Result{Files: map[string][]byte{}, Status: map[string]int{}, Accel: accel}
	args := []string{"-no-reboot", "-m", strconv.Itoa(o.Memory), "-smp", strconv.Itoa(o.CPUs),
		"-kernel", o.Kernel, "-initrd", o.Initrd,
		"-append", "console=ttyS0 loglevel=3 panic=-1 oops=panic",
		"-nic", "none", "-serial", "stdio", "-monitor", "none", "-display", "none"}
	if res.Accel == "kvm" {
		args = append(args, "-accel", "kvm", "-cpu", "host")
	} else {
		args = append(args, "-accel", "tcg,thread=multi", "-cpu", "max")
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, args...)
	cmd.WaitDelay = 5 * time.Second
	console := &capped{n: MaxConsole}
	w := io.Writer(console)
	if o.Console != nil {
		w = io.MultiWriter(console, o.Console)
	}
	cmd.Stdout, cmd.Stderr = w, w
	// QEMU dies with xdplab, even by SIGKILL: the parent-death signal
	// goes with the thread that started it, which stays locked until QEMU
	// has ended.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	err = cmd.Run()
	res.Elapsed = time.Since(start)
	res.Console = console.b.Bytes()
	parse(res)
	if console.cut {
		res.Errors = append(res.Errors, fmt.Sprintf("the console passed %d MiB: the rest was dropped", MaxConsole>>20))
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return res, fmt.Errorf("the VM did not power off within %s", o.Timeout)
	case err != nil:
		return res, fmt.Errorf("qemu: %w", err)
	case !res.Done:
		return res, errors.New("the VM powered off before its script ended (a kernel panic, or init died)")
	}
	return res, nil
}

// parse picks the files and statuses out of the console.
func parse(res *Result) {
	sc := bufio.NewScanner(bytes.NewReader(res.Console))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var name, sum string
	var size int
	var b64 strings.Builder
	skipped := 0
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, markFile):
			f := strings.Fields(strings.TrimPrefix(line, markFile))
			name, b64, skipped = "", strings.Builder{}, 0
			if len(f) != 3 {
				res.Errors = append(res.Errors, fmt.Sprintf("a file header without name, length and SHA-256: %.80q", line))
				continue
			}
			n, err := strconv.Atoi(f[1])
			switch {
			case !fileName.MatchString(f[0]) || f[0] == "console.log":
				res.Errors = append(res.Errors, fmt.Sprintf("file %.80q: a name the guest may not send (letters, digits, . _ -; not console.log)", f[0]))
			case err != nil || n < 0 || n > MaxFile:
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: length %q out of range (at most %d MiB)", f[0], f[1], MaxFile>>20))
			default:
				name, size, sum = f[0], n, f[2]
			}
		case line == markEnd && name != "":
			b, err := base64.StdEncoding.DecodeString(b64.String())
			got := sha256.Sum256(b)
			switch {
			case err != nil:
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: not base64 (%v; %d console lines inside it skipped)", name, err, skipped))
			case len(b) != size || hex.EncodeToString(got[:]) != sum:
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: %d bytes of %d, SHA-256 %s: it did not come back whole (%d console lines inside it skipped)",
					name, len(b), size, map[bool]string{true: "matches", false: "differs"}[hex.EncodeToString(got[:]) == sum], skipped))
			default:
				res.Files[name] = b
			}
			name = ""
		case name != "":
			t := strings.TrimSpace(line)
			if !isBase64(t) {
				skipped++ // a kernel message inside the transfer
				continue
			}
			if b64.Len()+len(t) > MaxFile*4/3+4 {
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: longer than it said", name))
				name = ""
				continue
			}
			b64.WriteString(t)
		case strings.HasPrefix(line, markStatus):
			f := strings.Fields(strings.TrimPrefix(line, markStatus))
			if len(f) == 2 {
				if v, err := strconv.Atoi(f[1]); err == nil {
					res.Status[f[0]] = v
				}
			}
		case line == markDone:
			res.Done = true
		}
	}
	if name != "" {
		res.Errors = append(res.Errors, fmt.Sprintf("file %s: the console ended inside it", name))
	}
}

func isBase64(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
