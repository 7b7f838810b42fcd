package matrix

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/results"
)

func u64(v uint64) *uint64 { return &v }

// writeRun writes a results file with one result per mode, fingerprinted
// with verified insns n.
func writeRun(t *testing.T, dir, name string, n uint64, modes ...string) string {
	t.Helper()
	r, err := results.ReadFile("../../results/testdata/run-a-k6.18.json")
	require.NoError(t, err)
	r.SchemaVersion = results.SchemaVersion
	base := r.Results[0]
	r.Results = nil
	for _, m := range modes {
		res := base
		res.Mode = m
		res.ControlPlaneOnly = m == "offload"
		res.Fingerprint = &results.Fingerprint{VerifiedInsns: u64(n), JITBytes: u64(172), XlatedSHA256: "0fbb6077f893e21d63d157413140fa4a0672c1867c32a5edd9a122839c8e133d",
			NotReported: map[string]string{"jit_sha256": "hidden"}}
		r.Results = append(r.Results, res)
	}
	p := filepath.Join(dir, name)
	require.NoError(t, results.WriteFile(p, r))
	return p
}

// The matrix shows every kernel's fingerprint per mode, offload on
// netdevsim included, and a kernel without results says so; compare gets
// the netdevsim run too.
func TestMatrixFingerprints(t *testing.T) {
	dir := t.TempDir()
	krs := []*KernelRun{
		{Spec: kernels.Spec{Name: "5.10"}, Files: map[string]string{
			"run-veth.json":      writeRun(t, dir, "a.json", 30, "generic", "native"),
			"run-netdevsim.json": writeRun(t, dir, "b.json", 31, "offload"),
		}},
		{Spec: kernels.Spec{Name: "sid"}, Files: map[string]string{}},
	}
	var b bytes.Buffer
	require.NoError(t, writeFingerprints(&b, krs))
	s := b.String()
	assert.Regexp(t, `5\.10\s+generic\s+drop\s+30\s+n/r\s+n/r\s+n/r\s+n/r\s+172\s+0fbb6077f893\s+n/r`, s)
	assert.Regexp(t, `5\.10\s+native\s+drop\s+30`, s)
	assert.Regexp(t, `5\.10\s+offload\s+drop\s+31`, s)
	assert.Regexp(t, `sid\s+-\s+-\s+no fingerprint: no results from this kernel`, s)
	in := Inputs(krs)
	require.Len(t, in, 2)
	assert.Equal(t, "offload", in[1].Runs[0].Results[0].Mode)
}

// The equivalence check's verdict is shown on both veth rows; a fail, or a
// check that did not run, is a failure of the kernel, and says why.
func TestMatrixEquivalence(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, verdict results.Verdict, findings int) string {
		e := &results.Equivalence{Header: results.Header{Schema: results.EquivalenceSchema}, Verdict: verdict, Programs: []results.EquivProgram{{Findings: make([]results.Finding, findings)}}}
		p := filepath.Join(dir, name)
		require.NoError(t, results.WriteJSON(p, e))
		return p
	}
	krs := []*KernelRun{
		{Spec: kernels.Spec{Name: "6.1"}, Files: map[string]string{"equiv-veth.json": write("a.json", results.VerdictPass, 0)}},
		{Spec: kernels.Spec{Name: "6.12"}, Files: map[string]string{"equiv-veth.json": write("b.json", results.VerdictFail, 3)}},
		{Spec: kernels.Spec{Name: "sid"}, Files: map[string]string{}, Status: map[string]int{"equiv-veth": 1}},
	}
	rows := Rows(krs)
	byKernel := map[string][]string{}
	for _, r := range rows {
		if r.Device == "veth" {
			byKernel[r.Kernel] = append(byKernel[r.Kernel], r.Equiv.Text)
		}
	}
	assert.Equal(t, []string{"pass (1 programs alike)", "pass (1 programs alike)"}, byKernel["6.1"])
	assert.Equal(t, []string{"FAIL: 3 finding(s), equiv-veth.txt", "FAIL: 3 finding(s), equiv-veth.txt"}, byKernel["6.12"])
	assert.Equal(t, "not run (equiv-veth exited 1)", byKernel["sid"][0])
	f := Failures(krs, rows)
	assert.Contains(t, f, "kernel 6.12: equivalence on veth: FAIL: 3 finding(s), equiv-veth.txt")
	assert.Contains(t, f, "kernel sid: equivalence on veth: not run (equiv-veth exited 1)", "a check that did not run is no pass")
	for _, l := range f {
		assert.NotContains(t, l, "kernel 6.1: equivalence")
	}
}

// A kernel whose netdevsim did not build still gives its veth rows and
// fingerprint; its offload row says why it did not run, and is no
// failure.
func TestMatrixWithoutNetdevsim(t *testing.T) {
	dir := t.TempDir()
	kr := &KernelRun{Spec: kernels.Spec{Name: "6.1-rt"}, NoOffload: "netdevsim did not build: make: error (log /c/netdevsim-build.log)",
		Files: map[string]string{"run-veth.json": writeRun(t, dir, "a.json", 30, "generic", "native")}}
	rows := Rows([]*KernelRun{kr})
	require.Len(t, rows, 3)
	assert.Equal(t, "veth", rows[0].Device)
	assert.Equal(t, []string{"drop"}, rows[0].Programs)
	assert.Equal(t, "offload", rows[2].Mode)
	assert.Equal(t, "not run: netdevsim did not build: make: error (log /c/netdevsim-build.log)", rows[2].Attach.Text)
	assert.False(t, rows[2].Expected)
	for _, f := range Failures([]*KernelRun{kr}, rows) {
		assert.NotContains(t, f, "offload")
	}
	var b bytes.Buffer
	require.NoError(t, writeFingerprints(&b, []*KernelRun{kr}))
	assert.Regexp(t, `6\.1-rt\s+generic\s+drop\s+30`, b.String())
}

// Every row says which accelerator its kernel's VM ran with, and the
// kernel's line under the table says why.
func TestMatrixTableAccel(t *testing.T) {
	why := "KVM present but unusable here (no console output in 20s): using TCG"
	krs := []*KernelRun{
		{Spec: kernels.Spec{Name: "5.10"}, Kernel: &kernels.Kernel{Package: "linux-image-5.10.0-32-amd64", Version: "5.10.223-1"},
			Accel: vm.Choice{Accel: vm.TCG, Why: why}, Boot: 2500 * time.Millisecond, Elapsed: 31 * time.Second, Budget: 20 * time.Minute,
			Err: errors.New("boom")},
		{Spec: kernels.Spec{Name: "sid"}, Accel: vm.Choice{Accel: vm.KVM}, Files: map[string]string{}},
	}
	for _, r := range Rows(krs) {
		assert.Equal(t, map[string]vm.Accel{"5.10": vm.TCG, "sid": vm.KVM}[r.Kernel], r.Accel, r.Kernel+" "+r.Mode)
	}
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, krs))
	assert.Regexp(t, `(?m)^kernel\s+release\s+accel\s+mode`, b.String())
	assert.Regexp(t, `(?m)^5\.10\s+tcg\s+generic\s+-\s+kernel failed`, b.String())
	assert.Regexp(t, `(?m)^sid\s+kvm\s+generic\s+veth`, b.String())
	assert.Contains(t, b.String(), "5.10: linux-image-5.10.0-32-amd64 5.10.223-1, tcg ("+why+"), boot 2.5s, VM 31s of 20m0s;")
}
