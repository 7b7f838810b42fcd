package bpf

import (
	"fmt"
	"slices"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// objNameLen is how much of a program's or map's name the kernel keeps
// (BPF_OBJ_NAME_LEN - 1).
const objNameLen = 15

// Catalogue names every program and map xdplab can load, as the kernel
// shows them: the programs and maps of every committed object (built-ins,
// generator, latency sink, workloads, qualification and probe programs),
// and the minimal programs LoadMinimal makes. The leak check of every
// TestMain is built from it.
func Catalogue() (programs, maps []string, err error) {
	loaders := map[string]func() (*ebpf.CollectionSpec, error){
		"dut": loadDut, "duthw": loadDuthw, "gen": loadGen, "latency": loadLatency, "probe": loadProbe, "qualify": loadQualify, "exception": loadException,
	}
	for _, w := range workloads {
		loaders[w.Name] = w.load
	}
	add := func(list *[]string, name string) {
		if len(name) > objNameLen {
			name = name[:objNameLen]
		}
		if name != "" && !slices.Contains(*list, name) {
			*list = append(*list, name)
		}
	}
	for obj, load := range loaders {
		spec, err := load()
		if err != nil {
			return nil, nil, fmt.Errorf("catalogue: object %s: %w", obj, err)
		}
		for name, p := range spec.Programs {
			add(&programs, name)
			add(&programs, p.Name)
		}
		for name, m := range spec.Maps {
			if m.Name != "" && m.Name[0] != '.' {
				add(&maps, m.Name)
			} else if name != "" && name[0] != '.' {
				add(&maps, name)
			}
		}
	}
	for _, a := range []catalog.Action{catalog.Aborted, catalog.Drop, catalog.Pass, catalog.TX, catalog.Redirect} {
		add(&programs, "xdplab_"+a.String())
	}
	slices.Sort(programs)
	slices.Sort(maps)
	return programs, maps, nil
}
