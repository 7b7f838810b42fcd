package results

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Passes over one result's traffic add up by destination, most first, and
// ties in address order; the share counts only sound encapsulations.
func TestReturnedAdd(t *testing.T) {
	var r Returned
	assert.Zero(t, r.EncapsulatedShare(), "nothing came back")
	r.Add(Returned{Frames: 10, Encapsulated: 8, NotEncapsulated: 1, InnerBad: 1, Source: "sink",
		ByDestination: []BackendCount{{"198.19.0.2", 3}, {"198.19.0.1", 5}}})
	r.Add(Returned{Frames: 6, Encapsulated: 6, OtherDestinations: 1,
		ByDestination: []BackendCount{{"198.19.0.2", 2}, {"198.19.0.3", 3}}})
	assert.Equal(t, uint64(16), r.Frames)
	assert.Equal(t, uint64(14), r.Encapsulated)
	assert.Equal(t, uint64(1), r.NotEncapsulated)
	assert.Equal(t, uint64(1), r.InnerBad)
	assert.Equal(t, uint64(1), r.OtherDestinations)
	assert.Equal(t, []BackendCount{{"198.19.0.1", 5}, {"198.19.0.2", 5}, {"198.19.0.3", 3}}, r.ByDestination)
	assert.InDelta(t, 14.0/16, r.EncapsulatedShare(), 1e-12)
}

// The table says what came back, by destination, or that nothing did.
func TestWriteReturned(t *testing.T) {
	res := Result{Program: Program{Name: "xdp_lb"}, Mode: "native",
		Returned: &Returned{Frames: 200, Encapsulated: 199, NotEncapsulated: 1, OtherDestinations: 9,
			ByDestination: []BackendCount{{"198.19.0.1", 110}, {"198.19.0.2", 80}}}}
	var b bytes.Buffer
	writeReturned(&b, res)
	out := b.String()
	assert.Contains(t, out, "xdp_lb native: 200 frames came back out of the DUT (return sink on the generator's veth): 99.500% encapsulated with a sound inner packet, 1 not encapsulated, 0 with a bad inner packet")
	assert.Contains(t, out, "         110  198.19.0.1\n")
	assert.Contains(t, out, "           9  other destinations")
	b.Reset()
	res.Returned = &Returned{Frames: 2000001, Encapsulated: 2000000, NotEncapsulated: 1}
	writeReturned(&b, res)
	assert.Contains(t, b.String(), ": >99.999% encapsulated", "never all where one was not")
	b.Reset()
	res.Returned = &Returned{Frames: 7, Encapsulated: 7}
	writeReturned(&b, res)
	assert.Contains(t, b.String(), ": 100.000% encapsulated")
	b.Reset()
	res.Returned = &Returned{}
	writeReturned(&b, res)
	require.Equal(t, "xdp_lb native: no frame came back out of the DUT to the generator's port (return sink)\n", b.String())
}
