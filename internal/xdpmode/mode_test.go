package xdpmode

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every name reads back to its mode, the kernel's, iproute2's and the
// hook vocabulary's included; anything else is refused with the names.
func TestParse(t *testing.T) {
	for name, want := range map[string]Mode{
		"generic": Generic, "skb": Generic, "xdpgeneric": Generic, "xdp-generic": Generic, " Generic ": Generic,
		"native": Native, "drv": Native, "driver": Native, "xdpdrv": Native, "xdp-native": Native,
		"offload": Offload, "hw": Offload, "xdpoffload": Offload, "xdp-offload": Offload,
		"tc": TC, "tcx": TC, "cls_bpf": TC,
		"socket": Socket, "socket-filter": Socket, "so_attach_bpf": Socket,
		"afpacket": AFPacket, "af-packet": AFPacket, "af_packet": AFPacket,
		"afxdp": AFXDP, "af-xdp": AFXDP, "af_xdp": AFXDP, "xsk": AFXDP,
	} {
		m, err := Parse(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, m, name)
	}
	_, err := Parse("turbo")
	require.ErrorContains(t, err, `unknown mode or hook "turbo"`)
	assert.ErrorContains(t, err, "tc, socket, afpacket, afxdp")
	for _, m := range Hooks() {
		back, err := Parse(m.String())
		require.NoError(t, err)
		assert.Equal(t, m, back, "String reads back")
		back, err = Parse(m.HookName())
		require.NoError(t, err)
		assert.Equal(t, m, back, "HookName reads back")
		var u Mode
		b, _ := m.MarshalText()
		require.NoError(t, u.UnmarshalText(b))
		assert.Equal(t, m, u)
	}
	assert.Equal(t, "mode(9)", Mode(9).String())
}

// XDP's modes are the first three hooks; only afpacket and afxdp decide
// in user space; hook names prefix XDP's with xdp-.
func TestHooks(t *testing.T) {
	assert.Equal(t, []Mode{Generic, Native, Offload}, All())
	assert.Equal(t, []Mode{Generic, Native, Offload, TC, Socket, AFPacket, AFXDP}, Hooks())
	h := Hooks()
	h[0] = AFXDP
	assert.Equal(t, Generic, Hooks()[0], "a copy each call")
	for _, m := range Hooks() {
		assert.Equal(t, m <= Offload, m.IsXDP(), m.String())
		assert.Equal(t, m == AFPacket || m == AFXDP, m.InUserSpace(), m.String())
		assert.NotEmpty(t, m.Where(), m.String())
		assert.NotEmpty(t, m.DropMeaning(), m.String())
	}
	assert.False(t, Mode(0).IsXDP())
	assert.False(t, Mode(9).IsXDP())
	assert.Equal(t, "xdp-native", Native.HookName())
	assert.Equal(t, "tc", TC.HookName())
	assert.Equal(t, "afxdp", AFXDP.HookName())
	assert.Equal(t, "XDP_DROP: the frame is freed", Native.DropMeaning())
	assert.Contains(t, TC.DropMeaning(), "TC_ACT_SHOT")
	assert.Contains(t, AFPacket.DropMeaning(), "a decision counted")
	assert.Contains(t, Socket.DropMeaning(), "refuses the socket's copy")
	assert.Contains(t, AFXDP.DropMeaning(), "taken from the stack")
	assert.Contains(t, AFPacket.Where(), "user space")
	assert.Contains(t, TC.Where(), "kernel")
	assert.Equal(t, "mode(0)", Mode(0).Where())
}

// What each hook runs: XDP everything; the others what has a meaning
// there, and an action a hook cannot take is refused with why.
func TestRuns(t *testing.T) {
	for _, m := range All() {
		for _, p := range []string{"drop", "pass", "tx", "redirect", "filter", "ratelimit", "flowstats", "l4lb"} {
			assert.NoError(t, m.Runs(p), "%s at %s", p, m)
		}
	}
	runs := map[Mode][]string{
		TC:       {"drop", "pass", "tx", "filter"},
		Socket:   {"drop", "pass"},
		AFPacket: {"drop", "pass", "filter"},
		AFXDP:    {"drop", "pass", "filter"},
	}
	for m, ok := range runs {
		for _, p := range []string{"drop", "pass", "tx", "redirect", "filter", "ratelimit", "flowstats", "l4lb"} {
			err := m.Runs(p)
			if assert.Equal(t, contains(ok, p), err == nil, "%s at %s: %v", p, m, err) && err != nil {
				assert.ErrorContains(t, err, p+" does not run at the "+m.HookName()+" hook")
			}
		}
	}
	assert.ErrorContains(t, AFPacket.Runs("tx"), "user space would send the frame back itself")
	assert.ErrorContains(t, Socket.Runs("tx"), "only accepts or refuses")
	assert.ErrorContains(t, TC.Runs("redirect"), "through a devmap")
	assert.ErrorContains(t, Socket.Runs("filter"), "no direct packet access")
	assert.ErrorContains(t, TC.Runs("l4lb"), "built for XDP only")
	assert.ErrorContains(t, AFXDP.Runs("nosuch"), "it has no equivalent there")
	assert.ErrorContains(t, AFXDP.Runs("tx"), "(it runs drop, pass, filter)")
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
