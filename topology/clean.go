package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/internal/atomicfile"
)

// Leftovers lists what xdplab made and did not remove: namespaces whose
// names have the exact form xdplab gives them (xdplab-<id>-gen|dut|sink),
// and links of the exact form xl<id>[gdos] in the calling process's
// namespace (xdplab makes none there: one is a leak).
func Leftovers() (namespaces, links []string, err error) {
	ents, err := os.ReadDir(netnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("list namespaces: %w", err)
	}
	for _, e := range ents {
		if namespacePattern.MatchString(e.Name()) {
			namespaces = append(namespaces, e.Name())
		}
	}
	ls, err := netlink.LinkList()
	if err != nil {
		return nil, nil, fmt.Errorf("list links: %w", err)
	}
	for _, l := range ls {
		if linkPattern.MatchString(l.Attrs().Name) && l.Type() == "veth" {
			links = append(links, l.Attrs().Name)
		}
	}
	sort.Strings(namespaces)
	sort.Strings(links)
	return namespaces, links, nil
}

// CleanOptions shape Clean.
type CleanOptions struct {
	// DryRun says what Clean would do and does nothing.
	DryRun bool
}

// CleanReport says what Clean did (or, dry, would do), one line each.
type CleanReport struct {
	Restored  []string // lent interfaces put back with their settings
	Removed   []string // namespaces, journals and stale files removed
	LeftAlone []string // what is not a dead run's, and why
}

// Clean removes what dead runs left, and only that. It replays the journal
// of every run whose process is gone: each lent interface back in the
// namespace it came from with every recorded setting, then the run's
// namespaces removed, then its journal (kept while an interface could not
// be restored). A namespace of xdplab's exact name form that no journal
// claims (a run older than the journal) is removed too, after any link in
// it that is not xdplab's is moved back to this namespace: deleting the
// namespace would destroy a virtual one. A live run's state, and any name
// not of xdplab's exact forms, is left alone.
func Clean(o CleanOptions) (CleanReport, error) {
	var rep CleanReport
	journals, errs := Journals()
	claimed := map[string]bool{}
	for _, j := range journals {
		for _, n := range j.Namespaces {
			claimed[n] = true
		}
	}
	var host *Namespace
	openHost := func() (*Namespace, error) {
		if host != nil {
			return host, nil
		}
		h, err := netns.Get()
		if err != nil {
			return nil, fmt.Errorf("clean: this namespace: %w", err)
		}
		ns, err := openExisting(h, "host")
		if err != nil {
			return nil, err
		}
		host = ns
		return host, nil
	}
	defer func() { _ = host.Close() }()
	for _, j := range journals {
		if j.Alive() {
			rep.LeftAlone = append(rep.LeftAlone, fmt.Sprintf("run %s: its process %d is running (%s)", j.RunID, j.PID, j.Command))
			continue
		}
		if err := replay(j, o, &rep, openHost); err != nil {
			errs = append(errs, err)
		}
	}
	if err := cleanOrphans(claimed, o, &rep, openHost); err != nil {
		errs = append(errs, err)
	}
	cleanTemp(journals, o, &rep)
	return rep, errors.Join(errs...)
}

// replay restores a dead run's lent interfaces and removes its state.
func replay(j *Journal, o CleanOptions, rep *CleanReport, openHost func() (*Namespace, error)) error {
	var errs []error
	if len(j.Lent) > 0 {
		cur, err := netnsInode("/proc/self/ns/net")
		if err != nil {
			return err
		}
		if cur != j.HostNS {
			return fmt.Errorf("run %s lent interfaces from another network namespace (inode %d, this is %d): run xdplab clean there", j.RunID, j.HostNS, cur)
		}
	}
	for _, rec := range append([]Lent(nil), j.Lent...) {
		what := fmt.Sprintf("%s of dead run %s: back from %s with MTU %d, %d address(es), %d route(s), features, channels and rings as before",
			rec.Name, j.RunID, orHere(rec.In), rec.MTU, len(rec.Addrs), len(rec.Routes))
		if o.DryRun {
			rep.Restored = append(rep.Restored, "would restore "+what)
			continue
		}
		host, err := openHost()
		if err != nil {
			return err
		}
		var from *Namespace
		if rec.In != "" {
			if h, err := netns.GetFromName(rec.In); err == nil {
				if from, err = openExisting(h, rec.In); err != nil {
					errs = append(errs, err)
					continue
				}
			}
		}
		err = restore(host, from, rec)
		_ = from.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("run %s: %w (the journal %s keeps the record)", j.RunID, err, j.Path()))
			continue
		}
		if err := j.Returned(rec.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Restored = append(rep.Restored, "restored "+what)
	}
	if len(j.Lent) > 0 && !o.DryRun {
		// Deleting a namespace that still holds a lent interface would
		// destroy a virtual one: keep everything for the next try.
		return errors.Join(append(errs, fmt.Errorf("run %s: namespaces kept while an interface is not restored", j.RunID))...)
	}
	for _, n := range j.Namespaces {
		if _, err := os.Stat(filepath.Join(netnsDir, n)); err != nil {
			continue
		}
		if o.DryRun {
			rep.Removed = append(rep.Removed, fmt.Sprintf("would remove namespace %s (dead run %s)", n, j.RunID))
			continue
		}
		if err := netns.DeleteNamed(n); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", n, permHint(err)))
			continue
		}
		rep.Removed = append(rep.Removed, fmt.Sprintf("namespace %s (dead run %s)", n, j.RunID))
	}
	if o.DryRun {
		rep.Removed = append(rep.Removed, "would remove journal "+j.Path())
		return errors.Join(errs...)
	}
	if len(errs) == 0 {
		if err := j.Close(); err != nil {
			errs = append(errs, err)
		} else {
			rep.Removed = append(rep.Removed, "journal "+j.Path())
		}
	}
	return errors.Join(errs...)
}

