package stream

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// NamedFrame is a test frame with a name that says what it is.
type NamedFrame struct {
	Name  string
	Frame []byte // without FCS
}

// FrameSetOptions address the frames of a FrameSet.
type FrameSetOptions struct {
	SrcMAC, DstMAC net.HardwareAddr
	Src4, Dst4     netip.Addr
	Src6, Dst6     netip.Addr
	// Jumbo adds a 6000-byte frame, which takes several buffers at an MTU
	// of 9000: for frags-aware programs.
	Jumbo bool
}

// JumboSize is the jumbo frame's size with FCS.
const JumboSize = 6000

// FrameSet is the frames the equivalence check sends: IPv4 and IPv6, UDP,
// TCP SYN and ICMP, the smallest and the largest, VLAN-tagged, each
// malformed kind, and with Jumbo a multi-buffer frame.
func FrameSet(o FrameSetOptions) ([]NamedFrame, error) {
	var out []NamedFrame
	for _, ip := range []struct {
		name     string
		src, dst netip.Addr
	}{{"ipv4", o.Src4, o.Dst4}, {"ipv6", o.Src6, o.Dst6}} {
		base := FrameSpec{SrcMAC: o.SrcMAC, DstMAC: o.DstMAC, Src: ip.src, Dst: ip.dst, SrcPort: 10000, DstPort: 9}
		for _, c := range []struct {
			name  string
			proto Protocol
			size  int
			vlan  uint16
		}{
			{"udp min", UDP, 0, 0}, {"udp 1518", UDP, MaxFrameSize, 0}, {"tcp-syn", TCPSYN, 0, 0},
			{"icmp echo", ICMP, 0, 0}, {"udp vlan 100", UDP, 0, 100},
		} {
			s := base
			s.Proto, s.VLAN = c.proto, c.vlan
			s.Size = max(c.size, s.MinSize(), 64)
			f, err := Build(s)
			if err != nil {
				return nil, fmt.Errorf("frame set: %s %s: %w", ip.name, c.name, err)
			}
			out = append(out, NamedFrame{Name: fmt.Sprintf("%s %s (%d bytes)", ip.name, c.name, s.Size), Frame: f})
		}
		s := base
		s.Size = max(s.MinSize(), 64)
		sh, err := NewShaper(ShapeOptions{Frame: s, MalformedPPM: MaxMalformedPPM})
		if err != nil {
			return nil, fmt.Errorf("frame set: %s malformed: %w", ip.name, err)
		}
		for _, kind := range malformedKinds {
			out = append(out, NamedFrame{Name: fmt.Sprintf("%s udp malformed: %s", ip.name, kind), Frame: append([]byte(nil), sh.Next()...)})
		}
	}
	if o.Jumbo {
		f, err := jumbo(o)
		if err != nil {
			return nil, err
		}
		out = append(out, NamedFrame{Name: fmt.Sprintf("ipv4 udp jumbo (%d bytes, several buffers at MTU 9000)", JumboSize), Frame: f})
	}
	return out, nil
}

// jumbo is an IPv4 UDP frame of JumboSize bytes with FCS.
func jumbo(o FrameSetOptions) ([]byte, error) {
	eth := &layers.Ethernet{SrcMAC: o.SrcMAC, DstMAC: o.DstMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: o.Src4.AsSlice(), DstIP: o.Dst4.AsSlice()}
	udp := &layers.UDP{SrcPort: 10000, DstPort: 9}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, err
	}
	payload := make([]byte, JumboSize-4-14-20-8)
	for i := range payload {
		payload[i] = byte(i)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		return nil, fmt.Errorf("frame set: jumbo frame: %w", err)
	}
	return buf.Bytes(), nil
}
