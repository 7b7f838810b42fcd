package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/stream"
)

// Every field has one path, one flag at most, one scenario key; its
// default text builds to Defaults.
func TestFieldsTable(t *testing.T) {
	paths, flags, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range Fields() {
		assert.False(t, paths[f.Path], "path %s twice", f.Path)
		paths[f.Path] = true
		if f.Flag != "" {
			assert.False(t, flags[f.Flag], "flag %s twice", f.Flag)
			flags[f.Flag] = true
		}
		if k := f.ScenarioKey(); k != "-" {
			assert.False(t, keys[k], "scenario key %s twice", k)
			keys[k] = true
		}
		assert.NotEmpty(t, f.Usage, f.Path)
		assert.Equal(t, f.List, f.reset != nil, "%s: a list field says how its first setting clears the default", f.Path)
		assert.Contains(t, []string{"bool", "int", "duration", "string", "strings", "float"}, f.Type, f.Path)
		if f.Default != "" {
			r := Defaults()
			_, es := apply(&r, []Setting{{Path: f.Path, Value: f.Default}})
			require.Empty(t, es, f.Path)
			assert.Equal(t, Defaults(), r, "%s: its default text %q is the default", f.Path, f.Default)
		}
	}
	_, ok := Lookup("traffic.nosuch")
	assert.False(t, ok)
}

// Every field of Run is set by a Field (or derived from one): a setting
// cannot be added to the description without a way to give it.
func TestEveryRunFieldHasASetting(t *testing.T) {
	derived := map[string]string{"Rules": FieldRules, "Limit": FieldLimit, "RatePercent": FieldRate, "Search": FieldSearch}
	set := map[string]bool{}
	for _, f := range Fields() {
		set[f.Path] = true
	}
	rt := reflect.TypeOf(Run{})
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		before := Defaults()
		v := reflect.ValueOf(&before).Elem().Field(i)
		found := false
		for _, f := range Fields() {
			r := Defaults()
			for _, val := range []string{"7", "true", "false", "6", "icmp", "2s", "x", "tx", "native", "50%", "1k", "imix", "1%", "live-frames", "parse-ip", "m=7", "scratch", "m:0=p", "ssh://gen", "all", "m=cpus", "198.18.0.9"} {
				r2 := r
				if f.set(&r2, val) == nil && !reflect.DeepEqual(reflect.ValueOf(&r2).Elem().Field(i).Interface(), v.Interface()) {
					found = true
				}
			}
		}
		if p, ok := derived[name]; ok {
			assert.True(t, set[p], "%s comes from %s", name, p)
			continue
		}
		assert.True(t, found, "Run.%s has no Field that sets it", name)
	}
}

// Build applies settings in order: a list's first setting replaces the
// default, an object replaces the default program, and what excludes
// each other is a field error naming both through Refs.
// readObject is runner.ReadObject, which this package cannot import.
func readObject(r *Run) error {
	return bpf.CheckObject(bpf.ObjectOptions{Path: r.Object, Program: r.ObjectProgram, MapEntries: r.MapEntries, MapCPUs: r.MapCPUs, MapInit: r.MapInit, Variables: r.Variables, TailCalls: r.TailCalls})
}

// Without a reader the object is only looked for: the description links
// no ELF reader, and the front end that has one reads it.
func TestBuildObjectReader(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "x.o")
	require.NoError(t, os.WriteFile(notELF, []byte("not an object"), 0o644))
	_, err := Build([]Setting{{FieldObject, notELF}})
	require.NoError(t, err)
	read := 0
	_, err = Build([]Setting{{FieldObject, notELF}}, func(r *Run) error { read++; return errors.New("refused") })
	require.Len(t, FieldErrors(err), 1)
	assert.Equal(t, FieldObject, FieldErrors(err)[0].Field)
	assert.Equal(t, 1, read)
	_, err = Build([]Setting{{FieldObject, "/nonexistent/x.o"}}, func(r *Run) error { t.Error("read a missing file"); return nil })
	assert.ErrorContains(t, err, "/nonexistent/x.o")
}

