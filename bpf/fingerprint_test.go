package bpf

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

// A verifier log at BPF_LOG_STATS as kernel 6.18 writes it.
const statsLog = "func#0 @0\nverification time 177 usec\nstack depth 8+0+16\n" +
	"processed 28 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 3 mark_read 1\n"

func TestReadVerifierLog(t *testing.T) {
	f := &results.Fingerprint{NotReported: map[string]string{}}
	readVerifierLog(f, statsLog)
	assert.Empty(t, f.NotReported)
	for name, want := range map[string]uint64{"verified": 28, "total": 2, "peak": 3, "time": 177, "stack": 24} {
		got := map[string]*uint64{"verified": f.VerifiedInsns, "total": f.TotalStates, "peak": f.PeakStates, "time": f.VerifyTimeUS, "stack": f.StackDepth}[name]
		require.NotNil(t, got, name)
		assert.Equal(t, want, *got, name)
	}
}

// A figure the log lacks is not reported, with why, and never 0.
func TestReadVerifierLogMissing(t *testing.T) {
	f := &results.Fingerprint{NotReported: map[string]string{}}
	readVerifierLog(f, "processed 12 insns (limit 1000000)\n")
	require.NotNil(t, f.VerifiedInsns)
	assert.Equal(t, uint64(12), *f.VerifiedInsns)
	assert.Nil(t, f.TotalStates)
	assert.Nil(t, f.StackDepth)
	assert.Contains(t, f.NotReported["total_states"], `no "total_states" line`)
	assert.Contains(t, f.NotReported["stack_depth"], `no "stack depth" line`)

	f = &results.Fingerprint{NotReported: map[string]string{}}
	readVerifierLog(f, "")
	assert.Nil(t, f.VerifiedInsns)
	assert.Len(t, f.NotReported, 5)
	assert.Equal(t, "the kernel wrote no verifier log", f.NotReported["verified_insns"])
	assert.Equal(t, "the kernel wrote no verifier log", f.NotReported["stack_depth"])

	f = &results.Fingerprint{NotReported: map[string]string{}}
	readVerifierLog(f, "processed 99999999999999999999999 insns\n")
	assert.Nil(t, f.VerifiedInsns)
	assert.Contains(t, f.NotReported["verified_insns"], "out of range")
}

func mapLoad(id uint32, off uint32) asm.Instruction {
	ins := asm.LoadMapValue(asm.R1, 0, off)
	ins.Constant = int64(off)<<32 | int64(id)
	return ins
}

// The translated image's hash is blind to map IDs, which change from load
// to load, but not to which map is used where, nor to any other change.
func TestXlatedHash(t *testing.T) {
	prog := func(a, b uint32, ret int32) asm.Instructions {
		return asm.Instructions{
			mapLoad(a, 0), mapLoad(b, 8), mapLoad(a, 4),
			asm.Mov.Imm(asm.R0, ret), asm.Return(),
		}
	}
	base := xlatedHash(prog(17, 23, 1))
	assert.Equal(t, base, xlatedHash(prog(4, 9, 1)), "other IDs, same maps in the same places")
	assert.Equal(t, base, xlatedHash(prog(23, 17, 1)), "IDs swapped: still two maps in first-use order")
	swapped := asm.Instructions{mapLoad(17, 0), mapLoad(23, 8), mapLoad(23, 4), asm.Mov.Imm(asm.R0, 1), asm.Return()}
	assert.NotEqual(t, base, xlatedHash(swapped), "the third load uses the other map")
	assert.NotEqual(t, base, xlatedHash(prog(17, 23, 2)), "another return value")
	other := prog(17, 23, 1)
	other[1] = mapLoad(23, 16)
	assert.NotEqual(t, base, xlatedHash(other), "another value offset")
}

// A helper's address moves between kernel builds: the hash does not see
// it, but sees a call where there was none.
func TestXlatedHashMasksCalls(t *testing.T) {
	call := func(imm int64) asm.Instructions {
		c := asm.FnMapLookupElem.Call()
		c.Constant = imm
		return asm.Instructions{c, asm.Return()}
	}
	assert.Equal(t, xlatedHash(call(0x1234)), xlatedHash(call(0x5678)))
	assert.NotEqual(t, xlatedHash(call(0x1234)), xlatedHash(asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}))
	kf := asm.Call.Label("k")
	kf.Src = asm.PseudoKfuncCall
	kf2 := kf
	kf.Constant, kf2.Constant = 100, 200
	assert.Equal(t, xlatedHash(asm.Instructions{kf, asm.Return()}), xlatedHash(asm.Instructions{kf2, asm.Return()}))
	sub := asm.Call.Label("f")
	sub.Src = asm.PseudoCall
	sub2 := sub
	sub.Constant, sub2.Constant = 3, 4
	assert.NotEqual(t, xlatedHash(asm.Instructions{sub, asm.Return()}), xlatedHash(asm.Instructions{sub2, asm.Return()}), "a call to a subprogram is the program's own")
}

