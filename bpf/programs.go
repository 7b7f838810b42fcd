package bpf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/bpf/objconfig"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results"
)

// DUTObjectSHA256 is the SHA-256 of the committed object holding the
// built-in programs: the same bytes are loaded in every mode.
func DUTObjectSHA256() string { return sha256Hex(_DutBytes) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DUTOptions says how to load a built-in program.
type DUTOptions struct {
	Program string // a built-in name, see catalog.Builtins
	Work    catalog.Work
	// Ifindex, when non-zero, binds the program to a device for hardware
	// offload (netdevsim, nfp), its stats map too. It is resolved in the
	// calling thread's network namespace.
	Ifindex uint32
	// ArrayStats counts in a plain array (one record per action, updated
	// from every CPU) instead of a per-CPU array: offload devices hold only
	// array and hash maps. Implied by Ifindex.
	ArrayStats bool
	// Hook is where the program runs: zero or an XDP mode loads the XDP
	// build; xdpmode.TC the tc build (a SchedCLS program), xdpmode.Socket
	// the socket filter build. Both come from the same source as the
	// XDP build (xdplab.c) and count in the same stats map.
	Hook xdpmode.Mode
	// Settings are a reference workload's own, of the type its file
	// declares: the filter's []catalog.FilterRule, ratelimit's
	// catalog.RateLimit, l4lb's *LBConfig; flowstats has none.
	Settings any
}

// Program is a loaded XDP program ready to attach, with what xdplab knows
// about how to count its work.
type Program struct {
	Name    string        // built-in name, or the user's program name
	Program *ebpf.Program // the loaded program
	// Stats is the shared per-CPU stats map, nil for a user's object.
	Stats *ebpf.Map
	// TxPort is the devmap of the redirect program (key 0: egress ifindex).
	TxPort *ebpf.Map
	// XSKs is the afxdp hook's XSKMAP (key: rx queue; LoadXSKRedirect).
	XSKs *ebpf.Map
	// Expected is the action the program returns for well-formed frames;
	// unknown (nil) for a user's object.
	Expected *catalog.Action
	// Object is the path of the object file, or "builtin".
	Object string
	SHA256 string // of the object file's bytes
	// Counted tells whether Stats counts the program's frames by action.
	Counted bool
	// Notes say what loading had to adapt (offload device limits).
	Notes []string
	// MapInitSHA256 is the SHA-256 of the map contents file a user's
	// object was filled from, as read for this load ("" for none).
	MapInitSHA256 string
	// Fingerprint is what the kernel made of the program at load.
	Fingerprint *results.Fingerprint
	// Frags: the program is frags-aware (xdp.frags, BPF_F_XDP_HAS_FRAGS):
	// it runs on multi-buffer frames.
	Frags bool
	// lbIndex is the l4lb workload's backend indices.
	lbIndex map[netip.Addr]uint32

	coll *ebpf.Collection
	// objs are the built-in object's typed objects (*l4lbObjects, ...),
	// views into coll, which owns them; nil for a user's object.
	objs any
}

// Map is a map of the loaded object by name (nil where it has none).
func (p *Program) Map(name string) *ebpf.Map {
	if p == nil || p.coll == nil {
		return nil
	}
	return p.coll.Maps[name]
}

// Close unloads the program and its maps.
func (p *Program) Close() error {
	if p == nil || p.coll == nil {
		return nil
	}
	p.coll.Close()
	p.coll = nil
	return nil
}

// LoadDUT loads one built-in program and its maps.
func LoadDUT(opts DUTOptions) (*Program, error) {
	b, err := catalog.LookupBuiltin(opts.Program)
	if err != nil {
		return nil, err
	}
	if opts.Work > catalog.SwapMACs {
		return nil, fmt.Errorf("load %s: unknown packet work %d", b.Name, opts.Work)
	}
	if b.Workload && !opts.Hook.IsXDP() && opts.Hook != 0 && opts.Hook != xdpmode.TC {
		return nil, fmt.Errorf("load %s at the %s hook: the reference workloads are built for XDP and tc only", b.Name, opts.Hook.HookName())
	}
	if b.Workload {
		return loadWorkload(b, opts)
	}
	spec, object, objectBytes, err := dutSpec(b, opts)
	if err != nil {
		return nil, err
	}
	var copts ebpf.CollectionOptions
	var notes []string
	if opts.Ifindex != 0 {
		closeMaps, n, err := bindToDevice(spec, b.Section, opts.Ifindex, &copts)
		if err != nil {
			return nil, fmt.Errorf("load %s for offload: %w", b.Name, err)
		}
		defer closeMaps() // the collection holds its own references
		notes = append(notes, n...)
	}
	section := hookSection(b, opts.Hook)
	coll, fp, err := loadCollection(spec, copts, section)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", b.Name, loadHint(err))
	}
	var maps dutMaps // the offload build has no tx_port: nil
	if err := view(coll, &maps); err != nil {
		coll.Close()
		return nil, fmt.Errorf("load %s: %w", b.Name, err)
	}
	act := b.Action
	return &Program{
		Name:     b.Name,
		Program:  coll.Programs[section],
		Stats:    maps.XdpStats,
		TxPort:   maps.TxPort,
		Expected: &act,
		Object:   object,
		SHA256:   sha256Hex(objectBytes),
		Counted:  true,
		Notes:    notes,
		coll:     coll,

		Fingerprint: fp,
	}, nil
}

