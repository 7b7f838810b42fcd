package stream

import "fmt"

// Kind names a generator implementation.
type Kind string

// The generators.
const (
	LiveFrames Kind = "live-frames" // BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
	AFPacket   Kind = "af-packet"   // raw AF_PACKET socket, qdisc bypass
)

// ParseKind reads a generator name; "auto" gives "".
func ParseKind(s string) (Kind, error) {
	switch Kind(s) {
	case LiveFrames, AFPacket:
		return Kind(s), nil
	case "auto", "":
		return "", nil
	}
	return "", fmt.Errorf("unknown generator %q: use auto, %s or %s", s, LiveFrames, AFPacket)
}
