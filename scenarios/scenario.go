// Package scenarios reads scenario files: YAML that says what to measure
// (programs, modes, topology, traffic, trial settings) and what must hold
// (expectations), so that the same test runs by hand and in CI. Parsing is
// strict: an unknown key, a wrong type or an out-of-range value is an error
// naming the file, the line and the key. The library/ directory holds the
// scenarios xdplab ships; the subpackage expect parses and checks their
// expectations.
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/scenarios/expect"
)

// Format is the scenario format's version; a file says `format: 1`.
const Format = 1

// File holds a scenario's own keys: everything else in it is a setting of
// the run description (spec.Fields, each under its scenario key).
type File struct {
	Format      int
	Name        string
	Description string
	Expect      []string
}

// RFC2544Sizes are RFC 2544's Ethernet frame sizes (with FCS).
var RFC2544Sizes = []int{64, 128, 256, 512, 1024, 1280, 1518}

// Scenario is a checked scenario: one run description per frame size and
// flow count, and the expectations.
type Scenario struct {
	Path   string
	File   File
	Runs   []spec.Run
	Expect []expect.Expectation
}

// Error is a mistake in a scenario file, with where it is.
type Error struct {
	Path string
	Line int
	Key  string // the YAML path, such as traffic.sizes
	Msg  string
}

func (e *Error) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Load reads and checks a scenario file; read, when given, reads the
// object a run names (see spec.ObjectReader).
func Load(path string, read ...spec.ObjectReader) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return Parse(path, data, read...)
}

// Parse checks a scenario file's contents; path names it in errors and
// anchors relative object paths; read is as for Load.
func Parse(path string, data []byte, read ...spec.ObjectReader) (*Scenario, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Path: path, Msg: "empty file: a scenario needs at least format, name and programs (see scenarios/library)"}
	}
	if err := bounded(data); err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	var doc map[string]any
	if err := unmarshal(data, &doc); err != nil {
		return nil, yamlError(path, err)
	}
	c := &checker{path: path, data: data, values: map[string]any{}, read: read}
	s := &Scenario{Path: path}
	c.check(doc, s)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return s, nil
}

// unmarshal decodes strictly. goccy/go-yaml v1.19.2 panics on some inputs
// (a tagged scalar where a list belongs, found by FuzzParse); such input is
// reported as an error, never a crash.
func unmarshal(data []byte, doc *map[string]any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the YAML could not be decoded (%v): check the file's structure against scenarios/library", p)
		}
	}()
	return yaml.UnmarshalWithOptions(data, doc, yaml.Strict())
}

// yamlError turns the YAML library's error into file:line: message, from
// the error's token and message (yaml.Error), never from its text.
func yamlError(path string, err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &Error{Path: path, Msg: cut(err.Error())}
	}
	line := 0
	if tk := ye.GetToken(); tk != nil && tk.Position != nil {
		line = tk.Position.Line
	}
	return &Error{Path: path, Line: line, Msg: cut(ye.GetMessage())}
}

type checker struct {
	path string
	data []byte
	errs []error
	// values are the file's leaves by key (traffic.vlan).
	values map[string]any
	read   []spec.ObjectReader // reads a run's object (Load)
}

// line finds the line of a YAML path such as $.traffic.sizes; 0 where it
// cannot tell. A key of other characters than a path may hold is not
// handed to goccy's path parser, which panics on some ("0[0:", found by
// fuzzing): the error names the key without its line.
func (c *checker) line(key string) int {
	if !pathSafe(key) {
		return 0
	}
	p, err := yaml.PathString("$." + key)
	if err != nil {
		return 0
	}
	n, err := p.ReadNode(bytes.NewReader(c.data))
	if err != nil || n == nil || n.GetToken() == nil {
		if i := strings.LastIndex(key, "."); i > 0 {
			return c.line(key[:i])
		}
		return 0
	}
	return n.GetToken().Position.Line
}

// pathSafe tells whether key is a path of this loader's keys: names of
// letters, digits, _ and -, each with list indexes, joined by dots
// (traffic.sizes[1]).
func pathSafe(key string) bool { return safePath.MatchString(key) }

