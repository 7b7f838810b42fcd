package offload

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/xdp"
)

// Support says which modes an interface supports and why others are not.
type Support struct {
	Iface  string
	Driver string
	// Features is the netdev family's report; FeaturesErr is ErrNotReported
	// on kernels before 6.3.
	Features    DevFeatures
	FeaturesErr error
	Modes       []xdp.Mode          // supported, in AllModes order
	Reasons     map[xdp.Mode]string // why a mode is not supported
	details     map[xdp.Mode]string
}

// Supports tells whether m is supported.
func (s *Support) Supports(m xdp.Mode) bool {
	for _, x := range s.Modes {
		if x == m {
			return true
		}
	}
	return false
}

// Check returns nil when m is supported, else an error saying why and which
// modes are.
func (s *Support) Check(m xdp.Mode) error {
	if s.Supports(m) {
		return nil
	}
	return &UnsupportedModeError{Iface: s.Iface, Mode: m, Reason: s.Reasons[m], Available: s.Modes, Detail: s.details[m]}
}

// UnsupportedModeError says a mode cannot run on an interface.
type UnsupportedModeError struct {
	Iface     string
	Mode      xdp.Mode
	Reason    string
	Available []xdp.Mode
	Detail    string // the evidence, such as the xdp-features read
}

func (e *UnsupportedModeError) Error() string {
	msg := fmt.Sprintf("%s mode on %s: %s; modes available here: %s", e.Mode, e.Iface, e.Reason, xdp.ModesString(e.Available))
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
	s := &Support{Iface: iface, Driver: driver, Reasons: map[xdp.Mode]string{}, details: map[xdp.Mode]string{}}
	s.Features, s.FeaturesErr = Features(ns, ifindex)
	if s.FeaturesErr != nil && !errors.Is(s.FeaturesErr, ErrNotReported) {
		return nil, fmt.Errorf("probe modes of %s: %w", iface, s.FeaturesErr)
	}
	for _, m := range xdp.AllModes {
		c := attachCheckAt(ns, iface, ifindex, m, bpf.MinimalOptions{Action: bpf.Pass})
		if c.OK() {
			s.Modes = append(s.Modes, m)
			continue
		}
		s.Reasons[m] = c.Error
		if c.Explain != "" {
			s.details[m] = c.Explain
		}
	}
	if !s.Supports(xdp.Offload) {
		switch {
		case s.FeaturesErr != nil:
			s.Reasons[xdp.Offload] = "the offload attach failed and the kernel does not report xdp-features (6.3+): " + s.Reasons[xdp.Offload]
		case s.Features.XDP&FeatureHWOffload == 0:
			s.Reasons[xdp.Offload] = fmt.Sprintf("%s has no hardware offload", driver)
			s.details[xdp.Offload] = fmt.Sprintf("netdev xdp-features of %s: %s; a program bound to it: %s",
				iface, s.Features.XDP, s.details[xdp.Offload])
		}
	}
	return s, nil
}
