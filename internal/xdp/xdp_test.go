package xdp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/internal/xdp"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestParseModes(t *testing.T) {
	ms, err := xdp.ParseModes("generic,drv,native,hw")
	require.NoError(t, err)
	assert.Equal(t, []xdp.Mode{xdp.Generic, xdp.Native, xdp.Offload}, ms)
	_, err = xdp.ParseModes("generic,turbo")
	assert.ErrorContains(t, err, `unknown XDP mode "turbo"`)
}
