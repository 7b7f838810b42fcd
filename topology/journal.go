package topology

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/internal/atomicfile"
)

// The journal: before xdplab changes anything it did not create (a user's
// interface moved into its namespaces, or changed where it is) and before
// it makes a namespace, it writes down what it is about to do, with the
// owning run's id, pid and process start time, in one file per run under
// RunDir (tmpfs: a reboot forgets it with the kernel state it describes).
// Teardown replays it; `xdplab clean` replays the journals of dead runs
// and of no live one.

// JournalSchema names the journal format.
const JournalSchema = "xdplab.journal"

// RunDir is where journals live: $XDPLAB_RUN_DIR, or /run/xdplab.
func RunDir() string {
	if d := os.Getenv("XDPLAB_RUN_DIR"); d != "" {
		return d
	}
	return "/run/xdplab"
}

// Lent is a user's interface as xdplab found it: everything a run may
// change, so that it can be put back.
type Lent struct {
	Name    string `json:"name"`
	Ifindex int    `json:"ifindex"`
	// In is the xdplab namespace it was moved into; empty: it was changed
	// where it is (probe --attach).
	In       string            `json:"in,omitempty"`
	Up       bool              `json:"up"`
	MTU      int               `json:"mtu"`
	Addrs    []string          `json:"addrs,omitempty"` // CIDR, link-local left out (the kernel makes it again)
	Features map[string]bool   `json:"features,omitempty"`
	Channels *ethtool.Channels `json:"channels,omitempty"`
	Rings    *ethtool.Ring     `json:"rings,omitempty"`
	Routes   []RouteRecord     `json:"routes,omitempty"`
	XDPProg  uint32            `json:"xdp_prog_id,omitempty"` // a program attached before xdplab came (left as it is)
}

// RouteRecord is a route through a lent interface, other than the ones
// the kernel makes from its addresses.
type RouteRecord struct {
	Dst      string `json:"dst"` // CIDR; "" for a default route
	Gw       string `json:"gw,omitempty"`
	Src      string `json:"src,omitempty"`
	Table    int    `json:"table"`
	Priority int    `json:"priority,omitempty"`
	Scope    int    `json:"scope"`
	Protocol int    `json:"protocol"`
	Family   int    `json:"family"`
}

// Journal is one run's record of what it owns and what it changed.
type Journal struct {
	Schema  string `json:"schema"`
	RunID   string `json:"run_id"`
	PID     int    `json:"pid"`
	Start   uint64 `json:"start_ticks"` // the process's start time, /proc/PID/stat field 22
	Command string `json:"command"`
	// HostNS is the inode of the namespace the run started in, where
	// lent interfaces belong.
	HostNS     uint64   `json:"host_netns"`
	Namespaces []string `json:"namespaces"`
	Lent       []Lent   `json:"lent,omitempty"`

	mu   sync.Mutex
	path string
}

var journalName = regexp.MustCompile(`^[a-z0-9]{1,8}\.json$`)

// OpenJournal starts the journal of run id. A journal of the same id that
// exists is refused: its run is alive (the id is in use), or it died and
// left state (clean it first).
func OpenJournal(id string) (*Journal, error) {
	if err := validRunID(id); err != nil {
		return nil, err
	}
	dir := RunDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", permHint(err))
	}
	start, err := procStart(os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	host, err := netnsInode("/proc/self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	cmd, _ := os.ReadFile("/proc/self/cmdline")
	j := &Journal{Schema: JournalSchema, RunID: id, PID: os.Getpid(), Start: start, HostNS: host,
		Command: strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))), path: filepath.Join(dir, id+".json")}
	b, err := j.encode()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteNew(j.path, b, 0o600); err != nil {
		if errors.Is(err, os.ErrExist) {
			if old, rerr := ReadJournal(j.path); rerr == nil && old.Alive() {
				return nil, fmt.Errorf("run id %s is in use by pid %d (%s): pick another --run-id", id, old.PID, old.Command)
			}
			return nil, fmt.Errorf("run id %s: a dead run with this id left state (%s): run `xdplab clean`", id, j.path)
		}
		return nil, fmt.Errorf("journal: %w", err)
	}
	return j, nil
}

func (j *Journal) encode() ([]byte, error) {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return append(b, '\n'), nil
}

// save writes the journal atomically.
func (j *Journal) save() error {
	b, err := j.encode()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(j.path, b, 0o600); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// AddNamespace records a namespace the run is about to make.
func (j *Journal) AddNamespace(name string) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Namespaces = append(j.Namespaces, name)
	return j.save()
}

// Lend records an interface as it is, before the run changes it.
func (j *Journal) Lend(l Lent) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, o := range j.Lent {
		if o.Name == l.Name {
			return nil // the first record holds what it was
		}
	}
	j.Lent = append(j.Lent, l)
	return j.save()
}

