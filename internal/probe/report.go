package probe

import "github.com/xdplab/xdplab/results/caps"

// The probe report is a document of results/caps.
const (
	ReportSchema        = caps.ReportSchema
	ReportSchemaVersion = caps.ReportSchemaVersion
)

// Report is what `xdplab probe` prints and writes.
type Report = caps.Report
