package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/results"
)

func verdicts(q *results.Qualification) map[string]results.Verdict {
	out := map[string]results.Verdict{}
	for _, c := range q.Checks {
		out[c.Section+"/"+c.Name+"/"+c.Mode] = c.Verdict
	}
	return out
}

func TestQualifyRejects(t *testing.T) {
	for args, want := range map[string][]string{
		"--iface eth9": {"qualify", "--iface", "eth9"},
		"--peer-netns": {"qualify", "--iface", "eth9", "--peer-netns"},
		"--only turbo": {"qualify", "--only", "turbo"},
		"--soak 10ms":  {"qualify", "--soak", "10ms"},
		"--frames -1":  {"qualify", "--frames", "-1"},
	} {
		_, _, err := xdplab(t, context.Background(), want...)
		var ue *usageError
		assert.ErrorAs(t, err, &ue, args)
	}
}