func TestXlatedHashOrderIsFirstUse(t *testing.T) {
	// IDs 5 and 3 used as first and second map hash like 1 and 2.
	a := asm.Instructions{mapLoad(5, 0), mapLoad(3, 0), asm.Return()}
	b := asm.Instructions{mapLoad(1, 0), mapLoad(2, 0), asm.Return()}
	c := asm.Instructions{mapLoad(2, 0), mapLoad(2, 0), asm.Return()}
	assert.Equal(t, xlatedHash(a), xlatedHash(b))
	assert.NotEqual(t, xlatedHash(a), xlatedHash(c))
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// Two loads of the redirect program on 6.18: they differ in the movabs of
// a map address and in the rel32 of the call to a helper and of the jump
// to the return thunk, and hash the same.
func TestJITHashMasksRelocations(t *testing.T) {
	// push rbp; movabs rsi, imm64; call rel32; jmp +2 (inside); nop; nop; ret; jmp rel32 (out)
	img := func(addr, call, thunk string) []byte {
		return unhex(t, "55"+"48be"+addr+"e8"+call+"eb02"+"90"+"90"+"c3"+"e9"+thunk)
	}
	a := img("00e0360200c9ffff", "3fec55c1", "93fd26c2")
	b := img("00e0320200c9ffff", "4feb55c1", "a3fc26c2")
	ha, err := jitHash(a, nil)
	require.NoError(t, err)
	hb, err := jitHash(b, nil)
	require.NoError(t, err)
	assert.Equal(t, ha, hb)

	// An internal jump to elsewhere is another program.
	c := unhex(t, "55"+"48be"+"00e0360200c9ffff"+"e8"+"3fec55c1"+"eb01"+"90"+"90"+"c3"+"e9"+"93fd26c2")
	hc, err := jitHash(c, nil)
	require.NoError(t, err)
	assert.NotEqual(t, ha, hc)

	// A 32-bit immediate is code, not an address.
	d := unhex(t, "b801000000c3")
	e := unhex(t, "b802000000c3")
	hd, _ := jitHash(d, nil)
	he, _ := jitHash(e, nil)
	assert.NotEqual(t, hd, he)
}

// Kernels built with IBT (Debian 6.12 and later) open each function with
// endbr64, which x86asm does not decode: it is skipped, and hashed.
func TestJITHashEndbr64(t *testing.T) {
	a := unhex(t, "f30f1efa"+"0f1f440000"+"48be00e0360200c9ffff"+"c3")
	b := unhex(t, "f30f1efa"+"0f1f440000"+"48be00e0320200c9ffff"+"c3")
	ha, err := jitHash(a, nil)
	require.NoError(t, err)
	hb, err := jitHash(b, nil)
	require.NoError(t, err)
	assert.Equal(t, ha, hb)
	hc, err := jitHash(a[4:], nil)
	require.NoError(t, err)
	assert.NotEqual(t, ha, hc, "the landing pad is part of the code")
}

// A call into the program's own function is code; one to another function
// of the image (a subprogram, allocated apart) is masked.
func TestJITHashFunctions(t *testing.T) {
	// f0: call +0 (to its own next insn); ret. f1: ret
	own := unhex(t, "e800000000c3"+"c3")
	ownOther := unhex(t, "e801000000c3"+"c3")
	h1, err := jitHash(own, []uint32{6, 1})
	require.NoError(t, err)
	h2, err := jitHash(ownOther, []uint32{6, 1})
	require.NoError(t, err)
	assert.Equal(t, h1, h2, "call +1 leaves function 0 (6 bytes): masked")
	h3, err := jitHash(own, []uint32{7})
	require.NoError(t, err)
	h4, err := jitHash(ownOther, []uint32{7})
	require.NoError(t, err)
	assert.NotEqual(t, h3, h4, "in one 7-byte function both calls stay inside")

	_, err = jitHash(own, []uint32{6, 5})
	assert.ErrorContains(t, err, "past the image's 7 bytes")
	_, err = jitHash(unhex(t, "0f0b06"), nil)
	assert.ErrorContains(t, err, "cannot decode the JIT image at byte 2")
}

func TestCalls(t *testing.T) {
	kf := asm.Call.Label("bpf_xdp_metadata_rx_hash")
	kf.Src = asm.PseudoKfuncCall
	h, k := calls(asm.Instructions{
		asm.FnRedirectMap.Call(), asm.FnMapLookupElem.Call(), asm.FnRedirectMap.Call(), kf, asm.Return(),
	})
	assert.Equal(t, []string{"bpf_map_lookup_elem", "bpf_redirect_map"}, h)
	assert.Equal(t, []string{"bpf_xdp_metadata_rx_hash"}, k)
	h, k = calls(asm.Instructions{asm.Return()})
	assert.NotNil(t, h)
	assert.NotNil(t, k)
	assert.Empty(t, h)
}

// The drop program's JIT image from two boots of Debian's 7.2.13 (sid):
// KASLR moved its map addresses and, since per-CPU variables became
// plain kernel addresses (6.15), the gs: displacement of its per-CPU
// stats lookup. The two hash the same.
func TestJITHashTwoBoots(t *testing.T) {
	var hs []string
	for _, f := range []string{"testdata/jit/drop-7.2.13-boot1.hex", "testdata/jit/drop-7.2.13-boot2.hex"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		img, err := hex.DecodeString(strings.TrimSpace(string(b)))
		require.NoError(t, err)
		h, err := jitHash(img, nil)
		require.NoError(t, err)
		hs = append(hs, h)
	}
	assert.Equal(t, hs[0], hs[1])
}

// A gs: absolute displacement and a RIP-relative one are masked; a
// displacement from a register is the program's own.
func TestJITHashMasksDisplacements(t *testing.T) {
	h := func(s string) string {
		v, err := jitHash(unhex(t, s), nil)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, h("654803042528408285c3"), h("654803042528409999c3"), "add rax, gs:[disp32]")
	assert.Equal(t, h("488b0511223344c3"), h("488b0555667788c3"), "mov rax, [rip+disp32]")
	assert.NotEqual(t, h("488b4708c3"), h("488b4710c3"), "mov rax, [rdi+8] against [rdi+16]")
}