// A field error keeps the error it was made of: its kind is found by
// type, never by its text.
func TestFieldErrorKeepsCause(t *testing.T) {
	_, err := Build([]Setting{{FieldObject, "../../bpf/dut_bpfel.o"}}, readObject)
	var choice *catalog.ProgramChoiceError
	require.ErrorAs(t, err, &choice)
	assert.Equal(t, []string{"xdp_drop", "xdp_pass", "xdp_redirect", "xdp_tx", "xdp_xsk"}, choice.Programs)
	_, err = Build([]Setting{{FieldPrograms, "frobnicate"}})
	assert.ErrorIs(t, err, catalog.ErrUnknownProgram)
	assert.Equal(t, Index(FieldPrograms, 0), FieldErrors(err)[0].Field)
	_, err = Build([]Setting{{FieldObject, "../../bpf/testdata/unsized_bpfel.o"}}, readObject)
	var unsized *catalog.UnsizedMapsError
	require.ErrorAs(t, err, &unsized)
	assert.Equal(t, []string{"per_ifindex"}, unsized.Maps)
}

const bench = "../../bpf/testdata/bench7_bpfel.o" // seven maps at max_entries 0

func TestBuild(t *testing.T) {
	obj := "../../bpf/dut_bpfel.o" // four XDP programs
	notELF := filepath.Join(t.TempDir(), "x.o")
	require.NoError(t, os.WriteFile(notELF, []byte("not an object"), 0o644))
	cases := []struct {
		name     string
		settings []Setting
		check    func(t *testing.T, r Run)
		field    string // the first error's field; "" none
		msg      string
	}{
		{"defaults", nil, func(t *testing.T, r Run) { assert.Equal(t, Defaults(), r) }, "", ""},
		{"list replaces default", []Setting{{FieldPrograms, "pass"}, {FieldPrograms, "tx"}},
			func(t *testing.T, r Run) { assert.Equal(t, []string{"pass", "tx"}, r.Programs) }, "", ""},
		{"modes", []Setting{{FieldModes, "native"}, {FieldModes, "skb"}},
			func(t *testing.T, r Run) { assert.Equal(t, []xdpmode.Mode{xdpmode.Native, xdpmode.Generic}, r.Modes) }, "", ""},
		{"auto is every mode", []Setting{{FieldModes, "auto"}}, func(t *testing.T, r Run) { assert.Nil(t, r.Modes) }, "", ""},
		{"object replaces the default program", []Setting{{FieldObject, obj}, {FieldObjectProgram, "xdp_pass"}},
			func(t *testing.T, r Run) {
				assert.Nil(t, r.Programs)
				assert.Equal(t, obj, r.Object)
				assert.Equal(t, "xdp_pass", r.ObjectProgram)
			}, "", ""},
		{"object read before the run", []Setting{{FieldObject, notELF}}, nil, FieldObject, "not a BPF ELF object"},
		{"object's program to choose", []Setting{{FieldObject, obj}}, nil, FieldObjectProgram, "holds 5 XDP programs (xdp_drop, xdp_pass, xdp_redirect, xdp_tx, xdp_xsk): choose one with object.program"},
		{"object's program missing", []Setting{{FieldObject, obj}, {FieldObjectProgram, "nope"}}, nil, FieldObjectProgram, `has no XDP program "nope"`},
		{"map entries without an object", []Setting{{FieldMapEntries, "m=4"}}, nil, FieldMapEntries, "sizes the maps of an object: give object too"},
		{"variables without an object", []Setting{{FieldVariables, "v=1"}}, nil, FieldVariables, "sets the variables of an object: give object too"},
		{"variable not name=value", []Setting{{FieldVariables, "v"}}, nil, "object.set[0]", `"v": write a variable's name and its value`},
		{"variable set twice", []Setting{{FieldVariables, "v=1"}, {FieldVariables, "v=2"}}, nil, "object.set[1]", "variable v set twice"},
		{"tail calls without an object", []Setting{{FieldTailCalls, "m:0=p"}}, nil, FieldTailCalls, "fills the program arrays of an object: give object too"},
		{"tail call not map:slot=prog", []Setting{{FieldTailCalls, "m=p"}}, nil, "object.tail_calls[0]", `"m=p": write a program array, a slot and a program`},
		{"tail call slot not a number", []Setting{{FieldTailCalls, "m:x=p"}}, nil, "object.tail_calls[0]", "write a program array, a slot and a program"},
		{"pin without an object", []Setting{{FieldPin, "scratch"}}, nil, FieldPin, "pins the maps of an object: give object too"},
		{"pin of no such kind", []Setting{{FieldPin, "host"}}, nil, FieldPin, `"host": use ignore or scratch`},
		{"map entries not name=n", []Setting{{FieldMapEntries, "m"}}, nil, "object.map_entries[0]", `"m": write a map's name and its entries`},
		{"map sized twice", []Setting{{FieldMapEntries, "m=1"}, {FieldMapEntries, "m=2"}}, nil, "object.map_entries[1]", "map m sized twice"},
		{"map sized twice, once to the CPUs", []Setting{{FieldMapEntries, "m=cpus"}, {FieldMapEntries, "m=2"}}, nil, "object.map_entries[1]", "map m sized twice"},
		{"map sized to the CPUs twice", []Setting{{FieldMapEntries, "m=2"}, {FieldMapEntries, "m=cpus"}}, nil, "object.map_entries[1]", "map m sized twice"},
		{"map sized to cores", []Setting{{FieldMapEntries, "m=cores"}}, nil, "object.map_entries[0]", `"m=cores": write a map's name and its entries or cpus`},
		{"every map by convention", []Setting{{FieldObject, bench}, {FieldMapEntries, "*=cpus"}},
			func(t *testing.T, r Run) {
				assert.Equal(t, []string{"*"}, r.MapCPUs)
				assert.Empty(t, r.MapEntries)
			}, "", ""},
		{"one named, the rest by number", []Setting{{FieldObject, bench}, {FieldMapEntries, "rx_cnt=cpus"}, {FieldMapEntries, "*=16"}},
			func(t *testing.T, r Run) {
				assert.Equal(t, []string{"rx_cnt"}, r.MapCPUs)
				assert.Equal(t, map[string]uint32{"*": 16}, r.MapEntries)
			}, "", ""},
		{"every map both ways", []Setting{{FieldObject, bench}, {FieldMapEntries, "*=cpus"}, {FieldMapEntries, "*=16"}}, nil, "object.map_entries[1]", "map * sized twice"},
		{"seven unsized, the fix says how", []Setting{{FieldObject, bench}}, nil, FieldMapEntries, "'*=N' / '*=cpus' for every one at once"},
		{"map of no such name", []Setting{{FieldObject, obj}, {FieldObjectProgram, "xdp_pass"}, {FieldMapEntries, "nosuch=4"}}, nil, FieldObject, `no map "nosuch" to size`},
		{"map of no entries", []Setting{{FieldObject, obj}, {FieldObjectProgram, "xdp_pass"}, {FieldMapEntries, "xdp_stats=0"}}, nil, FieldMapEntries, "map(s) xdp_stats of ../../bpf/dut_bpfel.o have max_entries 0"},
		{"stream", []Setting{{FieldIP, "6"}, {FieldVLAN, "100"}, {FieldProtocol, "tcp-syn"}, {FieldSize, "128"}, {FieldMalformed, "1%"}},
			func(t *testing.T, r Run) {
				assert.True(t, r.IPv6)
				assert.Equal(t, uint16(100), r.VLAN)
				assert.Equal(t, stream.TCPSYN, r.Proto)
				assert.Equal(t, 128, r.FrameSize)
				assert.Equal(t, uint32(10000), r.MalformedPPM)
			}, "", ""},
		{"rate as share", []Setting{{FieldRate, "50%"}}, func(t *testing.T, r Run) { assert.Equal(t, 50.0, r.RatePercent) }, "", ""},
		{"rate", []Setting{{FieldRate, "250k"}}, func(t *testing.T, r Run) { assert.Equal(t, uint64(250000), r.RatePPS) }, "", ""},
		{"search", []Setting{{FieldSearch, "true"}}, func(t *testing.T, r Run) {
			require.NotNil(t, r.Search)
			assert.Equal(t, DefaultSearch(), *r.Search)
		}, "", ""},
		{"no calibration", []Setting{{FieldCalibrate, "false"}}, func(t *testing.T, r Run) { assert.False(t, r.Calibrate) }, "", ""},
		{"durations", []Setting{{FieldDuration, "2s"}, {FieldWarmup, "0s"}, {FieldProgStats, "0"}},
			func(t *testing.T, r Run) {
				assert.Equal(t, 2*time.Second, r.Duration)
				assert.Zero(t, r.Warmup)
				assert.Zero(t, r.ProgStats)
			}, "", ""},
		{"ratelimit", []Setting{{FieldPrograms, "ratelimit"}, {FieldLimit, "100k"}, {FieldBurst, "64"}},
			func(t *testing.T, r Run) { assert.Equal(t, uint64(100000), r.Limit.PPS) }, "", ""},
		{"threads beyond this host's CPUs", []Setting{{FieldThreads, "200"}},
			func(t *testing.T, r Run) { assert.Equal(t, 200, r.Threads, "the host is the runner's to check") }, "", ""},
		{"programs and object", []Setting{{FieldPrograms, "drop"}, {FieldObject, obj}}, nil, FieldObject, "programs and an object exclude each other"},
		{"unknown program", []Setting{{FieldPrograms, "drop"}, {FieldPrograms, "frob"}}, nil, "programs[1]", `unknown program "frob"`},
		{"mode twice", []Setting{{FieldModes, "native"}, {FieldModes, "drv"}}, nil, "modes[1]", "native named twice"},
		{"bad mode", []Setting{{FieldModes, "turbo"}}, nil, "modes[0]", `unknown mode or hook "turbo"`},
		{"vlan range", []Setting{{FieldVLAN, "4095"}}, nil, FieldVLAN, "4095 out of range"},
		{"vlan not a number", []Setting{{FieldVLAN, "-1"}}, nil, FieldVLAN, "-1 out of range"},
		{"not a number", []Setting{{FieldThreads, "many"}}, nil, FieldThreads, `"many": give a whole number`},
		{"not a duration", []Setting{{FieldDuration, "2 weeks"}}, nil, FieldDuration, `"2 weeks" is not a duration`},
		{"imix and size", []Setting{{FieldIMIX, "imix"}, {FieldSize, "128"}}, nil, FieldIMIX, "an IMIX and traffic.size exclude each other"},
		{"loops without capture", []Setting{{FieldLoops, "2"}}, nil, FieldLoops, "replays a capture: give traffic.pcap too"},
		{"missing object", []Setting{{FieldObject, "/nonexistent/x.o"}}, nil, FieldObject, "/nonexistent/x.o"},
		{"not a setting", []Setting{{"traffic.colour", "red"}}, nil, "traffic.colour", "not a setting of a run"},
		{"ip 5", []Setting{{FieldIP, "5"}}, nil, FieldIP, "5: use 4 or 6"},
		{"ip 4", []Setting{{FieldIP, "6"}, {FieldIP, "4"}}, func(t *testing.T, r Run) { assert.False(t, r.IPv6) }, "", ""},
		{"not a bool", []Setting{{FieldLatency, "maybe"}}, nil, FieldLatency, `"maybe": give true or false`},
		{"search off", []Setting{{FieldSearch, "true"}, {FieldSearch, "false"}}, func(t *testing.T, r Run) { assert.Nil(t, r.Search) }, "", ""},
		{"search not a bool", []Setting{{FieldSearch, "often"}}, nil, FieldSearch, `"often": give true or false`},
		{"burst not a number", []Setting{{FieldBurst, "x"}}, nil, FieldBurst, `"x": give a whole number of frames`},
		{"speed not a number", []Setting{{FieldReplaySpeed, "fast"}}, nil, FieldReplaySpeed, `"fast": give a number`},
		{"limit not a rate", []Setting{{FieldLimit, "lots"}}, nil, FieldLimit, "lots"},
		{"imix not a mix", []Setting{{FieldIMIX, "lots"}}, nil, FieldIMIX, `mix "lots"`},
		{"malformed not a share", []Setting{{FieldMalformed, "lots"}}, nil, FieldMalformed, `share "lots"`},
		{"generator unknown", []Setting{{FieldGenerator, "pktgen"}}, nil, FieldGenerator, `unknown generator "pktgen"`},
		{"work unknown", []Setting{{FieldWork, "heavy"}}, nil, FieldWork, "heavy"},
		{"rate not a rate", []Setting{{FieldRate, "fast"}}, nil, FieldRate, `rate "fast"`},
		{"rules missing", []Setting{{FieldPrograms, "filter"}, {FieldRules, "/nonexistent/r"}}, nil, FieldRules, "/nonexistent/r"},
		{"capture missing", []Setting{{FieldPcap, "/nonexistent/x.pcap"}}, nil, FieldPcap, "/nonexistent/x.pcap"},
		{"replay with warm-up", []Setting{{FieldPcap, "/nonexistent/x.pcap"}, {FieldWarmup, "1s"}}, nil, FieldWarmup, "has no warm-up: leave trials.warmup out"},
		{"replay with a size", []Setting{{FieldSize, "128"}, {FieldPcap, "/nonexistent/x.pcap"}}, nil, FieldPcap, "leave out traffic.size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Build(c.settings, readObject)
			if c.field == "" {
				require.NoError(t, err)
				c.check(t, r)
				return
			}
			fes := FieldErrors(err)
			require.NotEmpty(t, fes, "%v", err)
			assert.Equal(t, c.field, fes[0].Field)
			assert.Contains(t, fes[0].Error(), c.msg)
		})
	}
}

