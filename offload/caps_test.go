package offload_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results/caps"
)

func rowOf(t *testing.T, rows []offload.Row, prefix string) offload.Row {
	t.Helper()
	for _, r := range rows {
		if len(r.Capability) >= len(prefix) && r.Capability[:len(prefix)] == prefix {
			return r
		}
	}
	t.Fatalf("no row %q", prefix)
	return offload.Row{}
}

func detected(native, offloadMode, frags offload.Check) offload.Detected {
	return offload.Detected{
		Attached:    true,
		Modes:       map[string]offload.Check{"generic": {Result: offload.CheckOK}, "native": native, "offload": offloadMode},
		MultiBuffer: frags,
		RxMetadata:  map[string]offload.Check{"hash": {Result: offload.CheckOK}, "timestamp": {Result: offload.CheckNotTested}},
	}
}

func TestCompareFindsMismatches(t *testing.T) {
	ok := offload.Check{Result: offload.CheckOK}
	fail := offload.Check{Result: offload.CheckFailed, Errno: "EOPNOTSUPP", Explain: "the driver has no native XDP"}
	// Advertises basic, hw-offload and rx-sg; native fails (advertised but
	// fails), offload works, multi-buffer fails; hash works unadvertised.
	adv := offload.AdvertisedFrom(offload.DevFeatures{XDP: offload.FeatureBasic | offload.FeatureHWOffload | offload.FeatureRxSG}, nil)
	rows := offload.Compare(adv, detected(fail, ok, fail))

	r := rowOf(t, rows, "native XDP")
	assert.Equal(t, caps.CapBasic, r.ID)
	assert.Equal(t, caps.Yes, r.Advertised)
	assert.Equal(t, caps.No, r.Detected)
	assert.Equal(t, offload.VerdictMismatch, r.Verdict)
	assert.Contains(t, r.Note, "advertised, but fails: failed: EOPNOTSUPP (the driver has no native XDP)")

	assert.Equal(t, offload.VerdictMatch, rowOf(t, rows, "hardware offload").Verdict)
	assert.Equal(t, offload.VerdictMismatch, rowOf(t, rows, "multi-buffer").Verdict)

	r = rowOf(t, rows, "rx hash")
	assert.Equal(t, caps.No, r.Advertised)
	assert.Equal(t, offload.VerdictMismatch, r.Verdict)
	assert.Equal(t, "works, but not advertised", r.Note)

	r = rowOf(t, rows, "rx timestamp")
	assert.Equal(t, caps.Answer(offload.CheckNotTested), r.Detected)
	assert.Equal(t, offload.VerdictUnverified, r.Verdict)

	rep := &probe.Report{Interfaces: []*offload.InterfaceCaps{{Name: "eth9", Comparison: rows}}}
	assert.Equal(t, 3, rep.Findings())
	var b bytes.Buffer
	require.NoError(t, rep.WriteText(&b))
	assert.Contains(t, b.String(), "MISMATCH")
	assert.Contains(t, b.String(), "3 mismatch(es)")
}

// A kernel without the netdev family (before 6.3) reports nothing: every
// row is unverified, and that is not an error.
func TestCompareNotReported(t *testing.T) {
	adv := offload.AdvertisedFrom(offload.DevFeatures{}, offload.ErrNotReported)
	assert.False(t, adv.Reported)
	assert.Contains(t, adv.NotReported, "not reported by this kernel")
	assert.NotNil(t, adv.XDPFeatures, "an empty list in JSON, not null")
	ok := offload.Check{Result: offload.CheckOK}
	for _, r := range offload.Compare(adv, detected(ok, ok, ok)) {
		assert.Equal(t, caps.NotReported, r.Advertised, r.Capability)
		assert.Equal(t, offload.VerdictUnverified, r.Verdict, r.Capability)
	}
}

func TestAdvertisedNames(t *testing.T) {
	adv := offload.AdvertisedFrom(offload.DevFeatures{XDP: 0x23, RxMetadata: 0x7, XSK: 0x1, XDPZCMaxSegs: 1}, nil)
	assert.Equal(t, []string{"basic", "redirect", "rx-sg"}, adv.XDPFeatures)
	assert.Equal(t, []string{"timestamp", "hash", "vlan-tag"}, adv.RxMetadata)
	assert.Equal(t, []string{"tx-timestamp"}, adv.XSK)
	assert.True(t, adv.Has(offload.FeatureRedirect))
	assert.False(t, adv.Has(offload.FeatureNdoXmit))
}

func TestCheckString(t *testing.T) {
	assert.Equal(t, "ok", offload.Check{Result: offload.CheckOK}.String())
	assert.Equal(t, "failed: EINVAL (why)", offload.Check{Result: offload.CheckFailed, Errno: "EINVAL", Explain: "why"}.String())
	assert.Equal(t, "not-tested: read-only", offload.Check{Result: offload.CheckNotTested, Explain: "read-only"}.String())
}