// dutSpec is the built-in's object prepared to load: the host build
// with its work set, or the offload build (no global data, no redirect);
// only b's program, its stats an array where asked or offloaded.
func dutSpec(b catalog.Builtin, opts DUTOptions) (_ *ebpf.CollectionSpec, object string, objectBytes []byte, _ error) {
	load, object, objectBytes := loadDut, "builtin", _DutBytes
	switch opts.Hook {
	case xdpmode.TC:
		load, object, objectBytes = loadDuttc, "builtin (tc build)", _DuttcBytes
	case xdpmode.Socket:
		load, object, objectBytes = loadDutsk, "builtin (socket filter build)", _DutskBytes
	}
	if _, ok := hookBuilds[opts.Hook]; !ok && !opts.Hook.IsXDP() && opts.Hook != 0 {
		return nil, "", nil, fmt.Errorf("load %s: the %s hook runs no BPF build of it: user space applies the rules", b.Name, opts.Hook.HookName())
	}
	if opts.Hook == xdpmode.Socket && opts.Work != catalog.NoTouch {
		return nil, "", nil, fmt.Errorf("load %s as a socket filter: --work %s: a socket filter has no direct packet access: it runs no-touch only", b.Name, opts.Work)
	}
	if opts.Ifindex != 0 {
		if b.Name == "redirect" {
			return nil, "", nil, fmt.Errorf("load %s for offload: it redirects through a devmap, which stays on the host: "+
				"hardware offload holds only array and hash maps", b.Name)
		}
		if opts.Work != catalog.NoTouch {
			return nil, "", nil, fmt.Errorf("load %s for offload: --work %s: offloaded programs cannot read the work setting "+
				"(device maps have no direct value access): offload runs no-touch only", b.Name, opts.Work)
		}
		load = loadDuthw
		object, objectBytes = "builtin (offload build)", _DuthwBytes
	}
	spec, err := load()
	if err != nil {
		return nil, "", nil, fmt.Errorf("load %s: parse embedded object: %w", b.Name, err)
	}
	// Both builds share the stats map; only the host build reads work.
	var stats duthwMapSpecs
	if err := specs(spec, &stats); err != nil {
		return nil, "", nil, fmt.Errorf("load %s: %w", b.Name, err)
	}
	if opts.Ifindex == 0 {
		var vars dutVariableSpecs
		if err := specs(spec, &vars); err != nil {
			return nil, "", nil, fmt.Errorf("load %s: %w", b.Name, err)
		}
		if err := vars.Work.Set(uint32(opts.Work)); err != nil {
			return nil, "", nil, fmt.Errorf("load %s: set work: %w", b.Name, err)
		}
	}
	// Load only the program asked for; the others would be dead weight.
	section := hookSection(b, opts.Hook)
	if _, ok := spec.Programs[section]; !ok {
		return nil, "", nil, fmt.Errorf("load %s: the %s build has no program %s: %w", b.Name, opts.Hook.HookName(), section, opts.Hook.Runs(b.Name))
	}
	for name := range spec.Programs {
		if name != section {
			delete(spec.Programs, name)
		}
	}
	if opts.Ifindex != 0 || opts.ArrayStats {
		stats.XdpStats.Type = ebpf.Array
	}
	return spec, object, objectBytes, nil
}

