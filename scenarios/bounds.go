package scenarios

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// The bounds on a scenario file, checked before it is decoded, so that a
// hostile file is refused quickly and in little memory.
const (
	// MaxFileSize: the largest scenario file read (the library's are
	// under 2 KiB).
	MaxFileSize = 1 << 20
	// MaxDepth: how deeply flow collections ([...] and {...}) may nest,
	// and how many levels of indentation (counted in columns / 2) a line
	// may have.
	MaxDepth = 16
	// MaxNodes: the nodes of the document with every alias expanded (an
	// alias bomb expands far beyond it).
	MaxNodes = 20000
	// MaxErrorValue: the longest value an error message quotes.
	MaxErrorValue = 120
	// MaxNameLen: a scenario name's longest (it names results files).
	MaxNameLen = 64
)

// bounded checks a file against the bounds before any decoding.
func bounded(data []byte) error {
	if len(data) > MaxFileSize {
		return fmt.Errorf("%d bytes: a scenario file is at most %d (1 MiB)", len(data), MaxFileSize)
	}
	if err := depth(data); err != nil {
		return err
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil // the decoder reports it with its line
	}
	anchors := map[string]ast.Node{}
	for _, d := range f.Docs {
		collectAnchors(d.Body, anchors, 0)
	}
	budget := MaxNodes
	memo := map[string]int{}
	for _, d := range f.Docs {
		if n := nodes(d.Body, anchors, memo, &budget, 0); n < 0 {
			return fmt.Errorf("with its aliases expanded the file has more than %d nodes: write the values out, or use fewer aliases", MaxNodes)
		}
	}
	return nil
}

// depth checks the nesting of flow collections and the indentation of
// lines, on the raw bytes, skipping quoted strings and comments.
func depth(data []byte) error {
	level, line := 0, 1
	var quote, prev byte = 0, '\n'
	comment, start := false, true
	col := 0
	for _, c := range data {
		if c == '\n' {
			// A quoted string may span lines: quote stays.
			line, comment, start, col, prev = line+1, false, true, 0, '\n'
			continue
		}
		if start {
			if c == ' ' {
				col++
				if col/2 > MaxDepth*2 {
					return fmt.Errorf("line %d: indented more than %d columns: nest less deeply", line, MaxDepth*4)
				}
				continue
			}
			start = false
		}
		switch {
		case comment:
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '#':
			comment = true
		case (c == '"' || c == '\'') && strings.IndexByte(":[{,-\n", prev) >= 0:
			// A quote opens a string only where a value starts (not
			// the apostrophe of "it's").
			quote = c
		case c == '[' || c == '{':
			level++
			if level > MaxDepth {
				return fmt.Errorf("line %d: brackets nested more than %d deep: nest less deeply", line, MaxDepth)
			}
		case c == ']' || c == '}':
			level--
		}
		if c != ' ' && c != '\t' {
			prev = c // the last character that is not a blank
		}
	}
	return nil
}

// children are a node's child nodes (an alias has none: its target is
// reached through the anchors).
func children(n ast.Node) []ast.Node {
	switch x := n.(type) {
	case *ast.AnchorNode:
		return []ast.Node{x.Value}
	case *ast.MappingNode:
		out := make([]ast.Node, 0, len(x.Values))
		for _, v := range x.Values {
			out = append(out, v)
		}
		return out
	case *ast.MappingValueNode:
		return []ast.Node{x.Key, x.Value}
	case *ast.MappingKeyNode:
		return []ast.Node{x.Value}
	case *ast.SequenceNode:
		return x.Values
	case *ast.TagNode:
		return []ast.Node{x.Value}
	}
	return nil
}

func collectAnchors(n ast.Node, anchors map[string]ast.Node, d int) {
	if n == nil || d > 4*MaxDepth {
		return
	}
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		anchors[a.Name.String()] = a.Value
	}
	for _, c := range children(n) {
		collectAnchors(c, anchors, d+1)
	}
}

// nodes counts n's nodes with aliases expanded, spending budget; -1 when
// the budget runs out (or the aliases refer to themselves).
func nodes(n ast.Node, anchors map[string]ast.Node, memo map[string]int, budget *int, d int) int {
	if n == nil {
		return 0
	}
	if *budget <= 0 || d > 4*MaxDepth {
		return -1
	}
	*budget--
	total := 1
	if x, ok := n.(*ast.AliasNode); ok {
		name := ""
		if x.Value != nil {
			name = x.Value.String()
		}
		k, seen := memo[name]
		if !seen {
			memo[name] = -1 // an alias inside its own anchor
			target, found := anchors[name]
			if !found {
				return total
			}
			saved := *budget
			k = nodes(target, anchors, memo, budget, d+1)
			*budget = saved
			memo[name] = k
		}
		if k < 0 {
			return -1
		}
		if *budget -= k; *budget < 0 {
			return -1
		}
		return total + k
	}
	for _, c := range children(n) {
		k := nodes(c, anchors, memo, budget, d+1)
		if k < 0 {
			return -1
		}
		total += k
	}
	return total
}

// short quotes a value for an error message, cut to MaxErrorValue bytes.
func short(v any) string { return clip(fmt.Sprintf("%v", v), MaxErrorValue) }

// clip cuts s to n bytes, saying how long it was.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// validName tells whether a scenario name is safe in a file name.
func validName(s string) error {
	if s == "" || len(s) > MaxNameLen {
		return fmt.Errorf("%q: give a name of 1 to %d characters", short(s), MaxNameLen)
	}
	if strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" || s[0] == '.' || s[0] == '-' {
		return fmt.Errorf("%q: use letters, digits, '.', '_' and '-' (it names results files)", short(s))
	}
	return nil
}
