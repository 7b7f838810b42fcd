package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"
)

// workload is one reference workload's Go side of its object: its entry
// among the built-ins, its object, and how loading fills it. Each lives in
// its own file beside its C (filter.go beside filter.c) and is registered
// once, in workloads.
type workload struct {
	catalog.Builtin
	load  func() (*ebpf.CollectionSpec, error)
	bytes []byte
	// tc and tcBytes are the build for tc ingress (ctx.h), nil where the
	// workload has none.
	tc      func() (*ebpf.CollectionSpec, error)
	tcBytes []byte
	// objs makes the object's typed objects (*filterObjects, ...), which
	// the loaded program reaches its maps through.
	objs func() any
	// prepare sets variables and leaves programs out before loading;
	// fill fills maps after. Either may be nil.
	prepare func(spec *ebpf.CollectionSpec, o DUTOptions) error
	fill    func(p *Program, o DUTOptions) error
}

// workloads registers the reference workloads, one line each.
var workloads = []*workload{&filterWorkload, &ratelimitWorkload, &flowstatsWorkload, &l4lbWorkload}

// settingsOf are a workload's settings in o, of type T: the zero T where
// none were given (the workload says what is missing), an error naming
// both types where they are of another.
func settingsOf[T any](name string, o DUTOptions) (T, error) {
	var zero T
	if o.Settings == nil {
		return zero, nil
	}
	s, ok := o.Settings.(T)
	if !ok {
		return zero, fmt.Errorf("%s: settings of type %T, not the %T it takes", name, o.Settings, zero)
	}
	return s, nil
}

// builtin is a workload's entry in the catalogue; a name the catalogue
// lacks stops the program at start, where every test sees it.
func builtin(name string) catalog.Builtin {
	b, err := catalog.LookupBuiltin(name)
	if err != nil || !b.Workload {
		panic(fmt.Sprintf("bpf: workload %q is not a workload of the catalogue", name))
	}
	return b
}

func lookupWorkload(name string) *workload {
	for _, w := range workloads {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// loadWorkload loads a reference workload and fills its maps.
func loadWorkload(b catalog.Builtin, opts DUTOptions) (_ *Program, err error) {
	w := lookupWorkload(b.Name)
	if w == nil {
		return nil, fmt.Errorf("load %s: no object", b.Name)
	}
	if opts.Ifindex != 0 {
		spec, err := w.load()
		if err != nil {
			return nil, fmt.Errorf("load %s: parse embedded object: %w", b.Name, err)
		}
		if why := Offloadability(spec, b.Section); len(why) > 0 {
			return nil, fmt.Errorf("load %s for offload: %w", b.Name, &NotOffloadableError{Program: b.Name, Reasons: why})
		}
	}
	if opts.Work != catalog.NoTouch {
		return nil, fmt.Errorf("load %s: --work is for the trivial programs; a workload does its own work", b.Name)
	}
	load, raw, section, object := w.load, w.bytes, b.Section, "builtin workload"
	if opts.Hook == xdpmode.TC {
		if w.tc == nil {
			return nil, fmt.Errorf("load %s at tc: %w", b.Name, opts.Hook.Runs(b.Name))
		}
		load, raw, section, object = w.tc, w.tcBytes, hookSection(b, opts.Hook), "builtin workload (tc build)"
	}
	spec, err := load()
	if err != nil {
		return nil, fmt.Errorf("load %s: parse embedded object: %w", b.Name, err)
	}
	var stats duthwMapSpecs // every object's shared stats map
	if err := specs(spec, &stats); err != nil {
		return nil, fmt.Errorf("load %s: %w", b.Name, err)
	}
	if opts.ArrayStats {
		stats.XdpStats.Type = ebpf.Array
	}
	if w.prepare != nil {
		if err := w.prepare(spec, opts); err != nil {
			return nil, fmt.Errorf("load %s: %w", b.Name, err)
		}
	}
	coll, fp, err := loadCollection(spec, ebpf.CollectionOptions{}, section)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", b.Name, loadHint(err))
	}
	objs := w.objs()
	var maps dutMaps // the shared stats map, by its tag
	if err := errors.Join(view(coll, objs), view(coll, &maps)); err != nil {
		coll.Close()
		return nil, fmt.Errorf("load %s: %w", b.Name, err)
	}
	p := &Program{
		Name: b.Name, Program: coll.Programs[section], Stats: maps.XdpStats,
		Object: object, SHA256: sha256Hex(raw), Counted: true, coll: coll, objs: objs,
		Fingerprint: fp,
	}
	if !b.Mixed {
		act := b.Action
		p.Expected = &act
	}
	if w.fill != nil {
		if err := w.fill(p, opts); err != nil {
			p.Close()
			return nil, fmt.Errorf("load %s: %w", b.Name, err)
		}
	}
	return p, nil
}
