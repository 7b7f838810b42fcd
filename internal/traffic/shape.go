package traffic

import (
	"encoding/binary"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/stream"
)

// GenOptions are the generator program's settings for this stream; with
// restore, the program writes the template's head back into every frame.
func GenOptions(s *stream.Shaper, ifindex uint32, ratePPS uint64, restore bool) bpf.GenOptions {
	l, tmpl, fl, o0 := s.Layout(), s.Template(), s.Flows(), s.Options()
	o := bpf.GenOptions{
		TargetIfindex: ifindex, IPv6: l.IPv6, L3Offset: uint32(l.L3), Proto: l.IPProto,
		Flows: fl.N, PortsPerAddr: fl.PortsPerAddr, SportBase: fl.SportBase, SaddrLoBase: fl.SaddrLoBase,
		RatePPS: ratePPS, TemplateLen: uint32(len(tmpl)), MalformedPPM: o0.MalformedPPM, Stamp: o0.Frame.Stamp,
		L4Checksum: l.L4Checksum,
		// The program reads these as they sit in the frame, little-endian.
		TemplateIPCheck: binary.LittleEndian.Uint16(tmpl[l.L3+10:]),
		TemplateL4Check: binary.LittleEndian.Uint16(tmpl[l.L4+l.CheckOff:]),
	}
	if l.IPv6 {
		o.TemplateIPCheck = 0
	}
	if restore {
		// The smallest frame of the stream bounds what can be written.
		n := min(len(tmpl), catalog.MaxRestore)
		for _, size := range s.Sizes() {
			n = min(n, size)
		}
		o.Restore = tmpl[:n]
	}
	for _, n := range s.Sizes() {
		o.Sizes = append(o.Sizes, uint32(n))
	}
	return o
}
