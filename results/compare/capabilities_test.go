package compare

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

func qual(kernel, driver string, checks ...results.QualifyCheck) *results.Qualification {
	q := &results.Qualification{Schema: results.QualificationSchema, SchemaVersion: results.QualificationSchemaVersion,
		Host: results.Host{Kernel: kernel}, DUT: results.Qualified{Name: "eth0", Driver: driver}, Checks: checks}
	q.Finish()
	return q
}

func check(name, mode string, verdict results.Verdict) results.QualifyCheck {
	return results.QualifyCheck{Section: "functional", Name: name, Mode: mode, Verdict: verdict}
}

func TestKernelOrder(t *testing.T) {
	ks := []string{"7.2.13+deb14-amd64", "6.12.117+deb13-amd64", "5.10.0-32-amd64", "6.1.0-50-amd64", "6.1.0-50-cloud-amd64", "weird"}
	slicesSort(ks)
	assert.Equal(t, []string{"weird", "5.10.0-32-amd64", "6.1.0-50-amd64", "6.1.0-50-cloud-amd64", "6.12.117+deb13-amd64", "7.2.13+deb14-amd64"}, ks)
	assert.Equal(t, []int{6, 12, 117}, kernelVersion("6.12.117+deb13-amd64"))
	assert.Equal(t, []int{5, 10, 0}, kernelVersion("5.10.0-32-amd64"))
	assert.Equal(t, []int{7, 2}, kernelVersion("7.2-rc1"))
	assert.Empty(t, kernelVersion("x"))
}

// A check whose verdict differs between kernels is named with every
// kernel's verdict, oldest first, whatever the files' order; one that a
// later kernel lost (or lacks) is a regression, one gained is not, and a
// driver seen on one kernel is not compared.
func TestCapabilities(t *testing.T) {
	qs := []*results.Qualification{
		qual("6.12.117+deb13-amd64", "igb", check("XDP_TX", "native", "pass"), check("XDP_DROP", "native", "pass"), check("mbuf", "native", "not-supported")),
		qual("5.10.0-32-amd64", "igb", check("XDP_TX", "native", "pass"), check("XDP_DROP", "native", "pass"), check("mbuf", "native", "not-supported"),
			check("AF_XDP", "native", "pass")),
		qual("7.2.13+deb14-amd64", "igb", check("XDP_TX", "native", "fail"), check("XDP_DROP", "native", "pass"), check("mbuf", "native", "pass"),
			check("AF_XDP", "native", "pass")),
		qual("6.12.117+deb13-amd64", "e1000e", check("XDP_TX", "generic", "fail")),
	}
	changes, compared := Capabilities(qs)
	assert.Equal(t, 4, compared, "igb's four checks; e1000e was on one kernel")
	require.Len(t, changes, 3)
	assert.Equal(t, "igb functional: XDP_TX (native): pass on 5.10.0-32-amd64, pass on 6.12.117+deb13-amd64, fail on 7.2.13+deb14-amd64 (REGRESSION: a later kernel lost it)", changes[0].String())
	assert.True(t, changes[0].Regression)
	assert.Equal(t, "mbuf", changes[1].Check[len("functional: "):])
	assert.False(t, changes[1].Regression, "gained")
	assert.Equal(t, absent, changes[2].Verdicts[1].Verdict, "6.12's report lacks AF_XDP")
	assert.True(t, changes[2].Regression, "a check that disappeared")

	// Measurements are the tables', not the capabilities'.
	perf := qual("5.10", "igb", results.QualifyCheck{Section: "performance", Name: "drop", Verdict: "pass"})
	perf2 := qual("6.1", "igb", results.QualifyCheck{Section: "performance", Name: "drop", Verdict: "fail"})
	changes, compared = Capabilities([]*results.Qualification{perf, perf2})
	assert.Empty(t, changes)
	assert.Zero(t, compared)
}

// compare --by kernel of qualifications: the checks' differences in the
// text and the markdown, a lost capability is a regression of the gate,
// and with nothing lost and no measurements the gate passes on the
// capabilities alone. By run, such files are noted, not compared.
func TestCompareCapabilitiesByKernel(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, q *results.Qualification) string {
		p := filepath.Join(dir, name)
		require.NoError(t, results.WriteJSON(p, q))
		return p
	}
	a := write("a.json", qual("6.12.117+deb13-amd64", "igb", check("XDP_TX", "native", "pass")))
	b := write("b.json", qual("7.2.13+deb14-amd64", "igb", check("XDP_TX", "native", "advertised-fails")))
	same := write("c.json", qual("7.2.13+deb14-amd64", "igb", check("XDP_TX", "native", "pass")))

	in, skipped, err := Load([]string{b, a})
	require.NoError(t, err)
	assert.Empty(t, skipped)
	c, err := Compare(in, Options{By: ByKernel})
	require.NoError(t, err)
	g := c.Gate()
	assert.Equal(t, GateRegression, g.Verdict)
	assert.Equal(t, []string{"capability igb functional: XDP_TX (native): pass on 6.12.117+deb13-amd64, advertised-fails on 7.2.13+deb14-amd64 (REGRESSION: a later kernel lost it)"}, g.Regressions)
	var text, md bytes.Buffer
	require.NoError(t, c.WriteText(&text))
	assert.Contains(t, text.String(), "capabilities by kernel (qualification checks whose verdict differs, oldest kernel first):\n  igb functional: XDP_TX (native)")
	assert.Contains(t, text.String(), "capabilities: 1 of 1 qualification checks differ between kernels")
	require.NoError(t, c.WriteMarkdown(&md))
	assert.Contains(t, md.String(), "**capabilities by kernel**")

	in, _, err = Load([]string{a, same})
	require.NoError(t, err)
	c, err = Compare(in, Options{By: ByKernel})
	require.NoError(t, err)
	assert.Equal(t, GatePass, c.Gate().Verdict, c.Gate().Why)
	assert.Contains(t, c.Gate().Why, "no capability lost between kernels (1 qualification checks compared)")

	c, err = Compare(in, Options{By: ByRun})
	require.NoError(t, err)
	assert.Empty(t, c.Capabilities)
	assert.Contains(t, c.Notes, "a: a qualification without measurements: compare --by kernel compares its checks")
	assert.Equal(t, GateInconclusive, c.Gate().Verdict, "no measurements, and by run no capabilities")
}

func slicesSort(ks []string) { slices.SortFunc(ks, kernelOrder) }
