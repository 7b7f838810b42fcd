package offload

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results/caps"
	"github.com/xdplab/xdplab/topology"
)

func bitNames(v uint64, names []string) []string {
	out := []string{}
	for i, n := range names {
		if v&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if rest := v &^ (1<<len(names) - 1); rest != 0 {
		out = append(out, fmt.Sprintf("unknown(%#x)", rest))
	}
	return out
}

// The bits of xdp-rx-metadata-features and xsk-features (include/uapi/linux/netdev.h).
var (
	rxMetadataNames = []string{"timestamp", "hash", "vlan-tag"}
	xskNames        = []string{"tx-timestamp", "tx-checksum", "tx-launch-time-fifo"}
)

// AdvertisedFrom turns the netdev family's answer into Advertised.
func AdvertisedFrom(d DevFeatures, err error) Advertised {
	if err != nil {
		return Advertised{NotReported: err.Error(), XDPFeatures: []string{}, RxMetadata: []string{}, XSK: []string{}}
	}
	names := d.XDP.Names()
	if names == nil {
		names = []string{}
	}
	return Advertised{
		Reported: true, XDPFeatures: names, XDPFeaturesRaw: uint64(d.XDP), XDPZCMaxSegs: d.XDPZCMaxSegs,
		RxMetadata: bitNames(d.RxMetadata, rxMetadataNames), RxMetadataRaw: d.RxMetadata,
		XSK: bitNames(d.XSK, xskNames), XSKRaw: d.XSK,
	}
}

// Target is an interface to probe.
type Target struct {
	EP           *topology.Endpoint
	MadeByXdplab bool
	// Attach allows the detection probes (attaching programs, changing
	// the MTU). Without it the probe only reads.
	Attach bool
	// SetMTU changes the MTU for the multi-buffer check and returns how to
	// undo it; nil skips that check.
	SetMTU func(mtu int) (undo func() error, err error)
	// SendFrame sends one frame that arrives on the interface; nil where
	// xdplab may not send (an interface it did not create).
	SendFrame func() error
}

// JumboMTU is the MTU of the multi-buffer check.
const JumboMTU = caps.JumboMTU

// ProbeInterface reads what an interface advertises and, with t.Attach,
// detects what works.
func ProbeInterface(t Target) (*InterfaceCaps, error) {
	ep := t.EP
	c := &InterfaceCaps{Name: ep.Name, Namespace: ep.NS.Name, Ifindex: ep.Ifindex, MadeByXdplab: t.MadeByXdplab, XDPStats: []string{}}
	l, err := ep.NS.Netlink().LinkByIndex(ep.Ifindex)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", ep.Name, err)
	}
	c.Kind, c.MTU = l.Type(), l.Attrs().MTU
	eth := ep.NS.Ethtool()
	if d, err := eth.DriverInfo(ep.Name); err != nil {
		c.Driver.Error = err.Error()
	} else {
		c.Driver = DriverInfo{Driver: d.Driver, Version: d.Version, Firmware: d.FwVersion, BusInfo: d.BusInfo}
	}
	if c.Features, err = eth.Features(ep.Name); err != nil {
		return nil, fmt.Errorf("probe %s: ethtool features: %w", ep.Name, err)
	}
	if ch, err := eth.GetChannels(ep.Name); err != nil {
		c.ChannelsErr = errnoText(err)
	} else {
		c.Channels = &Channels{Rx: ch.RxCount, Tx: ch.TxCount, Other: ch.OtherCount, Combined: ch.CombinedCount,
			MaxRx: ch.MaxRx, MaxTx: ch.MaxTx, MaxOther: ch.MaxOther, MaxCombined: ch.MaxCombined}
	}
	if r, err := eth.GetRing(ep.Name); err != nil {
		c.RingsErr = errnoText(err)
	} else {
		c.Rings = &Rings{Rx: r.RxPending, Tx: r.TxPending, MaxRx: r.RxMaxPending, MaxTx: r.TxMaxPending}
	}
	if st, err := eth.Stats(ep.Name); err == nil {
		for name := range st {
			if strings.Contains(name, "xdp") {
				c.XDPStats = append(c.XDPStats, name)
			}
		}
		sort.Strings(c.XDPStats)
	}
	df, err := Features(ep.NS.Handle, ep.Ifindex)
	if err != nil && !errors.Is(err, ErrNotReported) {
		return nil, fmt.Errorf("probe %s: %w", ep.Name, err)
	}
	c.Advertised = AdvertisedFrom(df, err)
	c.Detected = detect(t)
	c.Comparison = Compare(c.Advertised, c.Detected)
	return c, nil
}

// errnoText says "not supported by the driver (EOPNOTSUPP)" for the usual
// ethtool answer, else the error.
func errnoText(err error) string {
	if errors.Is(err, unix.EOPNOTSUPP) {
		return "not supported by the driver (EOPNOTSUPP)"
	}
	return err.Error()
}

func notTested(why string) Check { return Check{Result: CheckNotTested, Explain: why} }

