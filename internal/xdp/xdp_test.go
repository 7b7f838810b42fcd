package xdp_test

import (
	"testing"

	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Each mode by its names (iproute2's drv and hw too); an unknown name is
// refused by name.
func TestParseMode(t *testing.T) {
	for name, want := range map[string]xdpmode.Mode{"generic": xdpmode.Generic, "skb": xdpmode.Generic, "drv": xdpmode.Native, "native": xdpmode.Native, "hw": xdpmode.Offload, "offload": xdpmode.Offload} {
		m, err := xdpmode.Parse(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, m, name)
	}
	_, err := xdpmode.Parse("turbo")
	assert.ErrorContains(t, err, `unknown mode or hook "turbo"`)
}
