package offload

import "github.com/xdplab/xdplab/results/caps"

// The capability documents live in results/caps, plain data that readers
// use without this package; offload fills them. These names keep its
// callers' spelling.
type (
	Check         = caps.Check
	KernelCaps    = caps.KernelCaps
	JIT           = caps.JIT
	XDPFeature    = caps.XDPFeature
	InterfaceCaps = caps.InterfaceCaps
	DriverInfo    = caps.DriverInfo
	Channels      = caps.Channels
	Rings         = caps.Rings
	Advertised    = caps.Advertised
	Detected      = caps.Detected
	Row           = caps.Row
)

// The results of a Check.
const (
	CheckOK        = caps.CheckOK
	CheckFailed    = caps.CheckFailed
	CheckSkipped   = caps.CheckSkipped
	CheckNotTested = caps.CheckNotTested
)

// The xdp-features bits (enum netdev_xdp_act).
const (
	FeatureBasic       = caps.FeatureBasic
	FeatureRedirect    = caps.FeatureRedirect
	FeatureNdoXmit     = caps.FeatureNdoXmit
	FeatureXSKZeroCopy = caps.FeatureXSKZeroCopy
	FeatureHWOffload   = caps.FeatureHWOffload
	FeatureRxSG        = caps.FeatureRxSG
	FeatureNdoXmitSG   = caps.FeatureNdoXmitSG
)

// The verdicts of advertised against detected.
const (
	VerdictMatch      = caps.VerdictMatch
	VerdictMismatch   = caps.VerdictMismatch
	VerdictUnverified = caps.VerdictUnverified
)
