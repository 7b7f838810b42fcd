package results

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

// The qualification report's format.
const (
	QualificationSchema        = "xdplab.qualification"
	QualificationSchemaVersion = 1
)

// Verdict is a check's decision, in a qualification, an equivalence and
// the matrix's tables; its text is what the JSON holds.
type Verdict string

// The verdicts of a qualification check.
const (
	VerdictPass               Verdict = "pass"
	VerdictFail               Verdict = "fail"
	VerdictNotSupported       Verdict = "not-supported"        // neither advertised nor working
	VerdictWorksNotAdvertised Verdict = "works-not-advertised" // a finding
	VerdictAdvertisedFails    Verdict = "advertised-fails"     // a finding, and a failure
	VerdictNotApplicable      Verdict = "not-applicable"       // the check cannot apply here (said why)
	VerdictNotRun             Verdict = "not-run"              // the suite has no way to run it here (said why)
	VerdictInconclusive       Verdict = "inconclusive"         // it ran and could not decide (said why)
)

// Qualification is what `xdplab qualify` writes: the suite's verdicts on
// one interface (or xdplab's veth pair), with what it measured.
type Qualification struct {
	Schema        string    `json:"schema"`
	SchemaVersion int       `json:"schema_version"`
	Suite         string    `json:"suite"` // the suite and its version: results of one suite version compare
	Tool          Tool      `json:"tool"`
	Host          Host      `json:"host"`
	Created       time.Time `json:"created"`
	DUT           Qualified `json:"dut"`
	Peer          Qualified `json:"peer"`
	// Generator is the peer's host where it is not this one (--remote).
	Generator *GeneratorHost `json:"generator_host,omitempty"`
	// Settings are the suite's knobs as run (frames per check, trial
	// lengths, soak length).
	Settings map[string]string `json:"settings"`
	Checks   []QualifyCheck    `json:"checks"`
	// Verdict is pass when no check failed (fail, advertised-fails).
	Verdict Verdict         `json:"verdict"`
	Counts  map[Verdict]int `json:"counts"` // checks by verdict
	// Reproduce is the exact commands that make this report again.
	Reproduce []string `json:"reproduce"`
	// Capabilities is the probe report (xdplab.probe) of the interfaces.
	Capabilities json.RawMessage `json:"capabilities,omitempty"`
	// Performance is the results of the performance section's runs.
	Performance []*Run   `json:"performance,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// GeneratorHost is the host the peer port is on, reached over SSH.
type GeneratorHost struct {
	Target string `json:"target"` // ssh://[user@]host[:port]
	// Host, Version and Agent are what its agent said (absent where no
	// functional check reached it).
	Host    *Host  `json:"host,omitempty"`
	Version string `json:"xdplab_version,omitempty"`
	Agent   string `json:"agent,omitempty"`
	// SameMachine: it shares this host's kernel (a test's namespace).
	SameMachine bool `json:"same_machine,omitempty"`
}

// String names the host for reports.
func (g *GeneratorHost) String() string {
	if g.Host == nil {
		return g.Target
	}
	s := fmt.Sprintf("%s (%s, kernel %s, %s, %d cores, xdplab %s)", g.Target, g.Host.Hostname, g.Host.Kernel, g.Host.CPUModel, g.Host.Cores, g.Version)
	if g.SameMachine {
		s += ", sharing this host's kernel"
	}
	return s
}

// Qualified names an interface: name, driver, its version, firmware, bus.
type Qualified struct {
	Name     string `json:"name"`
	Driver   string `json:"driver"`
	Version  string `json:"driver_version"`
	Firmware string `json:"firmware"`
	Bus      string `json:"bus"`
}

// QualifyCheck is one check and its verdict.
type QualifyCheck struct {
	Section string  `json:"section"` // capabilities, functional, performance, stability
	Name    string  `json:"name"`
	Mode    string  `json:"mode,omitempty"`
	Verdict Verdict `json:"verdict"`
	Detail  string  `json:"detail"`
}

// Finish sets the overall verdict and the counts: fail when a check
// failed (fail, advertised-fails); else inconclusive when a check that
// should have run did not (not-run) or could not decide (inconclusive),
// or when no check passed at all; else pass.
func (q *Qualification) Finish() {
	q.Counts = map[Verdict]int{}
	passed := false
	for _, c := range q.Checks {
		q.Counts[c.Verdict]++
		if c.Verdict == VerdictPass || c.Verdict == VerdictWorksNotAdvertised {
			passed = true
		}
	}
	switch {
	case len(q.Failed()) > 0:
		q.Verdict = VerdictFail
	case q.Counts[VerdictNotRun]+q.Counts[VerdictInconclusive] > 0 || !passed:
		q.Verdict = VerdictInconclusive
	default:
		q.Verdict = VerdictPass
	}
	for _, c := range q.Checks {
		switch c.Verdict {
		case VerdictPass, VerdictFail, VerdictNotSupported, VerdictWorksNotAdvertised, VerdictAdvertisedFails, VerdictNotApplicable, VerdictNotRun, VerdictInconclusive:
		default:
			q.Verdict = VerdictFail // a check without a known verdict is no pass
		}
	}
}

// Undecided lists the checks that ran without a verdict or did not run.
func (q *Qualification) Undecided() []QualifyCheck {
	return q.with(VerdictNotRun, VerdictInconclusive)
}

// Failed lists the checks that failed.
func (q *Qualification) Failed() []QualifyCheck {
	return q.with(VerdictFail, VerdictAdvertisedFails)
}

func (q *Qualification) with(verdicts ...Verdict) []QualifyCheck {
	var out []QualifyCheck
	for _, c := range q.Checks {
		if slices.Contains(verdicts, c.Verdict) {
			out = append(out, c)
		}
	}
	return out
}

// WriteMarkdown writes the report as Markdown, for a qualification record.
func (q *Qualification) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	m := MarkdownText
	fmt.Fprintf(&b, "# XDP qualification: %s (%s %s): %s\n\n", m(q.DUT.Name), m(q.DUT.Driver), m(q.DUT.Version), strings.ToUpper(string(q.Verdict)))
	fmt.Fprintf(&b, "- Suite: %s; %s\n", m(q.Suite), m(q.Tool.Name+" "+q.Tool.Version))
	fmt.Fprintf(&b, "- Kernel: %s (%s), %s, %d cores\n", m(q.Host.Kernel), m(q.Host.Machine), m(q.Host.CPUModel), q.Host.Cores)
	fmt.Fprintf(&b, "- DUT: %s, driver %s %s, firmware %s, bus %s\n", m(q.DUT.Name), m(q.DUT.Driver), m(orNone(q.DUT.Version)), m(orNone(q.DUT.Firmware)), m(orNone(q.DUT.Bus)))
	fmt.Fprintf(&b, "- Peer: %s, driver %s\n", m(q.Peer.Name), m(q.Peer.Driver))
	if q.Generator != nil {
		fmt.Fprintf(&b, "- Generator host: %s\n", m(q.Generator.String()))
	}
	fmt.Fprintf(&b, "- Created: %s\n\n", q.Created.Format(time.RFC3339))
	var keys []string
	for k := range q.Counts {
		keys = append(keys, fmt.Sprintf("%s %d", m(string(k)), q.Counts[k]))
	}
	fmt.Fprintf(&b, "Checks by verdict: %s.\n\n", strings.Join(slices.Sorted(slices.Values(keys)), ", "))
	fmt.Fprintln(&b, "| section | check | mode | verdict | detail |")
	fmt.Fprintln(&b, "|---|---|---|---|---|")
	for _, c := range q.Checks {
		fmt.Fprintf(&b, "| %s | %s | %s | **%s** | %s |\n", m(c.Section), m(c.Name), m(orDash(c.Mode)), m(string(c.Verdict)), m(c.Detail))
	}
	fmt.Fprintln(&b, "\n## Reproduce\n\n```")
	for _, c := range q.Reproduce {
		// A fence inside a command would end the code block.
		fmt.Fprintln(&b, strings.ReplaceAll(c, "```", "'''"))
	}
	fmt.Fprintln(&b, "```")
	if len(q.Settings) > 0 {
		var s []string
		for k, v := range q.Settings {
			s = append(s, m(k+"="+v))
		}
		fmt.Fprintf(&b, "\nSettings: %s.\n", strings.Join(slices.Sorted(slices.Values(s)), ", "))
	}
	for _, n := range q.Notes {
		fmt.Fprintf(&b, "\n> %s\n", m(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var qualifyHTML = template.Must(template.New("q").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>XDP qualification: {{.DUT.Name}} ({{.DUT.Driver}}): {{.Verdict}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.pass{background:#e6f4e6}.fail,.advertised-fails{background:#fbe3e3}.works-not-advertised{background:#fff4d6}</style></head><body>
<h1>XDP qualification: {{.DUT.Name}}: <span class="{{.Verdict}}">{{.Verdict}}</span></h1>
<p>Suite {{.Suite}}, {{.Tool.Name}} {{.Tool.Version}}. Kernel {{.Host.Kernel}} ({{.Host.Machine}}), {{.Host.CPUModel}}, {{.Host.Cores}} cores.
DUT {{.DUT.Name}}: driver {{.DUT.Driver}} {{.DUT.Version}}, firmware {{.DUT.Firmware}}, bus {{.DUT.Bus}}. Peer {{.Peer.Name}} ({{.Peer.Driver}}){{with .Generator}} on the generator host {{.String}}{{end}}. Created {{.Created}}.</p>
<table><tr><th>section</th><th>check</th><th>mode</th><th>verdict</th><th>detail</th></tr>
{{range .Checks}}<tr class="{{.Verdict}}"><td>{{.Section}}</td><td>{{.Name}}</td><td>{{.Mode}}</td><td>{{.Verdict}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
<h2>Reproduce</h2><pre>{{range .Reproduce}}{{.}}
{{end}}</pre>
{{range .Notes}}<p>{{.}}</p>{{end}}
</body></html>
`))

// WriteHTML writes the report as one self-contained HTML page.
func (q *Qualification) WriteHTML(w io.Writer) error { return qualifyHTML.Execute(w, q) }

func orNone(s string) string {
	if s == "" {
		return "(none reported)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
