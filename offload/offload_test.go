package offload_test

import (
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/offload"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestFeatureNames(t *testing.T) {
	assert.Equal(t, "basic,redirect,rx-sg", offload.XDPFeature(0x23).String())
	assert.Equal(t, "basic,redirect,ndo-xmit,rx-sg,ndo-xmit-sg", offload.XDPFeature(0x67).String())
	assert.Equal(t, "none", offload.XDPFeature(0).String())
	assert.Contains(t, offload.XDPFeature(1<<9).String(), "unknown")
}

// The netdev family's reply is decoded from faked messages, so this runs
// everywhere.
func TestReadFeaturesFaked(t *testing.T) {
	fam := genetlink.Family{ID: 30, Name: "netdev", Version: 1}
	conn := genltest.Dial(genltest.ServeFamily(fam, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		assert.Equal(t, uint8(1), greq.Header.Command, "NETDEV_CMD_DEV_GET")
		ad, err := netlink.NewAttributeDecoder(greq.Data)
		require.NoError(t, err)
		require.True(t, ad.Next())
		assert.Equal(t, uint16(1), ad.Type())
		assert.Equal(t, uint32(7), ad.Uint32())
		ae := netlink.NewAttributeEncoder()
		ae.Uint32(1, 7)
		ae.Uint64(3, 0x67)
		ae.Uint32(4, 1)
		ae.Uint64(5, 0x7)
		ae.Uint64(6, 0)
		b, err := ae.Encode()
		require.NoError(t, err)
		return []genetlink.Message{{Data: b}}, nil
	}))
	defer conn.Close()
	d, err := offload.ReadFeatures(conn, 7)
	require.NoError(t, err)
	assert.Equal(t, uint32(7), d.Ifindex)
	assert.Equal(t, offload.XDPFeature(0x67), d.XDP)
	assert.NotZero(t, d.XDP&offload.FeatureNdoXmit)
	assert.Equal(t, uint64(7), d.RxMetadata)
}

func TestReadFeaturesOldKernel(t *testing.T) {
	conn := genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(2) // ENOENT: no such family
	})
	defer conn.Close()
	_, err := offload.ReadFeatures(conn, 1)
	assert.ErrorIs(t, err, offload.ErrNotReported)
}