func detect(t Target) Detected {
	d := Detected{Attached: t.Attach, Modes: map[string]Check{}, RxMetadata: map[string]Check{}}
	if !t.Attach {
		const why = "read-only probe: add --attach to attach test programs"
		for _, m := range xdpmode.All() {
			d.Modes[m.String()] = notTested(why)
		}
		d.MultiBuffer, d.NonFragsAtJumbo = notTested(why), notTested(why)
		for _, k := range bpf.MetaKfuncs() {
			d.RxMetadata[string(k)] = notTested(why)
		}
		return d
	}
	// The kernel's extended ack makes an attach error say why.
	nl.EnableErrorMessageReporting = true
	ep := t.EP
	for _, m := range xdpmode.All() {
		d.Modes[m.String()] = attachCheck(ep, m, bpf.MinimalOptions{Action: catalog.Pass})
	}
	d.MultiBuffer, d.NonFragsAtJumbo = multiBuffer(t)
	for _, k := range bpf.MetaKfuncs() {
		d.RxMetadata[string(k)] = rxMetadata(t, k)
	}
	return d
}

// attachCheck loads an XDP_PASS program (bound to the device for offload)
// and attaches it in mode m, reads the mode back and detaches.
func attachCheck(ep *topology.Endpoint, m xdpmode.Mode, o bpf.MinimalOptions) Check {
	return attachCheckAt(ep.NS.Handle, ep.Name, ep.Ifindex, m, o)
}

func attachCheckAt(ns netns.NsHandle, iface string, ifindex int, m xdpmode.Mode, o bpf.MinimalOptions) Check {
	var prog *ebpf.Program
	err := nsthread.Do(ns, func() error {
		if m == xdpmode.Offload {
			o.Ifindex = uint32(ifindex)
		}
		var err error
		prog, err = bpf.LoadMinimal(o)
		return err
	})
	if err != nil {
		c := failCheck(err)
		if m == xdpmode.Offload {
			c.Error = "load bound to the device: " + c.Error
			if c.Explain == "" {
				c.Explain = "the kernel refused to bind the program to this device: it has no BPF offload"
			}
		}
		return c
	}
	defer prog.Close()
	a, err := xdp.Attach(xdp.AttachOptions{NS: ns, Iface: iface, Program: prog, Mode: m})
	if err != nil {
		c := failCheck(err)
		c.Explain = attachExplain(ns, iface, m, prog)
		return c
	}
	if err := a.Close(); err != nil {
		return failCheck(err)
	}
	return okCheck(fmt.Sprintf("attached with %s, mode read back", a.Method))
}

// attachExplain is the kernel's own reason for a failed attach (its
// extended ack, which bpf_link attach errors do not carry).
func attachExplain(ns netns.NsHandle, iface string, m xdpmode.Mode, prog *ebpf.Program) string {
	reason, err := xdp.KernelReason(ns, iface, m, prog)
	if err != nil {
		return ""
	}
	return reason
}

func multiBuffer(t Target) (frags, plain Check) {
	if t.SetMTU == nil {
		s := Check{Result: CheckSkipped, Explain: "the MTU of this interface may not be changed here"}
		return s, s
	}
	undo, err := t.SetMTU(JumboMTU)
	if err != nil {
		s := Check{Result: CheckSkipped, Explain: fmt.Sprintf("MTU %d not accepted: %v", JumboMTU, err)}
		return s, s
	}
	plain = attachCheck(t.EP, xdpmode.Native, bpf.MinimalOptions{Action: catalog.Pass})
	frags = attachCheck(t.EP, xdpmode.Native, bpf.MinimalOptions{Action: catalog.Pass, Frags: true})
	if err := undo(); err != nil {
		frags = failCheck(fmt.Errorf("restore MTU after the multi-buffer check: %w", err))
	}
	return frags, plain
}

// rxMetadata loads the kfunc's probe bound to the device and, where a
// frame can be sent, attaches it natively and reads what the kfunc
// returned on a real frame.
func rxMetadata(t Target, k bpf.MetaKfunc) Check {
	ep := t.EP
	var p *bpf.MetaProbe
	err := nsthread.Do(ep.NS.Handle, func() error {
		var err error
		p, err = bpf.LoadMetaProbe(k, uint32(ep.Ifindex))
		return err
	})
	if err != nil {
		return failCheck(err)
	}
	defer p.Close()
	if t.SendFrame == nil {
		return notTested(fmt.Sprintf("%s loads bound to the device; whether the driver implements it shows only on a received frame, and xdplab sends none on an interface it did not create", k.Kfunc()))
	}
	a, err := xdp.Attach(xdp.AttachOptions{NS: ep.NS.Handle, Iface: ep.Name, Program: p.Program, Mode: xdpmode.Native})
	if err != nil {
		return failCheck(err)
	}
	defer a.Close()
	if err := t.SendFrame(); err != nil {
		return Check{Result: CheckSkipped, Error: err.Error(), Explain: "could not send a test frame"}
	}
	ret, runs, err := p.Result()
	switch {
	case err != nil:
		return failCheck(err)
	case runs == 0:
		return Check{Result: CheckSkipped, Explain: "the test frame did not reach the program"}
	case ret == 0:
		return okCheck(k.Kfunc() + " returned 0 on a received frame")
	case -ret == int64(unix.EOPNOTSUPP):
		return Check{Result: CheckFailed, Errno: "EOPNOTSUPP", Explain: k.Kfunc() + " returned -EOPNOTSUPP on a received frame: the driver does not implement it"}
	default:
		errno := unix.Errno(-ret)
		return okCheck(fmt.Sprintf("implemented: %s returned -%s on the test frame (no such data for it)", k.Kfunc(), unix.ErrnoName(errno)))
	}
}