var safePath = regexp.MustCompile(`^[A-Za-z0-9_-]+(\[[0-9]+\])*(\.[A-Za-z0-9_-]+(\[[0-9]+\])*)*$`)

// MaxMessage bounds an error message: a hostile value is never echoed
// whole.
const MaxMessage = 400

// MaxErrors bounds the errors one file reports.
const MaxErrors = 20

func (c *checker) errorf(key, format string, args ...any) {
	c.add(&Error{Path: c.path, Line: c.line(key), Key: key, Msg: cut(fmt.Sprintf(format, args...))})
}

// errorAt reports a mistake at key's line without naming the key (the
// message names it).
func (c *checker) errorAt(key, format string, args ...any) {
	c.add(&Error{Path: c.path, Line: c.line(key), Msg: cut(fmt.Sprintf(format, args...))})
}

func (c *checker) add(e *Error) {
	if len(c.errs) == MaxErrors {
		c.errs = append(c.errs, &Error{Path: c.path, Msg: fmt.Sprintf("more than %d mistakes: fix these first", MaxErrors)})
	}
	if len(c.errs) > MaxErrors {
		return
	}
	c.errs = append(c.errs, e)
}

// cut shortens a message to MaxMessage bytes.
func cut(s string) string { return clip(s, MaxMessage) }

// ownKeys are the keys a scenario reads itself; every other leaf is a
// setting of the run description under its scenario key.
var ownKeys = map[string]bool{
	"format": true, "name": true, "description": true, "expect": true,
	"topology.kind": true, "topology.dut": true, "topology.peer": true, "topology.force": true,
	"traffic.sizes": true, "traffic.flows": true, "traffic.imix": true,
}

// settingKeys maps scenario keys to the run description's fields.
func settingKeys() map[string]spec.Field {
	out := map[string]spec.Field{}
	for _, f := range spec.Fields() {
		if k := f.ScenarioKey(); k != "-" {
			out[k] = f
		}
	}
	return out
}

// groups are the keys that hold other keys (traffic, traffic.pcap).
func groups(keys map[string]spec.Field) map[string]bool {
	out := map[string]bool{}
	add := func(k string) {
		for i := strings.LastIndexByte(k, '.'); i > 0; i = strings.LastIndexByte(k[:i], '.') {
			out[k[:i]] = true
		}
	}
	for k := range keys {
		add(k)
	}
	for k := range ownKeys {
		add(k)
	}
	return out
}

// walk records the leaves of m under prefix and reports unknown keys.
func (c *checker) walk(m map[string]any, prefix string, keys map[string]spec.Field, groups map[string]bool) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v := m[k]
		key := prefix + k
		_, setting := keys[key]
		switch {
		case setting || ownKeys[key]:
			c.values[key] = v
		case groups[key]:
			sub, ok := v.(map[string]any)
			if !ok {
				c.errorf(key, "%s: give its keys (see scenarios/library)", short(v))
				continue
			}
			c.walk(sub, key+".", keys, groups)
		default:
			c.errorAt(key, "unknown field %q: see scenarios/library for the keys a scenario has", clip(k, 64))
		}
	}
}

// text is a leaf's value as a setting's text.
func (c *checker) text(key string, v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case uint64, int64, int:
		return fmt.Sprint(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case nil:
		c.errorf(key, "no value: give one or leave the key out")
	default:
		c.errorf(key, "%s: give a single value", short(v))
	}
	return "", false
}

func (c *checker) check(doc map[string]any, s *Scenario) {
	keys := settingKeys()
	c.walk(doc, "", keys, groups(keys))
	c.file(&s.File)
	_, hasPrograms := c.values["programs"]
	_, hasObject := c.values["object.path"]
	if !hasPrograms && !hasObject {
		if c.present("object.") {
			c.errorf("object.path", "missing: name the BPF ELF object")
		} else {
			c.errorf("programs", "missing: name built-in programs (%s) or an object", strings.Join(catalog.BuiltinNames(), ", "))
		}
	}
	if _, ok := c.values["traffic.pcap.path"]; !ok && c.present("traffic.pcap.") {
		c.errorf("traffic.pcap.path", "missing: name the capture file")
	}
	base := append(c.settings(s.Path), c.topology()...)
	if v, ok := c.values["traffic.imix"]; ok {
		if m, ok := c.mix(v); ok {
			base = append(base, spec.Setting{Path: spec.FieldIMIX, Value: m})
		}
	}
	var sizes, flows []int
	if v, ok := c.values["traffic.sizes"]; ok {
		sizes = c.ints("traffic.sizes", v)
	}
	if v, ok := c.values["traffic.flows"]; ok {
		flows = c.ints("traffic.flows", v)
	}
	c.expectations(s)
	if len(c.errs) > 0 {
		return
	}
	c.runs(s, base, sizes, flows)
}

