package bpf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// MetaKfunc names an XDP rx metadata kfunc xdplab probes.
type MetaKfunc string

// The rx metadata kfuncs (kernel 6.3+).
const (
	MetaHash      MetaKfunc = "hash"      // bpf_xdp_metadata_rx_hash
	MetaTimestamp MetaKfunc = "timestamp" // bpf_xdp_metadata_rx_timestamp
)

// metaKfuncs lists the probed kfuncs.
var metaKfuncs = []MetaKfunc{MetaHash, MetaTimestamp}

func (k MetaKfunc) section() (string, uint32) {
	if k == MetaTimestamp {
		return "xdp_meta_timestamp", 1
	}
	return "xdp_meta_hash", 0
}

// MetaKfuncs returns a copy of metaKfuncs, which no importer can change.
func MetaKfuncs() []MetaKfunc { return slices.Clone(metaKfuncs) }

// Kfunc is the kernel function's name.
func (k MetaKfunc) Kfunc() string {
	if k == MetaTimestamp {
		return "bpf_xdp_metadata_rx_timestamp"
	}
	return "bpf_xdp_metadata_rx_hash"
}

// MetaProbe is a loaded rx metadata probe: a program bound to one device that
// records the kfunc's return value for every frame and passes it.
type MetaProbe struct {
	Kfunc   MetaKfunc
	Program *ebpf.Program
	result  *ebpf.Map
	key     uint32
	coll    *ebpf.Collection
}

// LoadMetaProbe loads the probe for k bound to ifindex (resolved in the
// calling thread's network namespace) with BPF_F_XDP_DEV_BOUND_ONLY.
func LoadMetaProbe(k MetaKfunc, ifindex uint32) (*MetaProbe, error) {
	spec, err := loadProbe()
	if err != nil {
		return nil, fmt.Errorf("load %s probe: parse embedded object: %w", k.Kfunc(), err)
	}
	sec, key := k.section()
	for name, p := range spec.Programs {
		if name != sec {
			delete(spec.Programs, name)
			continue
		}
		p.Ifindex = ifindex
		p.Flags |= unix.BPF_F_XDP_DEV_BOUND_ONLY
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load %s probe bound to ifindex %d: %w", k.Kfunc(), ifindex, err)
	}
	var objs probeObjects
	if err := view(coll, &objs); err != nil {
		coll.Close()
		return nil, fmt.Errorf("load %s probe: %w", k.Kfunc(), err)
	}
	prog := objs.XdpMetaHash
	if k == MetaTimestamp {
		prog = objs.XdpMetaTimestamp
	}
	return &MetaProbe{Kfunc: k, Program: prog, result: objs.MetaResult, key: key, coll: coll}, nil
}

// Result returns the kfunc's last return value and how many frames ran it.
func (m *MetaProbe) Result() (ret int64, runs uint64, err error) {
	var v struct {
		Ret  int64
		Runs uint64
	}
	if err := m.result.Lookup(m.key, &v); err != nil {
		return 0, 0, fmt.Errorf("%s probe result: %w", m.Kfunc.Kfunc(), err)
	}
	return v.Ret, v.Runs, nil
}

// Close unloads the probe.
func (m *MetaProbe) Close() error {
	if m == nil || m.coll == nil {
		return nil
	}
	m.coll.Close()
	m.coll = nil
	return nil
}

// MinimalOptions shapes a program that does nothing but return an action:
// attach probes (XDP_PASS, so that a probe on a user's interface drops no
// traffic), feature probes and the stats-overhead measure (XDP_DROP).
type MinimalOptions struct {
	Action catalog.Action
	// Ifindex, when non-zero, binds the program to the device for hardware
	// offload; resolved in the calling thread's network namespace.
	Ifindex uint32
	// Frags marks the program frags-aware (BPF_F_XDP_HAS_FRAGS, 5.18+), so
	// it may attach where the MTU exceeds a page.
	Frags bool
}

// LoadMinimal loads a program that returns o.Action, named xdplab_<action>.
func LoadMinimal(o MinimalOptions) (*ebpf.Program, error) {
	spec := &ebpf.ProgramSpec{
		Name:         "xdplab_" + o.Action.String(),
		Type:         ebpf.XDP,
		License:      "Dual BSD/GPL",
		Ifindex:      o.Ifindex,
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(o.Action)), asm.Return()},
	}
	if o.Frags {
		spec.Flags |= unix.BPF_F_XDP_HAS_FRAGS
	}
	prog, err := ebpf.NewProgram(spec)
	if err != nil {
		return nil, fmt.Errorf("load a minimal XDP_%s program: %w", strings.ToUpper(o.Action.String()), err)
	}
	return prog, nil
}

// haveFrags remembers whether this kernel loads frags-aware XDP programs.
var haveFrags = sync.OnceValue(func() error {
	p, err := LoadMinimal(MinimalOptions{Action: catalog.Pass, Frags: true})
	if err == nil {
		p.Close()
		return nil
	}
	if errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("frags-aware XDP programs (BPF_F_XDP_HAS_FRAGS, kernel 5.18+): %w", ebpf.ErrNotSupported)
	}
	return err
})

// HaveFrags tells whether this kernel loads frags-aware XDP programs:
// nil, an error wrapping ebpf.ErrNotSupported, or why it could not tell.
func HaveFrags() error { return haveFrags() }

// VerifierLine returns the line of a verifier log that explains a load
// failure (its last non-empty line), or "".
func VerifierLine(err error) string {
	var ve *ebpf.VerifierError
	if !errors.As(err, &ve) {
		return ""
	}
	for i := len(ve.Log) - 1; i >= 0; i-- {
		if ve.Log[i] != "" {
			return ve.Log[i]
		}
	}
	return ""
}
