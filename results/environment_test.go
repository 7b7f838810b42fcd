package results

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/schematest"
)

func sampleEnvironment() *Environment {
	return &Environment{KernelVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.12.48-1", Cmdline: "root=/dev/vda1 mitigations=auto", Microcode: "0xa0011d5",
		Mitigations: map[string]string{"spec_rstack_overflow": "Mitigation: Safe RET"}, Preemption: "dynamic: voluntary", Governor: "performance",
		Boost: "on", SMT: "on", NICs: []NICEnvironment{{Role: "dut", Name: "enp3s0f0", Driver: "ice", DriverVersion: "6.12.48", Firmware: "4.40 0x8001",
			Rings: "rx 2048 tx 2048", Channels: "combined 8", IRQs: []string{"45 enp3s0f0-TxRx-0: cpus 0"}}}}
}

// The environment, the label and the rerun line are in the schema, and
// the table prints both.
func TestEnvironmentInResults(t *testing.T) {
	r, err := ReadFile("testdata/run-a-k6.18.json")
	require.NoError(t, err)
	r.SchemaVersion = SchemaVersion
	r.Environment, r.Label, r.Rerun = sampleEnvironment(), "v1.4.0-rc1", "xdplab run --prog drop"
	b, err := json.Marshal(r)
	require.NoError(t, err)
	schematest.ValidateJSON(t, JSONSchema, b)
	var out bytes.Buffer
	require.NoError(t, WriteTable(&out, r))
	assert.Contains(t, out.String(), "  run v1.4.0-rc1\n")
	assert.Contains(t, out.String(), "\nrerun: xdplab run --prog drop\n")

	f := r.Environment.Flat(r)
	assert.Equal(t, "Mitigation: Safe RET", f["cpu.mitigations.spec_rstack_overflow"])
	assert.Equal(t, "ice 6.12.48", f["nic.dut.driver"])
	assert.Equal(t, "combined 8", f["nic.dut.channels"])
	assert.Equal(t, r.Host.Kernel, f["kernel.release"])
	assert.Equal(t, r.Tool.Version, f["xdplab.version"])
	_, has := f["cpu.governor"]
	assert.True(t, has)
	assert.NotContains(t, (*Environment)(nil).Flat(r), "cpu.governor", "an older file has the host only")
}

// Rerun quotes for a real shell: what sh reads back is the command.
func TestRerun(t *testing.T) {
	args := []string{"xdplab", "run", "--prog", "drop,pass", "--label", "it's rc1", "--set", "tag=a b", "--remote", "ssh://root@gen:22", "-o", "/tmp/r.json", ""}
	line := Rerun(args)
	assert.Equal(t, `xdplab run --prog drop,pass --label 'it'\''s rc1' --set 'tag=a b' --remote ssh://root@gen:22 -o /tmp/r.json ''`, line)
	out, err := exec.Command("sh", "-c", `for a in `+line+`; do printf '%s\n' "$a"; done`).Output()
	require.NoError(t, err)
	var want bytes.Buffer
	for _, a := range args {
		want.WriteString(a + "\n")
	}
	assert.Equal(t, want.String(), string(out))
}