// Returned drops an interface from the journal once it is restored.
func (j *Journal) Returned(name string) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, o := range j.Lent {
		if o.Name == name {
			j.Lent = append(j.Lent[:i], j.Lent[i+1:]...)
			return j.save()
		}
	}
	return nil
}

// Close removes the journal once nothing lent is left in it; with
// interfaces still lent (a failed restore) it stays, for `xdplab clean`.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.Lent) > 0 {
		var names []string
		for _, l := range j.Lent {
			names = append(names, l.Name)
		}
		return fmt.Errorf("%s not restored: the journal %s keeps how they were; run `xdplab clean` to try again", strings.Join(names, ", "), j.path)
	}
	if err := os.Remove(j.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// MaxJournalSize bounds a journal file: a run lends two interfaces.
const MaxJournalSize = 1 << 20

// ReadJournal reads one journal file.
func ReadJournal(path string) (*Journal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxJournalSize+1))
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if len(b) > MaxJournalSize {
		return nil, fmt.Errorf("journal %s: larger than %d bytes: not xdplab's", path, MaxJournalSize)
	}
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if j.Schema != JournalSchema || validRunID(j.RunID) != nil || filepath.Base(path) != j.RunID+".json" {
		return nil, fmt.Errorf("journal %s: not an xdplab journal", path)
	}
	for _, n := range j.Namespaces {
		if !ourNamespace(j.RunID, n) {
			return nil, fmt.Errorf("journal %s: namespace %q is not one xdplab names", path, n)
		}
	}
	j.path = path
	return &j, nil
}

// Journals reads every journal in RunDir; unreadable files are returned
// as errors, not taken for "nothing to clean".
func Journals() ([]*Journal, []error) {
	ents, err := os.ReadDir(RunDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []error{fmt.Errorf("journals: %w", err)}
	}
	var out []*Journal
	var errs []error
	for _, e := range ents {
		if e.IsDir() || !journalName.MatchString(e.Name()) {
			continue
		}
		j, err := ReadJournal(filepath.Join(RunDir(), e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, j)
	}
	return out, errs
}

// Alive tells whether the journal's run is still going: its pid exists
// and started when the journal says (a pid the kernel reused is not it).
func (j *Journal) Alive() bool {
	s, err := procStart(j.PID)
	return err == nil && s == j.Start
}

// procStart reads a process's start time in clock ticks since boot.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// comm may hold spaces and parentheses: the fields follow the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command field", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); start time is field 22.
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

func netnsInode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("namespace %s: %w", path, err)
	}
	return st.Ino, nil
}

// namespacePattern is the exact form of xdplab's namespace names.
var namespacePattern = regexp.MustCompile(`^` + NamespacePrefix + `([a-z0-9]{1,8})-(gen|dut|sink)$`)

// ourNamespace tells whether name is one of run id's namespaces.
func ourNamespace(id, name string) bool {
	m := namespacePattern.FindStringSubmatch(name)
	return m != nil && m[1] == id
}

// linkPattern is the exact form of the links xdplab makes.
var linkPattern = regexp.MustCompile(`^` + LinkPrefix + `([a-z0-9]{1,8})[gdos]$`)

// snapshot records how an interface looks in namespace h's view, before
// a run changes it.
func snapshot(ns *Namespace, name string) (Lent, error) {
	l, err := ns.nl.LinkByName(name)
	if err != nil {
		return Lent{}, fmt.Errorf("interface %s: %w", name, err)
	}
	a := l.Attrs()
	rec := Lent{Name: name, Ifindex: a.Index, Up: a.Flags&net.FlagUp != 0, MTU: a.MTU}
	if a.Xdp != nil && a.Xdp.Attached {
		rec.XDPProg = a.Xdp.ProgId
	}
	addrs, err := ns.nl.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return Lent{}, fmt.Errorf("addresses of %s: %w", name, err)
	}
	for _, ad := range addrs {
		if ad.IP.IsLinkLocalUnicast() {
			continue // the kernel makes it again
		}
		rec.Addrs = append(rec.Addrs, ad.IPNet.String())
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := ns.nl.RouteListFiltered(fam, &netlink.Route{LinkIndex: a.Index, Table: 0}, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
		if err != nil {
			return Lent{}, fmt.Errorf("routes of %s: %w", name, err)
		}
		for _, r := range routes {
			if r.Protocol == 2 /* RTPROT_KERNEL: comes back with the address */ || (r.Dst != nil && r.Dst.IP.IsLinkLocalUnicast()) || r.Table == 255 /* local */ {
				continue
			}
			rr := RouteRecord{Table: r.Table, Priority: r.Priority, Scope: int(r.Scope), Protocol: int(r.Protocol), Family: fam}
			if r.Dst != nil {
				rr.Dst = r.Dst.String()
			}
			if r.Gw != nil {
				rr.Gw = r.Gw.String()
			}
			if r.Src != nil {
				rr.Src = r.Src.String()
			}
			rec.Routes = append(rec.Routes, rr)
		}
	}
	if rec.Features, err = ns.eth.Features(name); err != nil {
		return Lent{}, fmt.Errorf("features of %s: %w", name, err)
	}
	if ch, err := ns.eth.GetChannels(name); err == nil {
		rec.Channels = &ch
	}
	if r, err := ns.eth.GetRing(name); err == nil {
		rec.Rings = &r
	}
	return rec, nil
}

