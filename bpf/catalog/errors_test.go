package catalog

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The refusal says what to do: choose a program, name one that is there,
// or bring an object with an XDP program at all.
func TestProgramChoiceError(t *testing.T) {
	e := &ProgramChoiceError{Object: "o.o", Programs: []string{"a", "b"}}
	assert.False(t, e.NoXDP())
	assert.EqualError(t, e, "load object o.o: it holds 2 XDP programs (a, b): choose one with --program")
	e.Name = "c"
	assert.EqualError(t, e, `load object o.o: no program "c": its XDP programs are a, b`)
	none := &ProgramChoiceError{Object: "o.o", Name: "c", Others: []string{"2 kprobe program(s)", "8 tracepoint program(s)"}}
	assert.True(t, none.NoXDP())
	assert.Equal(t, "2 kprobe program(s), 8 tracepoint program(s)", none.Holds())
	assert.EqualError(t, none, "load object o.o: it holds no XDP program (it holds 2 kprobe program(s), 8 tracepoint program(s)): xdplab loads XDP programs")
	assert.Equal(t, "no program at all", (&ProgramChoiceError{}).Holds())
}