// file reads the file's own keys: its format, name and description.
func (c *checker) file(f *File) {
	if v, ok := c.values["format"]; ok {
		n, isInt := asInt(v)
		if !isInt {
			c.errorf("format", "%s: give the format's number (format: %d)", short(v), Format)
		}
		f.Format = n
	}
	if f.Format != Format {
		c.errorf("format", "format %d: this xdplab reads scenario format %d (write `format: %d`)", f.Format, Format, Format)
	}
	if v, ok := c.values["name"]; ok {
		f.Name, _ = v.(string)
	}
	if strings.TrimSpace(f.Name) == "" {
		c.errorf("name", "missing: every scenario has a name (it names the results files)")
	} else if err := validName(f.Name); err != nil {
		c.errorf("name", "%v", err)
	}
	if v, ok := c.values["description"]; ok {
		f.Description, _ = v.(string)
	}
}

// settings are the file's keys that are fields of the run description,
// in the table's order; a relative file path is anchored at the file.
func (c *checker) settings(path string) []spec.Setting {
	var base []spec.Setting
	for _, fl := range spec.Fields() {
		key := fl.ScenarioKey()
		v, ok := c.values[key]
		if !ok || ownKeys[key] {
			continue
		}
		if fl.List {
			list, isList := v.([]any)
			if !isList {
				c.errorf(key, "%s: give a list, such as [%s]", short(v), fl.Default)
				continue
			}
			for i, e := range list {
				if t, ok := c.text(fmt.Sprintf("%s[%d]", key, i), e); ok {
					base = append(base, spec.Setting{Path: fl.Path, Value: t})
				}
			}
			continue
		}
		t, ok := c.text(key, v)
		if !ok {
			continue
		}
		if fl.File && t != "" && !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(path), t)
		}
		base = append(base, spec.Setting{Path: fl.Path, Value: t})
	}
	return base
}

// expectations parses the file's expect list.
func (c *checker) expectations(s *Scenario) {
	f := &s.File
	if v, ok := c.values["expect"]; ok {
		list, isList := v.([]any)
		if !isList {
			c.errorf("expect", "%s: give a list of expectations", short(v))
		}
		for i, e := range list {
			str, ok := e.(string)
			if !ok {
				c.errorf(fmt.Sprintf("expect[%d]", i), "%s: write an expectation as text, such as \"loss <= 0.1%%\"", short(e))
				continue
			}
			f.Expect = append(f.Expect, str)
			x, err := expect.Parse(str)
			if err != nil {
				c.errorf(fmt.Sprintf("expect[%d]", i), "%v", err)
				continue
			}
			s.Expect = append(s.Expect, x)
		}
	}
}

// runs builds one run per frame size and flow count.
func (c *checker) runs(s *Scenario, base []spec.Setting, sizes, flows []int) {
	sweep := func(path string, vals []int) [][]spec.Setting {
		if len(vals) == 0 {
			return [][]spec.Setting{nil}
		}
		var out [][]spec.Setting
		for _, v := range vals {
			out = append(out, []spec.Setting{{Path: path, Value: strconv.Itoa(v)}})
		}
		return out
	}
	for _, size := range sweep(spec.FieldSize, sizes) {
		for _, fl := range sweep(spec.FieldFlows, flows) {
			settings := append(append(slices.Clone(base), size...), fl...)
			r, err := spec.Build(settings, c.read...)
			if err != nil {
				for _, e := range spec.FieldErrors(err) {
					key := Key(e.Field)
					c.errorf(key, "%s", e.Message(Key))
				}
				if len(spec.FieldErrors(err)) == 0 {
					c.errorf("", "%v", err)
				}
				return
			}
			s.Runs = append(s.Runs, r)
		}
	}
}

