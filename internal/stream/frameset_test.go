package stream

import (
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrameSet(t *testing.T) {
	o := FrameSetOptions{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		Src4: netip.MustParseAddr("198.18.0.1"), Dst4: netip.MustParseAddr("198.18.0.2"),
		Src6: netip.MustParseAddr("2001:2::1"), Dst6: netip.MustParseAddr("2001:2::2")}
	fs, err := FrameSet(o)
	require.NoError(t, err)
	require.Len(t, fs, 2*(5+len(malformedKinds)))
	names := map[string]bool{}
	for _, f := range fs {
		assert.False(t, names[f.Name], "one name per frame: %s", f.Name)
		names[f.Name] = true
		assert.Equal(t, []byte(o.DstMAC), f.Frame[:6], f.Name)
	}
	assert.Len(t, fs[1].Frame, MaxFrameSize-4, "udp 1518 is 1514 bytes without FCS")
	assert.Contains(t, fs[5].Name, "malformed")
	assert.NoError(t, CheckChecksums(fs[0].Frame))

	o.Jumbo = true
	fs, err = FrameSet(o)
	require.NoError(t, err)
	last := fs[len(fs)-1]
	assert.Contains(t, last.Name, "jumbo")
	assert.Len(t, last.Frame, JumboSize-4)
	assert.NoError(t, CheckChecksums(last.Frame))
}
