package topology

import (
	"fmt"
	"os"

	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// QuietIPv6 turns IPv6 off on an interface, so that the kernel sends no
// frames of its own from it.
func QuietIPv6(ns netns.NsHandle, iface string) error {
	return nsthread.Do(ns, func() error {
		p := "/proc/sys/net/ipv6/conf/" + iface + "/disable_ipv6"
		if err := os.WriteFile(p, []byte("1"), 0o644); err != nil {
			return fmt.Errorf("quiet %s for the replay: %w", iface, err)
		}
		return nil
	})
}