// LoadXSKRedirect loads the afxdp hook's XDP program from the built-in
// object: every frame to the AF_XDP socket of its rx queue (put the
// sockets in XSKs), counted in the stats map as redirect, or as aborted
// where the queue has no socket.
func LoadXSKRedirect() (*Program, error) {
	const section = "xdp_xsk"
	spec, err := loadDut()
	if err != nil {
		return nil, fmt.Errorf("load %s: parse embedded object: %w", section, err)
	}
	for name := range spec.Programs {
		if name != section {
			delete(spec.Programs, name)
		}
	}
	coll, fp, err := loadCollection(spec, ebpf.CollectionOptions{}, section)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", section, loadHint(err))
	}
	var maps dutMaps
	if err := view(coll, &maps); err != nil {
		coll.Close()
		return nil, fmt.Errorf("load %s: %w", section, err)
	}
	act := catalog.Redirect
	return &Program{Name: "xsk", Program: coll.Programs[section], Stats: maps.XdpStats, XSKs: maps.Xsks, Expected: &act,
		Object: "builtin", SHA256: DUTObjectSHA256(), Counted: true, coll: coll, Fingerprint: fp}, nil
}

// hookBuilds are the program name prefixes of the builds for the hooks
// beside XDP (xdplab.c's PROG macro).
var hookBuilds = map[xdpmode.Mode]string{xdpmode.TC: "tc_", xdpmode.Socket: "sk_"}

// hookSection is b's program name in the build for hook: xdp_drop at
// XDP, tc_drop at tc, sk_drop in the socket filter build.
func hookSection(b catalog.Builtin, hook xdpmode.Mode) string {
	if prefix, ok := hookBuilds[hook]; ok {
		return prefix + strings.TrimPrefix(b.Section, "xdp_")
	}
	return b.Section
}

// ObjectOptions says how to load a user's XDP object.
type ObjectOptions struct {
	Path    string // an ELF object file
	Program string // the program's name in it; may be empty when it has one XDP program
	Ifindex uint32 // see DUTOptions.Ifindex
	// MapEntries sizes the maps whose size the object leaves to its
	// loader (max_entries 0), by map name (objconfig.AllMaps: every one left);
	// MapCPUs names those sized to the possible CPUs (objconfig.AllMaps: every one
	// left).
	MapEntries map[string]uint32
	MapCPUs    []string
	// MapInit names a map contents file (objconfig.ReadMapInit), applied after
	// loading; "": none.
	MapInit string
	// Variables set the object's global variables before loading, by
	// name, as text typed by its BTF (see objconfig.SetVariables).
	Variables map[string]string
	// TailCalls fill program arrays with the object's programs by name,
	// beside the slots its ELF fills itself.
	TailCalls []catalog.TailCall
	// PinPath, when set, is a bpffs where maps the object pins by name
	// are pinned (a scratch one: see nsthread.DoWithScratchBPFFS); empty
	// loads them unpinned, said so in Notes.
	PinPath string
}

// programsOf are an object's XDP programs by name, sorted, and how many
// programs of each other type it holds ("3 tracepoint programs").
func programsOf(spec *ebpf.CollectionSpec) (xdp, others []string) {
	count := map[string]int{}
	for name, p := range spec.Programs {
		if p.Type == ebpf.XDP {
			xdp = append(xdp, name)
		} else {
			count[strings.ToLower(p.Type.String())]++
		}
	}
	sort.Strings(xdp)
	for _, t := range slices.Sorted(maps.Keys(count)) {
		others = append(others, fmt.Sprintf("%d %s program(s)", count[t], t))
	}
	return xdp, others
}

// ObjectXDPPrograms are the XDP programs of a user's object, by name
// (sorted); an object that holds none is refused with what it holds.
func ObjectXDPPrograms(path string) ([]string, error) {
	spec, _, err := readObject(path)
	if err != nil {
		return nil, err
	}
	xdp, others := programsOf(spec)
	if len(xdp) == 0 {
		return nil, &catalog.ProgramChoiceError{Object: path, Others: others}
	}
	return xdp, nil
}

// readObject reads a user's object file and its spec. A program in a
// section whose type cilium/ebpf cannot tell but whose name starts with
// "xdp" (xdp_prog, xdp_filter: libbpf before 1.0 matched section names
// by that prefix, and objects built for such loaders still ship) is read
// as XDP, and notes say so.
func readObject(path string) (*ebpf.CollectionSpec, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load object: %w", err)
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("load object %s: not a BPF ELF object xdplab can read: %w", path, err)
	}
	for _, p := range spec.Programs {
		if p.Type == ebpf.UnspecifiedProgram && strings.HasPrefix(p.SectionName, "xdp") {
			p.Type, p.AttachType = ebpf.XDP, ebpf.AttachXDP
		}
	}
	return spec, raw, nil
}

