package catalog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// FilterRule is one rule of the filter workload: drop frames from or to a
// prefix, or of a protocol (and destination port).
type FilterRule struct {
	ID     uint32 // 1..MaxFilterRules-1; 0 counts malformed frames
	Text   string // the rule as written
	Field  string // "src", "dst" or "proto"
	Prefix netip.Prefix
	Proto  uint8  // IP protocol number
	Port   uint16 // destination port; 0: every port
}

var protoNumbers = map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}

// ParseFilterRule reads one rule:
//
//	drop src 198.18.0.128/25
//	drop dst 2001:2::/64
//	drop proto tcp dport 80
//	drop proto icmp
func ParseFilterRule(s string) (FilterRule, error) {
	f := strings.Fields(s)
	r := FilterRule{Text: strings.Join(f, " ")}
	bad := func(why string) (FilterRule, error) {
		text := r.Text
		if len(text) > 80 {
			text = text[:80] + "..."
		}
		if len(why) > 120 {
			why = why[:120] + "..."
		}
		return r, fmt.Errorf("rule %q: %s (write: drop src PREFIX | drop dst PREFIX | drop proto tcp|udp|icmp|icmpv6 [dport N])", text, why)
	}
	if len(f) < 3 || f[0] != "drop" {
		return bad("a rule starts with drop and names src, dst or proto")
	}
	switch r.Field = f[1]; r.Field {
	case "src", "dst":
		if len(f) != 3 {
			return bad("one prefix per rule")
		}
		p, err := netip.ParsePrefix(f[2])
		if err != nil {
			a, aerr := netip.ParseAddr(f[2])
			if aerr != nil {
				return bad(fmt.Sprintf("%q is not an address or prefix", f[2]))
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		r.Prefix = p.Masked()
	case "proto":
		n, ok := protoNumbers[f[2]]
		if !ok {
			return bad(fmt.Sprintf("unknown protocol %q", f[2]))
		}
		r.Proto = n
		switch {
		case len(f) == 3:
		case len(f) == 5 && f[3] == "dport":
			if n != 6 && n != 17 {
				return bad("only tcp and udp have ports")
			}
			port, err := strconv.ParseUint(f[4], 10, 16)
			if err != nil || port == 0 {
				return bad(fmt.Sprintf("port %q: use 1 to 65535", f[4]))
			}
			r.Port = uint16(port)
		default:
			return bad("after the protocol only dport N may follow")
		}
	default:
		return bad(fmt.Sprintf("unknown field %q", f[1]))
	}
	return r, nil
}

// MaxRuleLine bounds a line of a rules file.
const MaxRuleLine = 4096

// ReadFilterRules reads a rules file: one rule a line, # starts a comment.
// Errors name the file and line.
func ReadFilterRules(path string) ([]FilterRule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer f.Close()
	return ParseFilterRules(f, path)
}

// ParseFilterRules reads rules from r; name names it in errors.
func ParseFilterRules(r io.Reader, name string) ([]FilterRule, error) {
	var rules []FilterRule
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), MaxRuleLine)
	seen := map[string]int{}
	n := 0
	for n = 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		rule, err := ParseFilterRule(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if prev, ok := seen[rule.key()]; ok {
			return nil, fmt.Errorf("%s:%d: rule %q repeats line %d", name, n, rule.Text, prev)
		}
		seen[rule.key()] = n
		rule.ID = uint32(len(rules) + 1)
		if rule.ID >= MaxFilterRules {
			return nil, fmt.Errorf("%s:%d: more than %d rules", name, n, MaxFilterRules-1)
		}
		rules = append(rules, rule)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: a line longer than %d bytes: a rule is a short line", name, n, MaxRuleLine)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("%s: no rules: write one a line, such as: drop src 198.18.0.128/25", name)
	}
	return rules, nil
}

// ExampleRule is a filter rule that matches nothing xdplab sends: an IPv6
// source prefix in the benchmarking range that no flow uses. The churn
// trial adds and deletes it under load, and inspect and equiv load the
// filter with it when given no rules.
const ExampleRule = "drop src 2001:2:0:fffe::/64"

func (r FilterRule) key() string {
	return fmt.Sprintf("%s %v %d %d", r.Field, r.Prefix, r.Proto, r.Port)
}
