package vm

import (
	"fmt"
	"os"
)

// Accel is the accelerator QEMU runs a VM with.
type Accel string

// The accelerators.
const (
	KVM Accel = "kvm"
	TCG Accel = "tcg" // QEMU's own CPU emulation: slow, but boots anywhere
)

// AccelEnv forces an accelerator: kvm or tcg.
const AccelEnv = "XDPLAB_QEMU_ACCEL"

// DefaultKVMDevice is where the KVM device lives.
const DefaultKVMDevice = "/dev/kvm"

// Choice is the accelerator a VM, or a whole matrix, boots with and why.
type Choice struct {
	Accel Accel
	Why   string
	// Forced: chosen by XDPLAB_QEMU_ACCEL, so a KVM that cannot boot is
	// an error, never a fallback.
	Forced bool
}

func (c Choice) String() string {
	if c.Why == "" {
		return string(c.Accel)
	}
	return fmt.Sprintf("%s (%s)", c.Accel, c.Why)
}

// Choose picks the accelerator before any boot: XDPLAB_QEMU_ACCEL where it
// is set, else KVM where the device opens read-write, else TCG. Whether a
// KVM can really boot a kernel only a boot tells (a nested PVM KVM opens
// fine and then hangs or aborts): Run falls back from a KVM that does not
// reach the init script in time.
func Choose(kvmDevice string) (Choice, error) {
	switch a := os.Getenv(AccelEnv); a {
	case "":
	case string(KVM), string(TCG):
		return Choice{Accel: Accel(a), Why: AccelEnv + "=" + a, Forced: true}, nil
	default:
		return Choice{}, fmt.Errorf("%s=%q: use kvm or tcg, or leave it unset to try KVM and fall back to TCG", AccelEnv, a)
	}
	if kvmDevice == "" {
		kvmDevice = DefaultKVMDevice
	}
	f, err := os.OpenFile(kvmDevice, os.O_RDWR, 0)
	if err != nil {
		return Choice{Accel: TCG, Why: fmt.Sprintf("no usable KVM: %v", err)}, nil
	}
	f.Close()
	return Choice{Accel: KVM, Why: kvmDevice + " opens; a boot that does not reach the init script in time falls back to TCG"}, nil
}