// legacySection says, for a program read as XDP by its section's prefix
// alone, so ("" for the others).
func legacySection(p *ebpf.ProgramSpec) string {
	if p.Type != ebpf.XDP || p.SectionName == "xdp" || p.SectionName == "xdp.frags" || strings.HasPrefix(p.SectionName, "xdp/") || strings.HasPrefix(p.SectionName, "xdp.frags/") {
		return ""
	}
	return fmt.Sprintf("program %s in section %q: read as XDP by the section prefix libbpf matched before 1.0 (since 1.0 it wants SEC(\"xdp\"))", p.Name, p.SectionName)
}

// CheckObject reads a user's object as LoadObject would, without loading
// anything: the program it names and the size of every map. It needs no
// privileges, so that a run refuses an object before it measures.
func CheckObject(opts ObjectOptions) error {
	_, _, _, _, _, err := objectSpec(opts)
	return err
}

// objectSpec reads the object, picks its XDP program and sizes its maps.
func objectSpec(opts ObjectOptions) (spec *ebpf.CollectionSpec, raw []byte, name string, sized map[string]string, init *objconfig.MapInit, err error) {
	spec, raw, err = readObject(opts.Path)
	if err != nil {
		return nil, nil, "", nil, nil, err
	}
	xdp, others := programsOf(spec)
	name = opts.Program
	switch {
	case len(xdp) == 0:
		return nil, nil, "", nil, nil, &catalog.ProgramChoiceError{Object: opts.Path, Name: name, Others: others}
	case name == "" && len(xdp) == 1:
		name = xdp[0]
	case name == "":
		return nil, nil, "", nil, nil, &catalog.ProgramChoiceError{Object: opts.Path, Programs: xdp}
	}
	ps, ok := spec.Programs[name]
	if !ok {
		return nil, nil, "", nil, nil, &catalog.ProgramChoiceError{Object: opts.Path, Name: name, Programs: xdp}
	}
	if ps.Type != ebpf.XDP {
		return nil, nil, "", nil, nil, fmt.Errorf("load object %s: program %q is of type %s, not XDP", opts.Path, name, ps.Type)
	}
	if sized, err = objconfig.SizeMaps(opts.Path, spec, opts.MapEntries, opts.MapCPUs); err != nil {
		return nil, nil, "", nil, nil, err
	}
	if err := objconfig.SetVariables(opts.Path, spec, opts.Variables); err != nil {
		return nil, nil, "", nil, nil, err
	}
	if err := fillTailCalls(opts.Path, spec, opts.TailCalls); err != nil {
		return nil, nil, "", nil, nil, err
	}
	if opts.MapInit != "" {
		if init, err = objconfig.ReadMapInit(opts.MapInit, spec); err != nil {
			return nil, nil, "", nil, nil, err
		}
	}
	return spec, raw, name, sized, init, nil
}

