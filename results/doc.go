// Package results defines xdplab's results file (JSON, versioned by the
// schema name and version in every file), writes it atomically, reads it
// back, and renders it as a text table.
//
// Every figure carries its unit and the counter it came from, and a trial
// carries the flags that say when its figures deserve less trust (counters
// that disagree, a DUT that saw nothing, a generator-bound trial). No
// privileges are needed.
package results