// A message names other fields through Refs, which each front end spells:
// nothing is parsed back out of the text.
func TestMessagesSpellRefs(t *testing.T) {
	r := Defaults()
	r.RatePercent = 50
	r.Search = new(DefaultSearch())
	fes := FieldErrors(r.Validate())
	require.Len(t, fes, 1)
	assert.Equal(t, FieldRate, fes[0].Field)
	flag := func(p string) string {
		f, _ := Lookup(p)
		return "--" + f.Flag
	}
	assert.Equal(t, "--rate: a rate as a share paces the generator: leave out --search", fes[0].Text(flag))
	assert.Equal(t, "traffic.rate: a rate as a share paces the generator: leave out trials.search", fes[0].Error())
	var refs []Ref
	for _, p := range fes[0].Parts {
		if ref, ok := p.(Ref); ok {
			refs = append(refs, ref)
		}
	}
	assert.Equal(t, []Ref{FieldSearch}, refs)
}

// Validate reports every mistake, each on its field, and touches nothing.
func TestValidate(t *testing.T) {
	r := Defaults()
	require.NoError(t, r.Validate())
	r.Trials, r.Flows, r.Duration = 0, 0, time.Millisecond
	fes := FieldErrors(r.Validate())
	var fields []string
	for _, e := range fes {
		fields = append(fields, e.Field)
	}
	assert.ElementsMatch(t, []string{FieldFlows, FieldDuration, FieldTrials}, fields)
	assert.Contains(t, r.Validate().Error(), "trials.count: 0 out of range: use 1 to 1000")
	r = Defaults()
	r.Programs = []string{"drop", "drop"}
	assert.ErrorContains(t, r.Validate(), `programs[1]: program "drop" named twice`)
	r = Defaults()
	r.Threads = MaxThreads
	assert.NoError(t, r.Validate(), "threads are bounded by the description's limit, not the host's CPUs")
	r.Threads = MaxThreads + 1
	assert.ErrorContains(t, r.Validate(), "traffic.threads: 257 out of range")
}

