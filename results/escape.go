package results

import (
	"strconv"
	"strings"
)

// MarkdownText escapes s for Markdown prose and table cells (pull-request
// comments, qualification records): a crafted string (a kernel release, a
// CPU model, a file name) renders as text, never as a link, an image,
// HTML or a table column.
func MarkdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '<', '>', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MarkdownCode writes s as an inline code span: a backtick inside would
// end it, and a pipe would end a table cell, so both are replaced.
func MarkdownCode(s string) string {
	s = strings.NewReplacer("`", "'", "|", "/", "\n", " ", "\r", " ").Replace(s)
	return "`" + s + "`"
}

// CSVCell guards a CSV cell against formula injection: a spreadsheet runs
// a cell that starts with =, +, -, @, a tab or a carriage return as a
// formula, so such a cell gets a leading apostrophe. Numbers (a minus
// sign and digits) are left as they are.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
