package report

import "html/template"

var pageTemplate = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5em; }
h1 { margin-top: 0; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1em; background: #fff; }
th, td { border: 1px solid #d0d0d0; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure.chart { display: inline-block; margin: .5em 1em .5em 0; background: #fff; border: 1px solid #ddd; padding: .5em; }
figure.chart figcaption { max-width: 520px; font-size: 12px; color: #555; }
.mismatch { color: #b00020; font-weight: 600; } .note { color: #555; }
code { font-size: 12px; }
</style>
</head>
<body>
<main id="report">
<h1>{{.Title}}</h1>
<p class="note">Made by <code>xdplab report</code> from {{range $i, $f := .Files}}{{if $i}}, {{end}}<code>{{$f}}</code>{{end}}. Every figure names its counter in the table of metrics at the end.</p>

{{if .Env}}
<section id="environment">
<h2>Environment</h2>
<table>
<tr><th>run</th><th>kernel</th><th>CPU</th><th>cores</th><th>tool</th><th>generator</th><th>traffic</th><th>trials</th><th>topology</th><th>started</th></tr>
{{range .Env}}<tr><td>{{.Label}}</td><td>{{.Kernel}}</td><td>{{.CPU}}</td><td class="num">{{.Cores}}</td><td>{{.Tool}}</td><td>{{.Generator}}</td><td>{{.Frames}}</td><td>{{.Trials}}</td><td>{{.Topology}}</td><td>{{.Started}}</td></tr>
{{end}}</table>
</section>

<section id="results">
<h2>Results</h2>
<p class="note">median [min-max] over trials.</p>
<table>
<tr><th>run</th><th>program</th><th>mode</th><th>Mpps</th><th>Gbit/s L2</th><th>loss %</th><th>CPU ns/pkt</th><th>DUT ns/pkt</th><th>prog ns/pkt</th><th>NDR / PDR Mpps</th><th>flagged</th></tr>
{{range .Results}}<tr><td>{{.Run}}</td><td>{{.Program}}</td><td>{{.Mode}}</td><td class="num">{{.Mpps}}</td><td class="num">{{.Gbps}}</td><td class="num">{{.Loss}}</td><td class="num">{{.CPU}}</td><td class="num">{{.DUT}}</td><td class="num">{{.Prog}}</td><td class="num">{{.Search}}</td><td class="num">{{.Flags}}</td></tr>
{{end}}</table>
</section>
{{end}}

{{range .Sections}}{{if .Charts}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{range .Charts}}{{template "chart" .}}
{{end}}</section>
{{end}}{{end}}

<section id="latency">
<h2>Latency</h2>
{{if .Latency}}{{range .Latency}}{{template "chart" .}}
{{end}}{{else}}<p class="note">These results hold no latency histograms, so none is drawn.</p>{{end}}
</section>

{{if .Fingerprints}}
<section id="fingerprint">
<h2>Program fingerprint</h2>
<p class="note">What the kernel made of each program when it loaded it for each mode: the verifier's work (its log at BPF_LOG_STATS), the translated and JIT-compiled images (bpf_prog_info), hashes with map IDs and addresses masked (equal hashes: the same code), the maps and the calls. All but the two times are exact and repeat from load to load on one kernel; n/r: the kernel did not report it.</p>
<table>
<tr><th>run</th><th>kernel</th><th>program</th><th>mode</th>{{range .FingerprintHeads}}<th>{{.}}</th>{{end}}<th>xlated sha256</th><th>jit sha256</th><th>maps</th><th>calls</th><th>not reported</th></tr>
{{range .Fingerprints}}<tr><td>{{.Run}}</td><td>{{.Kernel}}</td><td>{{.Program}}</td><td>{{.Mode}}</td>{{range .Figures}}<td class="num">{{.}}</td>{{end}}<td><code>{{.Xlated}}</code></td><td><code>{{.JIT}}</code></td><td>{{.Maps}}</td><td>{{.Calls}}</td><td>{{.NotReported}}</td></tr>
{{end}}</table>
</section>
{{end}}

{{if .Offload}}
<section id="offload">
<h2>Hardware offload</h2>
<table>
<tr><th>run</th><th>program</th><th>control plane only: what was checked</th></tr>
{{range .Offload}}<tr><td>{{.Run}}</td><td>{{.Program}}</td><td>{{.Checks}}</td></tr>
{{end}}</table>
</section>
{{end}}

{{if .Probes}}
<section id="capabilities">
<h2>Capabilities: advertised against detected</h2>
{{range .Probes}}<p>{{.Tool}}, kernel {{.Kernel.Release}}: BTF {{.Kernel.BTF}}, XDP bpf_link {{.Kernel.XDPLink}}, live frames {{.Kernel.LiveFrames}}, xdp.frags {{.Kernel.XDPFrags}}.</p>
{{range .Interfaces}}<h3>{{.Name}} ({{.Driver.Driver}}, namespace {{.Namespace}})</h3>
<table>
<tr><th>capability</th><th>advertised</th><th>detected</th><th>verdict</th><th>note</th></tr>
{{range .Comparison}}<tr><td>{{.Capability}}</td><td>{{.Advertised}}</td><td>{{.Detected}}</td><td{{if eq .Verdict "mismatch"}} class="mismatch"{{end}}>{{.Verdict}}</td><td>{{.Note}}</td></tr>
{{end}}</table>
{{end}}{{end}}
</section>
{{end}}

{{if .CapabilitiesCompared}}
<section id="capabilities-by-kernel">
<h2>Capabilities by kernel</h2>
<p>Each driver's qualification checks across the kernels it was qualified on, oldest kernel first. A check that passed on an earlier kernel and fails, is not supported or is gone on a later one is a regression.</p>
{{if .CapabilityChanges}}<table>
<tr><th>driver</th><th>check</th><th>mode</th><th>verdict per kernel</th><th></th></tr>
{{range .CapabilityChanges}}<tr><td>{{.Driver}}</td><td>{{.Check}}</td><td>{{.Mode}}</td><td>{{range $i, $v := .Verdicts}}{{if $i}}; {{end}}{{$v.Kernel}}: {{$v.Verdict}}{{end}}</td><td{{if .Regression}} class="mismatch"{{end}}>{{if .Regression}}REGRESSION{{end}}</td></tr>
{{end}}</table>
{{else}}<p>All {{.CapabilitiesCompared}} checks have the same verdict on every kernel.</p>{{end}}
</section>
{{end}}

{{if .Env}}
<section id="flags">
<h2>Flagged trials</h2>
{{if .Flags}}<table>
<tr><th>run</th><th>program</th><th>mode</th><th>trial</th><th>flag</th><th>why</th></tr>
{{range .Flags}}<tr><td>{{.Run}}</td><td>{{.Program}}</td><td>{{.Mode}}</td><td class="num">{{.Trial}}</td><td>{{.Code}}</td><td>{{.Message}}</td></tr>
{{end}}</table>{{else}}<p>No trial was flagged.</p>{{end}}
</section>

<section id="metrics">
<h2>Where each figure comes from</h2>
<table>
<tr><th>figure</th><th>unit</th><th>better</th><th>source</th></tr>
{{range .Metrics}}<tr><td><code>{{.Name}}</code></td><td>{{.Unit}}</td><td>{{.Better}}</td><td>{{.Source}}</td></tr>
{{end}}</table>
</section>
{{end}}
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}</main>
</body>
</html>
{{define "chart"}}<figure class="chart" data-chart="{{.ID}}">{{.SVG}}<figcaption>{{.Caption}}</figcaption></figure>{{end}}`))