func TestSplitIndex(t *testing.T) {
	f, i := SplitIndex("programs[12]")
	assert.Equal(t, "programs", f)
	assert.Equal(t, "[12]", i)
	f, i = SplitIndex("traffic.vlan")
	assert.Equal(t, "traffic.vlan", f)
	assert.Empty(t, i)
	assert.True(t, strings.HasPrefix(Index(FieldModes, 3), "modes[3"))
}

// Errors lists every mistake, one a line, in order.
func TestErrorsJoin(t *testing.T) {
	_, err := Build([]Setting{{FieldVLAN, "9999"}, {FieldThreads, "0"}})
	fes := FieldErrors(err)
	if assert.Len(t, fes, 2) {
		assert.Equal(t, fes[0].Error()+"\n"+fes[1].Error(), err.Error())
		assert.Equal(t, FieldVLAN, fes[0].Field)
		assert.Equal(t, FieldThreads, fes[1].Field)
	}
	assert.Nil(t, FieldErrors(nil))
	assert.Nil(t, FieldErrors(errors.New("other")))
	one := fieldErr(FieldVLAN, "x")
	assert.Equal(t, []*FieldError{one}, FieldErrors(fmt.Errorf("wrapped: %w", one)))
}

func TestRemoteFields(t *testing.T) {
	r, err := Build([]Setting{{Path: FieldRemote, Value: " ssh://root@gen:2222 "}, {Path: FieldRemoteSSH, Value: "ProxyJump=a,b"},
		{Path: FieldRemoteSSH, Value: "IdentityFile=/k"}, {Path: FieldDUT, Value: "eth1"}, {Path: FieldPeer, Value: "eth2"}})
	require.NoError(t, err)
	assert.Equal(t, "ssh://root@gen:2222", r.Remote)
	assert.Equal(t, []string{"ProxyJump=a,b", "IdentityFile=/k"}, r.RemoteSSHOptions, "each option whole, in order")
	r, err = Build([]Setting{{Path: FieldRemote, Value: " "}})
	require.NoError(t, err)
	assert.Empty(t, r.Remote, "empty: no remote")
	for _, s := range []Setting{{Path: FieldRemote, Value: "gen"}, {Path: FieldRemoteSSH, Value: "-oProxyCommand=sh"}} {
		_, err := Build([]Setting{s})
		fes := FieldErrors(err)
		require.NotEmpty(t, fes, s.Value)
		f, _ := SplitIndex(fes[0].Field)
		assert.Equal(t, s.Path, f)
	}
	f, ok := Lookup(FieldRemoteSSH)
	require.True(t, ok)
	assert.True(t, f.Whole, "a flag's value is not split at commas")
}

