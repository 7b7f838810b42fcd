package offload

import (
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results/caps"
)

func yesNo(b bool) caps.Answer {
	if b {
		return caps.Yes
	}
	return caps.No
}

func row(id caps.CapabilityID, name string, adv Advertised, advBit bool, c Check) Row {
	r := Row{ID: id, Capability: name, Advertised: caps.NotReported, Detected: caps.Answer(c.Result)}
	if adv.Reported {
		r.Advertised = yesNo(advBit)
	}
	switch c.Result {
	case CheckOK:
		r.Detected = caps.Yes
	case CheckFailed:
		r.Detected = caps.No
	}
	switch {
	case r.Advertised == caps.NotReported || (r.Detected != caps.Yes && r.Detected != caps.No):
		r.Verdict = VerdictUnverified
	case r.Advertised == r.Detected:
		r.Verdict = VerdictMatch
	case r.Detected == caps.No:
		r.Verdict, r.Note = VerdictMismatch, "advertised, but fails: "+c.String()
	default:
		r.Verdict, r.Note = VerdictMismatch, "works, but not advertised"
	}
	return r
}

// Compare sets advertised against detected, capability by capability.
func Compare(adv Advertised, det Detected) []Row {
	rows := []Row{
		row(caps.CapBasic, "native XDP (basic)", adv, adv.Has(FeatureBasic), det.Modes[xdpmode.Native.String()]),
		row(caps.CapHWOffload, "hardware offload (hw-offload)", adv, adv.Has(FeatureHWOffload), det.Modes[xdpmode.Offload.String()]),
		row(caps.CapRxSG, "multi-buffer at MTU 9000 (rx-sg)", adv, adv.Has(FeatureRxSG), det.MultiBuffer),
		row(caps.CapRxHash, "rx hash kfunc (rx-metadata hash)", adv, adv.RxMetadataRaw&2 != 0, det.RxMetadata["hash"]),
		row(caps.CapRxTimestamp, "rx timestamp kfunc (rx-metadata timestamp)", adv, adv.RxMetadataRaw&1 != 0, det.RxMetadata["timestamp"]),
	}
	// Advertised only: xdplab's probe does not send traffic through these.
	for _, f := range []struct {
		id   caps.CapabilityID
		name string
		bit  XDPFeature
		how  string
	}{
		{caps.CapRedirect, "XDP_REDIRECT (redirect)", FeatureRedirect, "exercised by `xdplab run --prog redirect`"},
		{caps.CapNdoXmit, "redirect target (ndo-xmit)", FeatureNdoXmit, "exercised by `xdplab run --prog redirect` toward it"},
		{caps.CapXSKZeroCopy, "AF_XDP zero-copy (xsk-zerocopy)", FeatureXSKZeroCopy, "not probed"},
	} {
		r := Row{ID: f.id, Capability: f.name, Advertised: caps.NotReported, Detected: CheckNotTested, Verdict: VerdictUnverified, Note: f.how}
		if adv.Reported {
			r.Advertised = yesNo(adv.Has(f.bit))
		}
		rows = append(rows, r)
	}
	return rows
}
