package procstat

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `cpu  10 0 20 300 0 0 5 0 0 0
cpu0 4 0 10 150 0 0 3 1 0 0
cpu1 6 0 10 150 0 0 2 0 0 0
intr 1 2 3
`

func TestParse(t *testing.T) {
	s, err := Parse([]byte(sample))
	require.NoError(t, err)
	require.Len(t, s, 2)
	assert.Equal(t, uint64(4*TickNS), s[0].User)
	assert.Equal(t, uint64((4+10+3)*TickNS), s[0].Busy())
	assert.Equal(t, uint64(1*TickNS), s[0].Steal)

	later, err := Parse([]byte("cpu0 5 0 10 250 0 0 103 1 0 0\n"))
	require.NoError(t, err)
	d := later.Sub(s)
	require.Len(t, d, 1)
	assert.Equal(t, uint64(101*TickNS), d[0].Busy())
	assert.Equal(t, uint64(201*TickNS), d[0].Total())
}

func TestParseRejectsGarbage(t *testing.T) {
	_, err := Parse([]byte("cpu0 x y z 1 2 3 4 5\n"))
	assert.ErrorContains(t, err, "cpu0")
	_, err = Parse([]byte("intr 1\n"))
	assert.Error(t, err)
}

func TestReadLive(t *testing.T) {
	s, err := Read()
	require.NoError(t, err)
	assert.NotEmpty(t, s)
}