// fillTailCalls adds the slots asked to the object's program arrays,
// checking each names a program array, a slot in it and an XDP program.
func fillTailCalls(object string, spec *ebpf.CollectionSpec, tcs []catalog.TailCall) error {
	for _, tc := range tcs {
		m, ok := spec.Maps[tc.Map]
		if !ok || m.Type != ebpf.ProgramArray {
			var arrays []string
			for n, m := range spec.Maps {
				if m.Type == ebpf.ProgramArray {
					arrays = append(arrays, n)
				}
			}
			sort.Strings(arrays)
			return fmt.Errorf("object %s: tail call %s: no program array %q; its program arrays are %s", object, tc, tc.Map, orNone(arrays))
		}
		if tc.Index >= m.MaxEntries {
			return fmt.Errorf("object %s: tail call %s: slot %d out of range: %s has %d slots", object, tc, tc.Index, tc.Map, m.MaxEntries)
		}
		ps, ok := spec.Programs[tc.Program]
		if !ok || ps.Type != ebpf.XDP {
			return fmt.Errorf("object %s: tail call %s: no XDP program %q", object, tc, tc.Program)
		}
		for _, kv := range m.Contents {
			if k, ok := kv.Key.(uint32); ok && k == tc.Index {
				return fmt.Errorf("object %s: tail call %s: slot %d of %s is filled already (by the object or another --tail-call)", object, tc, tc.Index, tc.Map)
			}
		}
		m.Contents = append(m.Contents, ebpf.MapKV{Key: tc.Index, Value: tc.Program})
	}
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// tailCallTargets are the programs the object's program arrays name: they
// load with the program run.
func tailCallTargets(spec *ebpf.CollectionSpec) map[string]bool {
	out := map[string]bool{}
	for _, m := range spec.Maps {
		if m.Type != ebpf.ProgramArray {
			continue
		}
		for _, kv := range m.Contents {
			if n, ok := kv.Value.(string); ok {
				out[n] = true
			}
		}
	}
	return out
}

// LoadObject loads an XDP program from a user's ELF object. Its frames are not
// counted by xdplab's stats map (it has none): figures come from interface
// counters instead.
func LoadObject(opts ObjectOptions) (*Program, error) {
	spec, raw, name, sized, init, err := objectSpec(opts)
	if err != nil {
		return nil, err
	}
	// The program run and the programs its tail calls reach load; the
	// object's other programs (companions of other types) stay out.
	keep := tailCallTargets(spec)
	keep[name] = true
	for n := range spec.Programs {
		if !keep[n] {
			delete(spec.Programs, n)
		}
	}
	var copts ebpf.CollectionOptions
	var notes []string
	for _, n := range slices.Sorted(maps.Keys(spec.Programs)) {
		if note := legacySection(spec.Programs[n]); note != "" {
			notes = append(notes, note)
		}
	}
	notes = append(notes, pinMaps(spec, opts.PinPath, &copts)...)
	if opts.Ifindex != 0 {
		// Say what stands in the way before the device says EINVAL.
		if why := Offloadability(spec, name); len(why) > 0 {
			return nil, fmt.Errorf("load object %s for offload: %w", opts.Path, &NotOffloadableError{Program: name, Reasons: why})
		}
		closeMaps, n, err := bindToDevice(spec, name, opts.Ifindex, &copts)
		if err != nil {
			return nil, fmt.Errorf("load object %s program %s for offload: %w", opts.Path, name, err)
		}
		defer closeMaps()
		notes = append(notes, n...)
	}
	coll, fp, err := loadCollection(spec, copts, name)
	if err != nil {
		return nil, fmt.Errorf("load object %s program %s: %w", opts.Path, name, loadHint(err))
	}
	if err := init.Apply(coll); err != nil {
		coll.Close()
		return nil, err
	}
	var initSum string
	if init != nil {
		notes = append(notes, fmt.Sprintf("maps filled from %s: %d entries, after loading and before traffic", init.Path, init.Entries()))
		initSum = init.SHA256
	}
	sum := sha256.Sum256(raw)
	frags := spec.Programs[name].Flags&unix.BPF_F_XDP_HAS_FRAGS != 0
	markSizedBy(fp, sized)
	return &Program{
		Frags:   frags,
		Name:    name,
		Program: coll.Programs[name],
		Object:  opts.Path,
		SHA256:  hex.EncodeToString(sum[:]),
		Notes:   notes,
		coll:    coll,

		MapInitSHA256: initSum,

		Fingerprint: fp,
	}, nil
}

// markSizedBy writes into the fingerprint's maps what sized each (sized:
// map name to its source). The kernel keeps 15 bytes of a map's name.
func markSizedBy(fp *results.Fingerprint, sized map[string]string) {
	if fp == nil {
		return
	}
	byKernelName := map[string]string{}
	for n, src := range sized {
		byKernelName[n[:min(len(n), unix.BPF_OBJ_NAME_LEN-1)]] = src
	}
	for i := range fp.Maps {
		fp.Maps[i].SizedBy = byKernelName[fp.Maps[i].Name]
	}
}

// pinMaps leaves the maps the object pins by name unpinned, or pinned in
// pinPath (a scratch bpffs) where one is given, and says which.
func pinMaps(spec *ebpf.CollectionSpec, pinPath string, copts *ebpf.CollectionOptions) []string {
	var pinned []string
	for n, m := range spec.Maps {
		if m.Pinning != ebpf.PinNone {
			pinned = append(pinned, n)
			if pinPath == "" {
				m.Pinning = ebpf.PinNone
			}
		}
	}
	sort.Strings(pinned)
	switch {
	case len(pinned) == 0:
		return nil
	case pinPath == "":
		return []string{fmt.Sprintf("map(s) %s ask to be pinned by name: loaded unpinned (--pin scratch pins them in a scratch bpffs)", strings.Join(pinned, ", "))}
	}
	copts.Maps.PinPath = pinPath
	return []string{fmt.Sprintf("map(s) %s pinned by name in a scratch bpffs, gone with the run", strings.Join(pinned, ", "))}
}

// loadHint adds what to do to a permission error.
func loadHint(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (run as root or grant CAP_BPF and CAP_NET_ADMIN)", err)
	}
	return err
}
