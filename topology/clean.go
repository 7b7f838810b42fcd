package topology

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Leftovers lists what xdplab made and did not remove: namespaces named
// xdplab-* and links named xl* in the calling process's namespace.
func Leftovers() (namespaces, links []string, err error) {
	ents, err := os.ReadDir(netnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("list namespaces: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), NamespacePrefix) {
			namespaces = append(namespaces, e.Name())
		}
	}
	ls, err := netlink.LinkList()
	if err != nil {
		return nil, nil, fmt.Errorf("list links: %w", err)
	}
	for _, l := range ls {
		if strings.HasPrefix(l.Attrs().Name, LinkPrefix) && l.Type() == "veth" {
			links = append(links, l.Attrs().Name)
		}
	}
	sort.Strings(namespaces)
	sort.Strings(links)
	return namespaces, links, nil
}

// Clean removes what a killed run left: every xdplab-* namespace (with its
// links and attached programs) and every xl* veth in the calling process's
// namespace. It returns what it removed.
func Clean() (removed []string, err error) {
	namespaces, links, err := Leftovers()
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, n := range namespaces {
		if err := netns.DeleteNamed(n); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", n, permHint(err)))
			continue
		}
		removed = append(removed, "namespace "+n)
	}
	for _, name := range links {
		l, err := netlink.LinkByName(name)
		if err != nil {
			continue // deleted with its peer
		}
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("delete link %s: %w", name, permHint(err)))
			continue
		}
		removed = append(removed, "link "+name)
	}
	return removed, errors.Join(errs...)
}
