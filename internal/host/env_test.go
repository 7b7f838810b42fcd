package host

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture lays out files under a fake root and points sysRoot at it.
func fixture(t *testing.T, files map[string]string) {
	t.Helper()
	root := t.TempDir()
	for p, v := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(v+"\n"), 0o644))
	}
	old := sysRoot
	sysRoot = root
	t.Cleanup(func() { sysRoot = old })
}

func TestEnvironment(t *testing.T) {
	fixture(t, map[string]string{
		"proc/cmdline":            "BOOT_IMAGE=/vmlinuz root=/dev/vda1 mitigations=auto",
		"proc/sys/kernel/version": "#1 SMP PREEMPT_DYNAMIC Debian 6.12.48-1 (2026-10-01)",
		"proc/cpuinfo":            "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nmicrocode\t: 0xa0011d5\n",
		"sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow": "Mitigation: Safe RET",
		"sys/devices/system/cpu/vulnerabilities/spectre_v2":           "Mitigation: Retpolines",
		"sys/devices/system/cpu/cpu0/cpufreq/scaling_governor":        "performance",
		"sys/devices/system/cpu/cpufreq/boost":                        "0",
		"sys/devices/system/cpu/smt/control":                          "on",
		"sys/kernel/debug/sched/preempt":                              "none (voluntary) full lazy",
		"proc/interrupts":                                             "           CPU0       CPU1\n 45:    1000   0   PCI-MSI 1-edge  enp3s0f0-TxRx-0\n 46:  2 3 PCI-MSI enp3s0f0-TxRx-1\n 47: 1 1 PCI-MSI enp3s0f1-TxRx-0\n",
		"proc/irq/45/smp_affinity_list":                               "0",
		"proc/irq/46/smp_affinity_list":                               "1",
	})
	e := Environment()
	assert.Equal(t, "BOOT_IMAGE=/vmlinuz root=/dev/vda1 mitigations=auto", e.Cmdline)
	assert.Equal(t, "0xa0011d5", e.Microcode)
	assert.Equal(t, map[string]string{"spec_rstack_overflow": "Mitigation: Safe RET", "spectre_v2": "Mitigation: Retpolines"}, e.Mitigations)
	assert.Equal(t, "performance", e.Governor)
	assert.Equal(t, "off", e.Boost)
	assert.Equal(t, "on", e.SMT)
	assert.Equal(t, "dynamic: voluntary", e.Preemption, "debugfs's current model first")
	assert.Equal(t, []string{"45 enp3s0f0-TxRx-0: cpus 0", "46 enp3s0f0-TxRx-1: cpus 1"}, IRQs("enp3s0f0"), "the interface's own vectors, not a longer name's")
	assert.Empty(t, IRQs("veth0"))
}

func TestPreemption(t *testing.T) {
	fixture(t, map[string]string{})
	for v, want := range map[string]string{
		"#1 SMP PREEMPT_RT Debian": "rt", "#1 SMP PREEMPT_DYNAMIC": "dynamic", "#1 SMP PREEMPT Debian": "full", "#1 SMP Debian": "",
	} {
		assert.Equal(t, want, preemption(v), v)
	}
}

// On this machine: whatever it says is what the files say.
func TestEnvironmentHere(t *testing.T) {
	e := Environment()
	assert.NotEmpty(t, e.KernelVersion)
	b, err := os.ReadFile("/proc/cmdline")
	require.NoError(t, err)
	assert.Equal(t, string(b[:len(b)-1]), e.Cmdline)
}
