package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarkdownText(t *testing.T) {
	assert.Equal(t, "6.1.0 \\[click\\](http://x) \\<img src=x\\> a\\|b \\*c\\* \\_d\\_ \\`e\\` \\~f\\~ g\\\\h",
		MarkdownText("6.1.0 [click](http://x) <img src=x> a|b *c* _d_ `e` ~f~ g\\h"))
	assert.Equal(t, "two lines", MarkdownText("two\nlines"))
	assert.Equal(t, "plain 6.18.44-fc (x86\\_64)", MarkdownText("plain 6.18.44-fc (x86_64)"), "renders as x86_64")
	assert.Equal(t, "`a'b/c d`", MarkdownCode("a`b|c\nd"))
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+cmd": "'+cmd", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "-12.5": "-12.5", "+3": "+3", "-1e-05": "-1e-05", "6.1.0": "6.1.0", "": "", "prog=drop": "prog=drop",
	} {
		assert.Equal(t, want, CSVCell(in), "%q", in)
	}
}

// A crafted kernel string renders as text in the qualification record.
func TestQualificationMarkdownEscaped(t *testing.T) {
	q := &Qualification{Suite: "s", Host: Host{Kernel: "6.1 [x](http://evil) <script>"}, DUT: Qualified{Name: "eth|1"},
		Checks:    []QualifyCheck{{Section: "functional", Name: "a|b", Verdict: VerdictPass, Detail: "d\n| injected | row |"}},
		Reproduce: []string{"xdplab qualify ```\nrm -rf /"}}
	q.Finish()
	var b bytes.Buffer
	require.NoError(t, q.WriteMarkdown(&b))
	s := b.String()
	assert.NotContains(t, s, "[x](http://evil)")
	assert.NotContains(t, s, "<script>")
	assert.Contains(t, s, `eth\|1`)
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "| functional") {
			assert.Equal(t, 6, strings.Count(l, "|")-strings.Count(l, `\|`), "one row, five cells: %s", l)
		}
	}
	assert.Equal(t, 2, strings.Count(s, "```"), "the command cannot close the code block")
}
