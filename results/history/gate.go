package history

import (
	"fmt"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/compare"
)

// Verdict is the gate's answer over every series.
type Verdict struct {
	Verdict     results.Verdict `json:"verdict"` // pass, fail or inconclusive
	Regressions []string        `json:"regressions,omitempty"`
	Undecided   []string        `json:"undecided,omitempty"`
}

// Significance is the p-value below which a step counts.
const Significance = 0.05

// Gate judges each series by its newest change point: a significant
// regression at or beyond threshold (percent; loss in percentage points)
// fails; a newest level of fewer than MinRuns runs, or a series of fewer
// than MinRuns runs in all, is too new to tell. Analyse first.
func (h *History) Gate(threshold float64) Verdict {
	var v Verdict
	for _, s := range h.Series {
		name := s.Key + " " + s.Metric
		kept := len(s.Values) - len(s.Outliers)
		if len(s.Changes) == 0 {
			if kept < MinRuns {
				v.Undecided = append(v.Undecided, fmt.Sprintf("%s: %d run(s), fewer than %d", name, kept, MinRuns))
			}
			continue
		}
		c := s.Changes[len(s.Changes)-1]
		if c.Runs < MinRuns {
			v.Undecided = append(v.Undecided, fmt.Sprintf("%s: a %s of %+.1f%s at %s, seen in %d run(s) so far, fewer than %d",
				name, c.Direction, c.Step, c.StepUnit, c.Run, c.Runs, MinRuns))
			continue
		}
		if c.Direction == "regression" && c.P < Significance && compare.Worse(s.metric, threshold, c.Before, c.After) {
			v.Regressions = append(v.Regressions, fmt.Sprintf("%s: %+.1f%s at %s (%s → %s %s, %s)",
				name, c.Step, c.StepUnit, c.Run, num(c.Before), num(c.After), s.Unit, pText(c.P)))
		}
	}
	v.Verdict = results.VerdictPass
	if len(v.Undecided) > 0 {
		v.Verdict = results.VerdictInconclusive
	}
	if len(v.Regressions) > 0 {
		v.Verdict = results.VerdictFail
	}
	return v
}
