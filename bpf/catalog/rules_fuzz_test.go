package catalog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A line too long is named by its number; a rule's text is never echoed
// whole.
func TestFilterRulesBounds(t *testing.T) {
	in := "drop src 198.18.0.0/24\n" + strings.Repeat("x", MaxRuleLine+1) + "\n"
	_, err := ParseFilterRules(strings.NewReader(in), "rules.txt")
	assert.EqualError(t, err, "rules.txt:2: a line longer than 4096 bytes: a rule is a short line")
	_, err = ParseFilterRules(strings.NewReader("drop "+strings.Repeat("y", 3000)+" z\n"), "r")
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 400)
}

func FuzzParseFilterRules(f *testing.F) {
	f.Add([]byte("drop src 198.18.0.128/25\ndrop proto tcp dport 80\n# c\ndrop dst 2001:2::/64\n"))
	f.Add([]byte("drop proto icmp\ndrop proto icmp\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseFilterRules(bytes.NewReader(data), "fuzz")
		if err != nil {
			if len(err.Error()) > 1024 {
				t.Fatalf("an error of %d bytes", len(err.Error()))
			}
			return
		}
		if len(rules) == 0 || len(rules) >= MaxFilterRules {
			t.Fatalf("%d rules without an error", len(rules))
		}
		for i, r := range rules {
			if r.ID != uint32(i+1) {
				t.Fatalf("rule %d has id %d", i, r.ID)
			}
		}
	})
}