func orHere(in string) string {
	if in == "" {
		return "changes in place"
	}
	return in
}

// cleanOrphans removes namespaces of xdplab's exact name form that no
// journal claims.
func cleanOrphans(claimed map[string]bool, o CleanOptions, rep *CleanReport, openHost func() (*Namespace, error)) error {
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list namespaces: %w", err)
	}
	var errs []error
	for _, e := range ents {
		name := e.Name()
		switch {
		case claimed[name]:
			continue
		case !namespacePattern.MatchString(name):
			if strings.HasPrefix(name, NamespacePrefix) {
				rep.LeftAlone = append(rep.LeftAlone, fmt.Sprintf("namespace %s: not a name xdplab makes (xdplab-<id>-gen|dut|sink)", name))
			}
			continue
		}
		// A run journals before it makes a namespace: a journal written
		// since the list above was read claims it.
		id := namespacePattern.FindStringSubmatch(name)[1]
		if _, err := os.Stat(filepath.Join(RunDir(), id+".json")); err == nil {
			continue
		}
		if o.DryRun {
			rep.Removed = append(rep.Removed, fmt.Sprintf("would remove namespace %s (no journal: from a dead run)", name))
			continue
		}
		if err := rescueForeign(name, rep, openHost); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", name, permHint(err)))
			continue
		}
		rep.Removed = append(rep.Removed, fmt.Sprintf("namespace %s (no journal: from a dead run)", name))
	}
	return errors.Join(errs...)
}

// rescueForeign moves every link in namespace name that xdplab did not
// make back to this namespace, before the namespace is deleted.
func rescueForeign(name string, rep *CleanReport, openHost func() (*Namespace, error)) error {
	h, err := netns.GetFromName(name)
	if err != nil {
		return nil // gone meanwhile
	}
	ns, err := openExisting(h, name)
	if err != nil {
		return err
	}
	defer ns.Close()
	links, err := ns.nl.LinkList()
	if err != nil {
		return fmt.Errorf("links in %s: %w", name, err)
	}
	for _, l := range links {
		n := l.Attrs().Name
		if n == "lo" || linkPattern.MatchString(n) {
			continue
		}
		host, err := openHost()
		if err != nil {
			return err
		}
		if err := ns.nl.LinkSetNsFd(l, int(host.Handle)); err != nil {
			return fmt.Errorf("move %s back from %s: %w; namespace kept", n, name, err)
		}
		rep.Restored = append(rep.Restored, fmt.Sprintf("%s moved back from %s (no journal: its settings are not known; check them with `ip -d link show %s`)", n, name, n))
	}
	return nil
}

// cleanTemp removes temporary journal files no live run writes.
func cleanTemp(journals []*Journal, o CleanOptions, rep *CleanReport) {
	ents, err := os.ReadDir(RunDir())
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, j := range journals {
		if j.Alive() {
			live[j.RunID] = true
		}
	}
	for _, e := range ents {
		n := e.Name()
		id, _, _ := strings.Cut(strings.TrimPrefix(n, "."), ".json.tmp")
		if validRunID(id) != nil || live[id] || !atomicfile.IsTemp(n, id+".json") {
			continue
		}
		if o.DryRun {
			rep.Removed = append(rep.Removed, "would remove stale temporary file "+filepath.Join(RunDir(), n))
			continue
		}
		if os.Remove(filepath.Join(RunDir(), n)) == nil {
			rep.Removed = append(rep.Removed, "stale temporary file "+filepath.Join(RunDir(), n))
		}
	}
}

// openExisting opens handles into an existing namespace, which Close
// leaves in place.
func openExisting(h netns.NsHandle, name string) (*Namespace, error) {
	ns := &Namespace{Name: name, Handle: h, borrowed: true}
	if err := ns.openHandles(); err != nil {
		return nil, errors.Join(err, ns.Close())
	}
	return ns, nil
}