// What a run derives from its stream is resolved once, in Build: a mix's
// mean size, and a replay's size, warm-up and, for a capture too large for
// the replay map, its generator.
func TestBuildResolves(t *testing.T) {
	r, err := Build([]Setting{{FieldIMIX, "64:7,570:4,1518:1"}})
	require.NoError(t, err)
	assert.Equal(t, 354, r.FrameSize, "the mix's mean, 4246/12 = 353.83 bytes, rounded")

	capture := func(n, size int) string {
		p := filepath.Join(t.TempDir(), "c.pcap")
		f, err := os.Create(p)
		require.NoError(t, err)
		frames := make([][]byte, n)
		for i := range frames {
			frames[i] = make([]byte, size-4) // without FCS
			copy(frames[i], []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00})
		}
		require.NoError(t, stream.WriteCapture(f, frames))
		require.NoError(t, f.Close())
		return p
	}
	r, err = Build([]Setting{{FieldPcap, capture(3, 200)}})
	require.NoError(t, err)
	assert.Equal(t, 200, r.FrameSize, "the capture's mean frame size with FCS")
	assert.Zero(t, r.Warmup, "a replay has no warm-up")
	assert.Empty(t, r.Generator, "few enough frames for the replay map")
	r, err = Build([]Setting{{FieldPcap, capture(catalog.MaxReplayFrames+1, 64)}})
	require.NoError(t, err)
	assert.Equal(t, stream.AFPacket, r.Generator, "too many frames for the replay map")
	r, err = Build([]Setting{{FieldPcap, capture(catalog.MaxReplayFrames+1, 64)}, {FieldGenerator, "live-frames"}})
	require.NoError(t, err)
	assert.Equal(t, stream.LiveFrames, r.Generator, "a generator asked for is kept (the runner refuses it with why)")
}
