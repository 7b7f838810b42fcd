package bpf

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/results"
)

// loadCollection loads spec with the verifier's statistics on and takes
// the fingerprint of its program section.
func loadCollection(spec *ebpf.CollectionSpec, opts ebpf.CollectionOptions, section string) (*ebpf.Collection, *results.Fingerprint, error) {
	if opts.Programs.LogLevel == 0 {
		opts.Programs.LogLevel = ebpf.LogLevelStats
	}
	ps := spec.Programs[section]
	start := time.Now()
	coll, err := ebpf.NewCollectionWithOptions(spec, opts)
	took := time.Since(start)
	if err != nil {
		return nil, nil, err
	}
	p := coll.Programs[section]
	if p == nil {
		coll.Close()
		return nil, nil, fmt.Errorf("program %s is not in the loaded collection", section)
	}
	return coll, Fingerprint(p, ps, took), nil
}

// Fingerprint reads what the kernel made of loaded program p: its
// verifier log (which needs the load at ebpf.LogLevelStats or higher),
// bpf_prog_info and its maps. spec, the program as loaded (linked with
// its subprograms), gives the helpers and kfuncs and tells an offloaded
// program (bound to a device, not dev-bound only); load is the wall time
// of the load. Figures the kernel does not give are NotReported with why.
func Fingerprint(p *ebpf.Program, spec *ebpf.ProgramSpec, load time.Duration) *results.Fingerprint {
	f := &results.Fingerprint{NotReported: map[string]string{}, Maps: []results.FingerprintMap{}, Helpers: []string{}, Kfuncs: []string{}}
	offloaded := spec != nil && spec.Ifindex != 0 && spec.Flags&unix.BPF_F_XDP_DEV_BOUND_ONLY == 0
	lt := uint64(load.Microseconds())
	f.LoadTimeUS = &lt
	readVerifierLog(f, p.VerifierLog)
	if spec != nil {
		f.Helpers, f.Kfuncs = calls(spec.Instructions)
	}
	info, err := p.Info()
	if err != nil {
		for _, k := range []string{"xlated_insns", "xlated_bytes", "xlated_sha256", "jit_bytes", "jit_sha256", "memlock_bytes", "maps"} {
			f.NotReported[k] = "bpf_prog_info: " + err.Error()
		}
		return finish(f)
	}
	if n, ok := info.VerifiedInstructions(); ok {
		if f.VerifiedInsns == nil {
			v := uint64(n)
			f.VerifiedInsns = &v
			delete(f.NotReported, "verified_insns")
		} else if *f.VerifiedInsns != uint64(n) {
			f.Warnings = append(f.Warnings, fmt.Sprintf("verified_insns: the verifier log says %d, bpf_prog_info %d", *f.VerifiedInsns, n))
		}
	}
	if n, err := info.TranslatedSize(); err == nil {
		b, i := uint64(n), uint64(n)/asm.InstructionSize
		f.XlatedBytes, f.XlatedInsns = &b, &i
	} else {
		f.NotReported["xlated_insns"] = "bpf_prog_info has no translated length: " + err.Error()
		f.NotReported["xlated_bytes"] = f.NotReported["xlated_insns"]
	}
	// An offloaded program runs on the device, which translated it: the
	// host dumps the device's instructions.
	if insns, err := info.Instructions(); err == nil {
		f.XlatedSHA256 = xlatedHash(insns)
	} else if offloaded {
		f.NotReported["xlated_sha256"] = "the device's translated image of an offloaded program does not decode as host BPF instructions (" + restricted(err) + ")"
	} else {
		f.NotReported["xlated_sha256"] = "the kernel gives no translated instructions: " + restricted(err)
	}
	fingerprintJIT(f, info, offloaded)
	if m, ok := info.Memlock(); ok {
		f.MemlockBytes = &m
	} else {
		f.NotReported["memlock_bytes"] = "the kernel reports no memlock for programs"
	}
	if ids, ok := info.MapIDs(); ok {
		f.Maps = progMaps(ids, f)
	} else {
		f.NotReported["maps"] = "bpf_prog_info lists no map IDs (kernel before 4.15)"
	}
	if blinded() {
		// Constant blinding rewrites every constant with a fresh random
		// key on each load: the images differ from load to load.
		why := "net.core.bpf_jit_harden=2 blinds constants with a new random key at each load, so the image differs every time"
		f.XlatedSHA256, f.JITSHA256 = "", ""
		f.NotReported["xlated_sha256"], f.NotReported["jit_sha256"] = why, why
		f.Warnings = append(f.Warnings, "net.core.bpf_jit_harden=2: xlated_insns and jit_bytes include constant blinding and are not the program's own")
	}
	return finish(f)
}