// featuresToRestore are the recorded features whose state differs now and
// that the driver lets change: a run sets rx-gro, an XDP attach turns LRO
// off for good (dev_disable_lro), and a driver reset may change others.
func featuresToRestore(was map[string]bool, now map[string]ethtool.FeatureState) map[string]bool {
	change := map[string]bool{}
	for f, on := range was {
		if st, ok := now[f]; ok && st.Available && st.Active != on {
			change[f] = on
		}
	}
	return change
}

// samePending says whether two ring settings have the same sizes (the
// maximums are the driver's, not a setting).
func samePending(a, b ethtool.Ring) bool {
	return a.RxPending == b.RxPending && a.RxMiniPending == b.RxMiniPending && a.RxJumboPending == b.RxJumboPending && a.TxPending == b.TxPending
}

// restore puts a lent interface back into host (from the namespace it was
// lent to, when it is there) and sets everything the record holds.
func restore(host *Namespace, from *Namespace, rec Lent) error {
	if from != nil && from.nl != nil {
		if l, err := from.nl.LinkByName(rec.Name); err == nil {
			if err := from.nl.LinkSetNsFd(l, int(host.Handle)); err != nil {
				return fmt.Errorf("move %s back from %s: %w", rec.Name, from.Name, err)
			}
		}
	}
	h := host.nl
	l, err := h.LinkByName(rec.Name)
	if err != nil {
		return fmt.Errorf("give back %s: %w", rec.Name, err)
	}
	var errs []error
	if l.Attrs().MTU != rec.MTU {
		if err := h.LinkSetMTU(l, rec.MTU); err != nil {
			errs = append(errs, fmt.Errorf("MTU %d: %w", rec.MTU, err))
		}
	}
	if now, err := host.eth.FeaturesWithState(rec.Name); err == nil {
		if change := featuresToRestore(rec.Features, now); len(change) > 0 {
			if err := host.eth.Change(rec.Name, change); err != nil {
				errs = append(errs, fmt.Errorf("features %v: %w", change, err))
			}
		}
	}
	if rec.Channels != nil {
		if now, err := host.eth.GetChannels(rec.Name); err == nil && now != *rec.Channels {
			if _, err := host.eth.SetChannels(rec.Name, *rec.Channels); err != nil {
				errs = append(errs, fmt.Errorf("channels: %w", err))
			}
		}
	}
	if rec.Rings != nil {
		if now, err := host.eth.GetRing(rec.Name); err == nil && !samePending(now, *rec.Rings) {
			if _, err := host.eth.SetRing(rec.Name, *rec.Rings); err != nil {
				errs = append(errs, fmt.Errorf("rings rx %d tx %d: %w", rec.Rings.RxPending, rec.Rings.TxPending, err))
			}
		}
	}
	for _, s := range rec.Addrs {
		a, err := netlink.ParseAddr(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("address %s: %w", s, err))
			continue
		}
		if err := h.AddrReplace(l, a); err != nil {
			errs = append(errs, fmt.Errorf("restore address %s: %w", s, err))
		}
	}
	if rec.Up {
		if err := h.LinkSetUp(l); err != nil {
			errs = append(errs, fmt.Errorf("up: %w", err))
		}
	} else if err := h.LinkSetDown(l); err != nil {
		errs = append(errs, fmt.Errorf("down: %w", err))
	}
	for _, rr := range rec.Routes {
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Table: rr.Table, Priority: rr.Priority, Scope: netlink.Scope(rr.Scope),
			Protocol: netlink.RouteProtocol(rr.Protocol), Family: rr.Family}
		if rr.Dst != "" {
			_, d, err := net.ParseCIDR(rr.Dst)
			if err != nil {
				errs = append(errs, fmt.Errorf("route %s: %w", rr.Dst, err))
				continue
			}
			r.Dst = d
		}
		r.Gw, r.Src = net.ParseIP(rr.Gw), net.ParseIP(rr.Src)
		if err := h.RouteReplace(r); err != nil {
			errs = append(errs, fmt.Errorf("restore route %s via %s: %w", orDefault(rr.Dst), rr.Gw, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("restore %s: %w", rec.Name, err)
	}
	return nil
}

func orDefault(dst string) string {
	if dst == "" {
		return "default"
	}
	return dst
}
