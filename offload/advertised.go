package offload

import (
	"github.com/xdplab/xdplab/internal/xdpmode"
)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func row(name string, adv Advertised, advBit bool, c Check) Row {
	r := Row{Capability: name, Advertised: "not-reported", Detected: c.Result}
	if adv.Reported {
		r.Advertised = yesNo(advBit)
	}
	switch c.Result {
	case CheckOK:
		r.Detected = "yes"
	case CheckFailed:
		r.Detected = "no"
	}
	switch {
	case r.Advertised == "not-reported" || (r.Detected != "yes" && r.Detected != "no"):
		r.Verdict = VerdictUnverified
	case r.Advertised == r.Detected:
		r.Verdict = VerdictMatch
	case r.Detected == "no":
		r.Verdict, r.Note = VerdictMismatch, "advertised, but fails: "+c.String()
	default:
		r.Verdict, r.Note = VerdictMismatch, "works, but not advertised"
	}
	return r
}

// Compare sets advertised against detected, capability by capability.
func Compare(adv Advertised, det Detected) []Row {
	rows := []Row{
		row("native XDP (basic)", adv, adv.Has(FeatureBasic), det.Modes[xdpmode.Native.String()]),
		row("hardware offload (hw-offload)", adv, adv.Has(FeatureHWOffload), det.Modes[xdpmode.Offload.String()]),
		row("multi-buffer at MTU 9000 (rx-sg)", adv, adv.Has(FeatureRxSG), det.MultiBuffer),
		row("rx hash kfunc (rx-metadata hash)", adv, adv.RxMetadataRaw&2 != 0, det.RxMetadata["hash"]),
		row("rx timestamp kfunc (rx-metadata timestamp)", adv, adv.RxMetadataRaw&1 != 0, det.RxMetadata["timestamp"]),
	}
	// Advertised only: xdplab's probe does not send traffic through these.
	for _, f := range []struct {
		name string
		bit  XDPFeature
		how  string
	}{
		{"XDP_REDIRECT (redirect)", FeatureRedirect, "exercised by `xdplab run --prog redirect`"},
		{"redirect target (ndo-xmit)", FeatureNdoXmit, "exercised by `xdplab run --prog redirect` toward it"},
		{"AF_XDP zero-copy (xsk-zerocopy)", FeatureXSKZeroCopy, "not probed"},
	} {
		r := Row{Capability: f.name, Advertised: "not-reported", Detected: CheckNotTested, Verdict: VerdictUnverified, Note: f.how}
		if adv.Reported {
			r.Advertised = yesNo(adv.Has(f.bit))
		}
		rows = append(rows, r)
	}
	return rows
}
