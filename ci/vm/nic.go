package vm

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
)

// NICPair is two emulated NICs of one QEMU model cabled back to back:
// both ports of one QEMU hub, so that every frame one sends the other
// receives, as two ports of a lab's NIC with a cable between them. The
// guest runs the model's real Linux driver.
type NICPair struct {
	Model string    // QEMU's device: igb, e1000e, virtio-net-pci, vmxnet3
	MACs  [2]string // the ports' addresses, which the guest finds them by
}

// nicArgs are the QEMU arguments of the pairs, each on a hub of its own.
// Every device gets its PCI slot: 4, 6, 8 and on, igb's first, because an
// igb's SR-IOV functions take the slots 16 above its own (an igb at slot 4
// has them at 20 and 21), which the others must leave free.
func nicArgs(pairs []NICPair) []string {
	type dev struct{ pair, port int }
	var order []dev
	for _, first := range []bool{true, false} {
		for i, p := range pairs {
			if (p.Model == "igb") == first {
				order = append(order, dev{i, 0}, dev{i, 1})
			}
		}
	}
	slot := map[dev]int{}
	for n, d := range order {
		slot[d] = 4 + 2*n
	}
	var a []string
	for i, p := range pairs {
		for port, mac := range p.MACs {
			id := fmt.Sprintf("xl%d%c", i, 'a'+port)
			a = append(a, "-netdev", fmt.Sprintf("hubport,id=%s,hubid=%d", id, i),
				"-device", fmt.Sprintf("%s,netdev=%s,mac=%s,addr=0x%x", p.Model, id, mac, slot[dev{i, port}]))
		}
	}
	return a
}

var deviceName = regexp.MustCompile(`(?m)^name "([^"]+)"`)

// Devices are the devices this host's QEMU can emulate, by name (what
// `qemu-system-x86_64 -device help` lists): igb, for one, only from QEMU
// 8.0 on.
func Devices(ctx context.Context) (map[string]bool, error) {
	qemu, err := qemuPath()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, qemu, "-device", "help").Output()
	if err != nil {
		return nil, fmt.Errorf("%s -device help: %w", qemu, err)
	}
	d := map[string]bool{}
	for _, m := range deviceName.FindAllSubmatch(out, -1) {
		d[string(m[1])] = true
	}
	return d, nil
}
