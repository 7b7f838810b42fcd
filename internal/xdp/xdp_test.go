package xdp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/internal/xdp"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Each mode by its names (iproute2's drv and hw too); an unknown name is
// refused by name.
func TestParseMode(t *testing.T) {
	for name, want := range map[string]xdp.Mode{"generic": xdp.Generic, "skb": xdp.Generic, "drv": xdp.Native, "native": xdp.Native, "hw": xdp.Offload, "offload": xdp.Offload} {
		m, err := xdp.ParseMode(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, m, name)
	}
	_, err := xdp.ParseMode("turbo")
	assert.ErrorContains(t, err, `unknown XDP mode "turbo"`)
}
