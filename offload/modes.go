package offload

import (
	"errors"
	"fmt"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/bpf"
)

// Support says which modes an interface supports and why others are not.
type Support struct {
	Iface  string
	Driver string
	// Features is the netdev family's report; FeaturesErr is ErrNotReported
	// on kernels before 6.3.
	Features    DevFeatures
	FeaturesErr error
	Modes       []xdpmode.Mode          // supported, in AllModes order
	Reasons     map[xdpmode.Mode]string // why a mode is not supported
	details     map[xdpmode.Mode]string
}

// Supports tells whether m is supported.
func (s *Support) Supports(m xdpmode.Mode) bool {
	for _, x := range s.Modes {
		if x == m {
			return true
		}
	}
	return false
}

// Check returns nil when m is supported, else an error saying why and which
// modes are.
func (s *Support) Check(m xdpmode.Mode) error {
	if s.Supports(m) {
		return nil
	}
	return &UnsupportedModeError{Iface: s.Iface, Mode: m, Reason: s.Reasons[m], Available: s.Modes, Detail: s.details[m]}
}

// UnsupportedModeError says a mode cannot run on an interface.
type UnsupportedModeError struct {
	Iface     string
	Mode      xdpmode.Mode
	Reason    string
	Available []xdpmode.Mode
	Detail    string // the evidence, such as the xdp-features read
}

func (e *UnsupportedModeError) Error() string {
	msg := fmt.Sprintf("%s mode on %s: %s; modes available here: %s", e.Mode, e.Iface, e.Reason, xdpmode.Join(e.Available))
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// ProbeModes finds the modes an interface supports by real attaches of a
// minimal XDP_PASS program, detached at once: generic and native as they
// are, offload loaded bound to the device. The netdev family's xdp-features
// explain a refusal.
func ProbeModes(ns netns.NsHandle, iface string, ifindex int, driver string) (*Support, error) {
	s := &Support{Iface: iface, Driver: driver, Reasons: map[xdpmode.Mode]string{}, details: map[xdpmode.Mode]string{}}
	s.Features, s.FeaturesErr = Features(ns, ifindex)
	if s.FeaturesErr != nil && !errors.Is(s.FeaturesErr, ErrNotReported) {
		return nil, fmt.Errorf("probe modes of %s: %w", iface, s.FeaturesErr)
	}
	for _, m := range xdpmode.All() {
		c := attachCheckAt(ns, iface, ifindex, m, bpf.MinimalOptions{Action: catalog.Pass})
		if c.OK() {
			s.Modes = append(s.Modes, m)
			continue
		}
		s.Reasons[m] = c.Error
		if c.Explain != "" {
			s.details[m] = c.Explain
		}
	}
	if !s.Supports(xdpmode.Offload) {
		switch {
		case s.FeaturesErr != nil:
			s.Reasons[xdpmode.Offload] = "the offload attach failed and the kernel does not report xdp-features (6.3+): " + s.Reasons[xdpmode.Offload]
		case s.Features.XDP&FeatureHWOffload == 0:
			s.Reasons[xdpmode.Offload] = fmt.Sprintf("%s has no hardware offload", driver)
			s.details[xdpmode.Offload] = fmt.Sprintf("netdev xdp-features of %s: %s; a program bound to it: %s",
				iface, s.Features.XDP, s.details[xdpmode.Offload])
		}
	}
	return s, nil
}