// fingerprintJIT reads the JIT image's size and hash, or why the kernel
// gives none.
func fingerprintJIT(f *results.Fingerprint, info *ebpf.ProgramInfo, offloaded bool) {
	// An offloaded program runs on the device, which translated it: the
	// host keeps no JIT image.
	const onDevice = "an offloaded program runs on the device, which translated it: the host has no JIT image of it"
	if n, err := info.JitedSize(); err == nil {
		b := uint64(n)
		f.JITBytes = &b
	} else if offloaded {
		f.NotReported["jit_bytes"] = onDevice
	} else {
		f.NotReported["jit_bytes"] = "no JIT image (net.core.bpf_jit_enable=0, or an interpreter-only kernel): " + err.Error()
	}
	img, ok := info.JitedInsns()
	switch {
	case !ok && offloaded:
		f.NotReported["jit_sha256"] = onDevice
	case !ok:
		f.NotReported["jit_sha256"] = "the kernel gives no JIT image (it hides raw images from this process: kernel.kptr_restrict, CAP_SYSLOG, or no JIT)"
	case runtime.GOARCH != "amd64":
		f.NotReported["jit_sha256"] = "masking the addresses in a JIT image is done for x86-64 only, this is " + runtime.GOARCH
	default:
		lens, _ := info.JitedFuncLens()
		if h, err := jitHash(img, lens); err != nil {
			f.NotReported["jit_sha256"] = err.Error()
		} else {
			f.JITSHA256 = h
		}
	}
}

// blinded tells whether the JIT blinds the constants of this process's
// programs (bpf_jit_harden 2 blinds everyone's; 1 only unprivileged ones).
func blinded() bool {
	b, err := os.ReadFile("/proc/sys/net/core/bpf_jit_harden")
	return err == nil && strings.TrimSpace(string(b)) == "2"
}

func finish(f *results.Fingerprint) *results.Fingerprint {
	if len(f.NotReported) == 0 {
		f.NotReported = nil
	}
	return f
}

func restricted(err error) string {
	if errors.Is(err, ebpf.ErrRestrictedKernel) {
		return "restricted by sysctl (kernel.kptr_restrict or net.core.bpf_jit_harden): " + err.Error()
	}
	return err.Error()
}

// The verifier's statistics lines (kernel/bpf/verifier.c, print_verification_stats).
var (
	reProcessed = regexp.MustCompile(`processed (\d+) insns`)
	reTotal     = regexp.MustCompile(`total_states (\d+)`)
	rePeak      = regexp.MustCompile(`peak_states (\d+)`)
	reTime      = regexp.MustCompile(`verification time (\d+) usec`)
	reStack     = regexp.MustCompile(`stack depth ([0-9+]+)`)
)

// readVerifierLog takes the statistics out of a verifier log.
func readVerifierLog(f *results.Fingerprint, log string) {
	num := func(re *regexp.Regexp, key string) *uint64 {
		m := re.FindStringSubmatch(log)
		if m == nil {
			if log == "" {
				f.NotReported[key] = "the kernel wrote no verifier log"
			} else {
				f.NotReported[key] = fmt.Sprintf("the verifier log has no %q line", strings.Fields(re.String())[0])
			}
			return nil
		}
		v, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			f.NotReported[key] = fmt.Sprintf("the verifier log's %q: %v", m[0], err)
			return nil
		}
		return &v
	}
	f.VerifiedInsns = num(reProcessed, "verified_insns")
	f.TotalStates = num(reTotal, "total_states")
	f.PeakStates = num(rePeak, "peak_states")
	f.VerifyTimeUS = num(reTime, "verify_time_us")
	if m := reStack.FindStringSubmatch(log); m != nil {
		// One figure per subprogram: "stack depth 8+0+16".
		var sum uint64
		for _, part := range strings.Split(m[1], "+") {
			v, err := strconv.ParseUint(part, 10, 64)
			if err != nil {
				f.NotReported["stack_depth"] = fmt.Sprintf("the verifier log's %q: %v", m[0], err)
				return
			}
			sum += v
		}
		f.StackDepth = &sum
	} else if log == "" {
		f.NotReported["stack_depth"] = "the kernel wrote no verifier log"
	} else {
		f.NotReported["stack_depth"] = `the verifier log has no "stack depth" line`
	}
}

// calls lists the helpers and kfuncs insns call, sorted, each once.
func calls(insns asm.Instructions) (helpers, kfuncs []string) {
	helpers, kfuncs = []string{}, []string{}
	for _, ins := range insns {
		switch {
		case ins.IsBuiltinCall():
			n := helperName(asm.BuiltinFunc(ins.Constant))
			if !slices.Contains(helpers, n) {
				helpers = append(helpers, n)
			}
		case ins.IsKfuncCall():
			n := ins.Reference()
			if n == "" {
				n = fmt.Sprintf("btf_id:%d", ins.Constant)
			}
			if !slices.Contains(kfuncs, n) {
				kfuncs = append(kfuncs, n)
			}
		}
	}
	slices.Sort(helpers)
	slices.Sort(kfuncs)
	return helpers, kfuncs
}