// Key spells a field of the run description as a scenario key, an
// element's index kept: programs[1].
func Key(path string) string {
	base, index := spec.SplitIndex(path)
	if f, ok := spec.Lookup(base); ok && f.ScenarioKey() != "-" {
		return f.ScenarioKey() + index
	}
	return path
}

// present tells whether any key under prefix is in the file.
func (c *checker) present(prefix string) bool {
	for k := range c.values {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// topology reads topology.kind, dut, peer; force is refused.
func (c *checker) topology() []spec.Setting {
	if _, ok := c.values["topology.force"]; ok {
		c.errorf("topology.force", "a scenario file cannot accept the interface that carries the default route: give --force on the command line if you mean it")
	}
	str := func(k string) string {
		v, _ := c.values[k].(string)
		return v
	}
	kind, dut, peer := str("topology.kind"), str("topology.dut"), str("topology.peer")
	switch kind {
	case "", "pair":
		if dut != "" || peer != "" {
			c.errorf("topology", "dut and peer name a nic-pair's interfaces: set kind: nic-pair")
		}
	case "nic-pair":
		if dut == "" || peer == "" {
			c.errorf("topology", "a nic-pair needs dut and peer: two interfaces of this host cabled back to back")
			return nil
		}
		return []spec.Setting{{Path: spec.FieldDUT, Value: dut}, {Path: spec.FieldPeer, Value: peer}}
	default:
		c.errorf("topology.kind", "%q: use pair or nic-pair", kind)
	}
	return nil
}

// ints reads traffic.sizes or traffic.flows: a number, a list of numbers,
// or (sizes) rfc2544.
func (c *checker) ints(key string, v any) []int {
	switch x := v.(type) {
	case uint64, int64, int:
		n, ok := asInt(x)
		if ok {
			return []int{n}
		}
	case string:
		if key == "traffic.sizes" && strings.EqualFold(x, "rfc2544") {
			return RFC2544Sizes
		}
	case []any:
		var out []int
		for i, e := range x {
			n, ok := asInt(e)
			if !ok {
				c.errorf(fmt.Sprintf("%s[%d]", key, i), "%s: give a whole number (a list holds numbers, not lists)", short(e))
				return nil
			}
			out = append(out, n)
		}
		if len(out) == 0 {
			c.errorf(key, "an empty list: give at least one value")
		}
		return out
	}
	if key == "traffic.sizes" {
		c.errorf(key, "%s: give a list of frame sizes ([64, 512, 1518]) or rfc2544", short(v))
	} else {
		c.errorf(key, "%s: give a number or a list of numbers", short(v))
	}
	return nil
}

// mix reads traffic.imix: "imix", "64:7,570:4,1518:1", or a list of
// {size, weight}, as the text of the IMIX setting.
func (c *checker) mix(v any) (string, bool) {
	const key = "traffic.imix"
	switch x := v.(type) {
	case string:
		return x, true
	case []any:
		var parts []string
		for i, e := range x {
			em, ok := e.(map[string]any)
			k := fmt.Sprintf("%s[%d]", key, i)
			if !ok {
				c.errorf(k, "%s: give {size: 64, weight: 7}", short(e))
				return "", false
			}
			var size, weight int
			for name, val := range em {
				n, ok := asInt(val)
				switch {
				case name != "size" && name != "weight":
					c.errorf(k, "unknown key %q: an entry has size and weight", clip(name, 64))
					return "", false
				case !ok:
					c.errorf(k+"."+name, "%s: give a whole number", short(val))
					return "", false
				case name == "size":
					size = n
				default:
					weight = n
				}
			}
			if size == 0 || weight == 0 {
				c.errorf(k, "give both size and weight (weights from 1)")
				return "", false
			}
			parts = append(parts, fmt.Sprintf("%d:%d", size, weight))
		}
		return strings.Join(parts, ","), true
	}
	c.errorf(key, "%s: give imix, or a list of {size, weight}", short(v))
	return "", false
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case uint64:
		return int(x), x < 1<<31
	case int64:
		return int(x), x > -1<<31 && x < 1<<31
	case int:
		return x, true
	}
	return 0, false
}
