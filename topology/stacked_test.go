package topology

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/vishvananda/netlink"
)

func link(index, master, parent, nsid int) netlink.Link {
	return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: index, MasterIndex: master, ParentIndex: parent, NetNsID: nsid}}
}

// Masters, lower and upper devices are stacked with an interface,
// transitively; a veth's peer in another namespace is not.
func TestStacked(t *testing.T) {
	links := []netlink.Link{
		link(1, 0, 0, -1), // lo
		link(2, 5, 0, -1), // eth0, a port of bond0 (5)
		link(3, 5, 0, -1), // eth1, the other port
		link(4, 0, 0, -1), // eth2, alone
		link(5, 0, 0, -1), // bond0
		link(6, 0, 5, -1), // bond0.7, a VLAN on bond0
		link(7, 0, 2, 3),  // a veth whose peer (index 2 there) is in another namespace
		link(8, 0, 6, -1), // a macvlan on bond0.7
	}
	assert.Equal(t, map[int]bool{2: true, 3: true, 5: true, 6: true, 8: true}, stacked(links, 2))
	assert.Equal(t, map[int]bool{2: true, 3: true, 5: true, 6: true, 8: true}, stacked(links, 8), "from the top down")
	assert.Equal(t, map[int]bool{4: true}, stacked(links, 4))
	assert.Equal(t, map[int]bool{7: true}, stacked(links, 7), "the peer's index is another namespace's")
}