// xlatedHash hashes translated instructions with every map reference's ID
// replaced by the map's order of first use (IDs differ between loads, the
// code does not) and the targets of helper and kfunc calls masked: the
// kernel writes a helper's address as its offset from __bpf_call_base and
// a kfunc as its BTF ID, both of which move between kernel builds (6.1
// and 6.1-rt), while which helpers a program calls is in Helpers.
func xlatedHash(insns asm.Instructions) string {
	order := map[uint32]uint32{}
	h := sha256.New()
	var buf [16]byte
	for _, ins := range insns {
		c := ins.Constant
		if ins.IsBuiltinCall() || ins.IsKfuncCall() {
			c = 0
		}
		if ins.IsLoadFromMap() {
			id := uint32(c)
			n, ok := order[id]
			if !ok {
				n = uint32(len(order))
				order[id] = n
			}
			c = c&^0xffffffff | int64(n)
		}
		buf[0] = byte(ins.OpCode)
		buf[1] = byte(ins.Dst)
		buf[2] = byte(ins.Src)
		buf[3] = 0
		binary.LittleEndian.PutUint32(buf[4:8], uint32(ins.Offset))
		binary.LittleEndian.PutUint64(buf[8:16], uint64(c))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// jitHash hashes an x86-64 JIT image with what differs between loads of
// the same program masked: 64-bit immediates (the JIT loads map and
// per-CPU addresses with movabs) and the rel32 of calls and jumps whose
// target is outside their function (helpers, the return thunk,
// subprograms). lens are the functions' lengths, in image order.
func jitHash(img []byte, lens []uint32) (string, error) {
	masked := slices.Clone(img)
	if len(lens) == 0 {
		lens = []uint32{uint32(len(img))}
	}
	start := 0
	for fi, l := range lens {
		end := start + int(l)
		if end > len(img) {
			return "", fmt.Errorf("JIT function %d ends at %d, past the image's %d bytes", fi, end, len(img))
		}
		for off := start; off < end; {
			if bytes.HasPrefix(img[off:end], endbr64) {
				off += len(endbr64) // IBT's landing pad, which x86asm does not know
				continue
			}
			inst, err := x86asm.Decode(img[off:end], 64)
			if err != nil {
				return "", fmt.Errorf("cannot decode the JIT image at byte %d (%x): %v", off, img[off:min(off+8, end)], err)
			}
			n := inst.Len
			if isMovabs(img[off : off+n]) {
				clear(masked[off+n-8 : off+n])
			}
			for _, a := range inst.Args {
				switch a := a.(type) {
				case x86asm.Rel:
					if t := off + n + int(a); n >= 5 && (t < start || t >= end) {
						clear(masked[off+n-4 : off+n])
					}
				case x86asm.Mem:
					// A per-CPU variable (gs: and an absolute address:
					// from 6.15 on, a kernel address KASLR moves) or data
					// relative to the image: the displacement is no code.
					if a.Segment != 0 && a.Base == 0 && a.Index == 0 || a.Base == x86asm.RIP {
						maskDisp(masked[off:off+n], img[off:off+n], a.Disp)
					}
				}
			}
			off += n
		}
		start = end
	}
	sum := sha256.Sum256(masked)
	return hex.EncodeToString(sum[:]), nil
}

// maskDisp clears the 32-bit displacement disp in one instruction's bytes
// (x86asm does not say where in them it is).
func maskDisp(masked, inst []byte, disp int64) {
	var le [4]byte
	binary.LittleEndian.PutUint32(le[:], uint32(int32(disp)))
	if i := bytes.LastIndex(inst, le[:]); i >= 0 {
		clear(masked[i : i+4])
	}
}

// endbr64 opens every function of a kernel built with IBT (Debian's 6.12
// and later).
var endbr64 = []byte{0xf3, 0x0f, 0x1e, 0xfa}

// isMovabs tells whether b is "mov r64, imm64": REX.W, then B8+r, then
// eight bytes.
func isMovabs(b []byte) bool {
	return len(b) == 10 && b[0]&0xf8 == 0x48 && b[1]&0xf8 == 0xb8
}

// progMaps describes the maps of ids, sorted by name.
func progMaps(ids []ebpf.MapID, f *results.Fingerprint) []results.FingerprintMap {
	out := []results.FingerprintMap{}
	for _, id := range ids {
		m, err := ebpf.NewMapFromID(id)
		if err != nil {
			f.Warnings = append(f.Warnings, fmt.Sprintf("map ID %d: %v", id, err))
			continue
		}
		info, err := m.Info()
		m.Close()
		if err != nil {
			f.Warnings = append(f.Warnings, fmt.Sprintf("map ID %d: %v", id, err))
			continue
		}
		fm := results.FingerprintMap{Name: info.Name, Type: info.Type.String(), KeySize: info.KeySize, ValueSize: info.ValueSize, MaxEntries: info.MaxEntries}
		if ml, ok := info.Memlock(); ok {
			fm.MemlockBytes = &ml
		}
		out = append(out, fm)
	}
	slices.SortFunc(out, func(a, b results.FingerprintMap) int { return strings.Compare(a.Name, b.Name) })
	return out
}
