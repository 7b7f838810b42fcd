package stream

import (
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FCSLen is the Ethernet frame check sequence the NIC appends. Frame sizes
// follow RFC 2544 and include it; the bytes xdplab builds do not.
const FCSLen = 4

// RFC2544Sizes are the frame sizes RFC 2544 asks for on Ethernet.
var RFC2544Sizes = []int{64, 128, 256, 512, 1024, 1280, 1518}

// Header lengths of the frames xdplab builds.
const (
	ethLen  = 14
	vlanLen = 4
	ipv4Len = 20
	ipv6Len = 40
	udpLen  = 8
	tcpLen  = 20
	icmpLen = 8 // echo: type, code, checksum, identifier, sequence
)

// StampLen is the payload a latency stamp needs: the "xdplab" magic, two
// bytes of padding and the 8-byte send time at payload offset 8.
const StampLen = 16

// Protocol is a stream's transport.
type Protocol string

// The protocols a stream can carry.
const (
	UDP    Protocol = "udp"
	TCPSYN Protocol = "tcp-syn" // TCP segments with only SYN set
	ICMP   Protocol = "icmp"    // echo requests (ICMPv6 over IPv6)
)

// MaxVLAN is the largest 802.1Q VLAN id a frame may carry (0: untagged).
const MaxVLAN = 4094

// ParseProtocol reads a protocol name; "" is UDP.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return UDP, nil
	case UDP, TCPSYN, ICMP:
		return p, nil
	}
	return "", fmt.Errorf("protocol %q: use udp, tcp-syn or icmp", s)
}

// MinFrameSize is the smallest frame size (with FCS) for untagged UDP over
// IPv4 or IPv6: Ethernet's 64-byte minimum, or the headers plus FCS when
// larger.
func MinFrameSize(ipv6 bool) int {
	return FrameSpec{Src: map[bool]netip.Addr{false: netip.IPv4Unspecified(), true: netip.IPv6Unspecified()}[ipv6]}.MinSize()
}

// MaxFrameSize is the largest untagged frame at a 1500-byte MTU, with FCS.
const MaxFrameSize = 1518

// FrameSpec describes a test frame.
type FrameSpec struct {
	Size     int      // Ethernet frame size including the FCS, as in RFC 2544
	Proto    Protocol // "" is UDP
	VLAN     uint16   // an 802.1Q tag with this VLAN id; 0: untagged
	SrcMAC   net.HardwareAddr
	DstMAC   net.HardwareAddr
	Src, Dst netip.Addr // both IPv4 or both IPv6
	// SrcPort is the UDP or TCP source port, or the ICMP echo identifier;
	// DstPort the UDP or TCP destination port.
	SrcPort uint16
	DstPort uint16
	// Stamp leaves room in the payload for a send time (latency).
	Stamp bool
}

// IPv6 tells whether the frame is IPv6.
func (s FrameSpec) IPv6() bool { return s.Src.Is6() && !s.Src.Is4In6() }

// Layout says where a frame's fields are.
type Layout struct {
	L3, L4       int // offsets of the network and transport headers
	IPHdr, L4Hdr int
	IPv6         bool
	IPProto      uint8
	PortOff      int  // the flow's port or echo identifier, from L4
	CheckOff     int  // the transport checksum, from L4
	L4Checksum   bool // the transport checksum is kept (not UDP over IPv4)
	Pseudo       bool // it covers the pseudo-header (addresses, length)
	UDPLen       bool // a length field at L4+4
}

// Layout gives the spec's field offsets.
func (s FrameSpec) Layout() Layout {
	l := Layout{L3: ethLen, IPHdr: ipv4Len, IPv6: s.IPv6(), Pseudo: true, L4Checksum: true}
	if s.VLAN != 0 {
		l.L3 += vlanLen
	}
	if l.IPv6 {
		l.IPHdr = ipv6Len
	}
	l.L4 = l.L3 + l.IPHdr
	switch s.Proto {
	case TCPSYN:
		l.IPProto, l.L4Hdr, l.CheckOff = 6, tcpLen, 16
	case ICMP:
		l.IPProto, l.L4Hdr, l.PortOff, l.CheckOff = 1, icmpLen, 4, 2
		l.Pseudo = false
		if l.IPv6 {
			l.IPProto, l.Pseudo = 58, true
		}
	default:
		l.IPProto, l.L4Hdr, l.CheckOff, l.UDPLen = 17, udpLen, 6, true
		l.L4Checksum = l.IPv6
	}
	return l
}

// MinSize is the smallest frame size (with FCS) the spec can have:
// Ethernet's 64 bytes, or the headers (and a stamp's payload) plus FCS.
func (s FrameSpec) MinSize() int {
	l := s.Layout()
	n := l.L4 + l.L4Hdr + FCSLen
	if s.Stamp {
		n += StampLen
	}
	return max(n, 64)
}

// MaxSize is the largest frame size (with FCS) at a 1500-byte MTU.
func (s FrameSpec) MaxSize() int {
	if s.VLAN != 0 {
		return MaxFrameSize + vlanLen
	}
	return MaxFrameSize
}

// Describe names the stream: "TCP-SYN over IPv6 with a VLAN tag".
func (s FrameSpec) Describe() string {
	v := "IPv4"
	if s.IPv6() {
		v = "IPv6"
	}
	p := strings.ToUpper(string(s.Proto))
	if s.Proto == "" {
		p = "UDP"
	}
	d := p + " over " + v
	if s.VLAN != 0 {
		d += " with a VLAN tag"
	}
	if s.Stamp {
		d += " with a latency stamp"
	}
	return d
}

// Validate checks the spec before anything is built.
func (s FrameSpec) Validate() error {
	if !s.Src.IsValid() || !s.Dst.IsValid() {
		return fmt.Errorf("frame: source and destination addresses are required")
	}
	if s.Src.Is4() != s.Dst.Is4() {
		return fmt.Errorf("frame: source %s and destination %s are of different IP versions", s.Src, s.Dst)
	}
	if _, err := ParseProtocol(string(s.Proto)); err != nil {
		return fmt.Errorf("frame: %w", err)
	}
	if s.VLAN > MaxVLAN {
		return fmt.Errorf("frame: VLAN id %d out of range: use 1 to %d", s.VLAN, MaxVLAN)
	}
	if lo, hi := s.MinSize(), s.MaxSize(); s.Size < lo || s.Size > hi {
		return fmt.Errorf("frame size %d out of range: %s needs %d to %d bytes (with FCS)", s.Size, s.Describe(), lo, hi)
	}
	if len(s.SrcMAC) != 6 || len(s.DstMAC) != 6 {
		return fmt.Errorf("frame: source and destination MAC addresses are required")
	}
	return nil
}

// payloadMagic starts every payload so that a capture shows xdplab's frames.
var payloadMagic = []byte("xdplab")

// Build builds the frame's bytes (without FCS). UDP over IPv4 carries no
// checksum (0, allowed by RFC 768); every other checksum is computed. The
// payload is the magic and zeros.
func Build(s FrameSpec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	l := s.Layout()
	eth := &layers.Ethernet{SrcMAC: s.SrcMAC, DstMAC: s.DstMAC}
	ls := []gopacket.SerializableLayer{eth}
	etype := layers.EthernetTypeIPv4
	if l.IPv6 {
		etype = layers.EthernetTypeIPv6
	}
	if s.VLAN != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: s.VLAN, Type: etype})
	} else {
		eth.EthernetType = etype
	}
	var nl gopacket.NetworkLayer
	if l.IPv6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocol(l.IPProto),
			SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice()}
		nl = ip
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocol(l.IPProto),
			SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice()}
		nl = ip
		ls = append(ls, ip)
	}
	var err error
	switch s.Proto {
	case TCPSYN:
		tcp := &layers.TCP{SrcPort: layers.TCPPort(s.SrcPort), DstPort: layers.TCPPort(s.DstPort), Seq: 1, SYN: true, Window: 64240}
		err = tcp.SetNetworkLayerForChecksum(nl)
		ls = append(ls, tcp)
	case ICMP:
		if l.IPv6 {
			icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
			err = icmp.SetNetworkLayerForChecksum(nl)
			ls = append(ls, icmp, &layers.ICMPv6Echo{Identifier: s.SrcPort, SeqNumber: 1})
		} else {
			ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: s.SrcPort, Seq: 1})
		}
	default:
		udp := &layers.UDP{SrcPort: layers.UDPPort(s.SrcPort), DstPort: layers.UDPPort(s.DstPort)}
		err = udp.SetNetworkLayerForChecksum(nl)
		ls = append(ls, udp)
	}
	if err != nil {
		return nil, fmt.Errorf("frame: %w", err)
	}
	payload := make([]byte, s.Size-FCSLen-l.L4-l.L4Hdr)
	copy(payload, payloadMagic)
	ls = append(ls, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		return nil, fmt.Errorf("frame: serialize: %w", err)
	}
	b := buf.Bytes()
	if !l.L4Checksum {
		binary.BigEndian.PutUint16(b[l.L4+l.CheckOff:], 0)
	}
	if len(b) != s.Size-FCSLen {
		return nil, fmt.Errorf("frame: built %d bytes, want %d", len(b), s.Size-FCSLen)
	}
	return b, nil
}

// BuildUDP builds a UDP frame: Build with the spec's protocol forced to UDP.
func BuildUDP(s FrameSpec) ([]byte, error) {
	s.Proto = UDP
	return Build(s)
}

// Flows says how flow numbers map to source ports and addresses. Flow i has
// UDP source port SportBase + i%PortsPerAddr and the low 16 bits of the
// source address raised by i/PortsPerAddr. Generator programs and the
// AF_PACKET sender apply the same layout.
type Flows struct {
	N            uint32
	PortsPerAddr uint32
	SportBase    uint16
	SaddrLoBase  uint16 // low 16 bits of the template's source address
}

// MaxFlows is the largest number of flows: 50000 ports times the addresses
// left in the low 16 bits.
const MaxFlows = 1 << 24

// maxPortsPerAddr keeps source ports within 10000..59999.
const maxPortsPerAddr = 50000

// NewFlows lays out n flows over the spec's source: up to 50000 source
// ports an address, then the next address.
func NewFlows(n int, s FrameSpec) (Flows, error) {
	return NewFlowsOver(n, 0, s)
}

// NewFlowsOver lays out n flows over sources source addresses (0: as few as
// the ports allow), ceil(n/sources) ports each: sources 256 with 256 flows
// gives one flow to each of 256 consecutive addresses.
func NewFlowsOver(n, sources int, s FrameSpec) (Flows, error) {
	if n < 1 || n > MaxFlows {
		return Flows{}, fmt.Errorf("flows %d out of range: use 1 to %d", n, MaxFlows)
	}
	if sources < 0 || sources > n {
		return Flows{}, fmt.Errorf("sources %d out of range: use 1 to the number of flows (%d)", sources, n)
	}
	a := s.Src.AsSlice()
	lo := binary.BigEndian.Uint16(a[len(a)-2:])
	per := min(n, maxPortsPerAddr)
	if sources > 0 {
		per = (n + sources - 1) / sources
		if per > maxPortsPerAddr {
			return Flows{}, fmt.Errorf("flows %d over %d sources: %d ports an address, at most %d", n, sources, per, maxPortsPerAddr)
		}
	}
	f := Flows{N: uint32(n), PortsPerAddr: uint32(per), SportBase: s.SrcPort, SaddrLoBase: lo}
	if int(f.SportBase)+int(f.PortsPerAddr) > 65536 {
		return Flows{}, fmt.Errorf("flows %d: source port %d leaves too few ports; use a source port of at most %d", n, s.SrcPort, 65536-f.PortsPerAddr)
	}
	addrs := (uint32(n) + f.PortsPerAddr - 1) / f.PortsPerAddr
	if uint32(lo)+addrs > 0xffff {
		return Flows{}, fmt.Errorf("flows %d need %d source addresses: not enough above %s", n, addrs, s.Src)
	}
	return f, nil
}

// Addresses is how many source addresses the flows use.
func (f Flows) Addresses() uint32 { return (f.N + f.PortsPerAddr - 1) / f.PortsPerAddr }

// csumReplace2 updates a ones'-complement checksum for a 16-bit word that
// changed from old to new (RFC 1624, eqn. 3). Byte order does not matter
// as long as all three are in the same one.
func csumReplace2(check, old, new uint16) uint16 {
	sum := uint32(^check) + uint32(^old) + uint32(new)
	sum = (sum & 0xffff) + (sum >> 16)
	sum = (sum & 0xffff) + (sum >> 16)
	return ^uint16(sum)
}

// Stamp writes flow i of f into frame b (built by Build with layout l) in
// place, updating checksums incrementally from what b holds.
func (f Flows) Stamp(b []byte, l Layout, i uint32) {
	port := f.SportBase + uint16(i%f.PortsPerAddr)
	addr := f.SaddrLoBase + uint16(i/f.PortsPerAddr)
	saddr := l.L3 + 12 + 2
	if l.IPv6 {
		saddr = l.L3 + 8 + 14
	}
	be := binary.BigEndian
	old := be.Uint16(b[saddr:])
	if !l.IPv6 {
		be.PutUint16(b[l.L3+10:], csumReplace2(be.Uint16(b[l.L3+10:]), old, addr))
	}
	check, portAt := l.L4+l.CheckOff, l.L4+l.PortOff
	if l.L4Checksum {
		c := be.Uint16(b[check:])
		if l.Pseudo {
			c = csumReplace2(c, old, addr)
		}
		c = csumReplace2(c, be.Uint16(b[portAt:]), port)
		if c == 0 && l.IPProto == 17 {
			c = 0xffff
		}
		be.PutUint16(b[check:], c)
	}
	be.PutUint16(b[saddr:], addr)
	be.PutUint16(b[portAt:], port)
}

func onesSum(acc uint32, p []byte) uint32 {
	for i := 0; i+1 < len(p); i += 2 {
		acc += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	if len(p)%2 == 1 {
		acc += uint32(p[len(p)-1]) << 8
	}
	return acc
}

func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}

// CheckChecksums verifies the IPv4 header checksum and the transport
// checksum (UDP's only when not 0 over IPv4) of a well-formed frame built
// by Build, tagged or not, with the lengths its headers claim.
func CheckChecksums(b []byte) error {
	be := binary.BigEndian
	l3 := ethLen
	if len(b) >= l3 && be.Uint16(b[12:]) == 0x8100 {
		l3 += vlanLen
	}
	if len(b) < l3+ipv4Len {
		return fmt.Errorf("frame of %d bytes is too short", len(b))
	}
	var l4 []byte
	var pseudo uint32
	var proto uint8
	switch et := be.Uint16(b[l3-2:]); et {
	case 0x0800:
		ip := b[l3 : l3+ipv4Len]
		if fold(onesSum(0, ip)) != 0xffff {
			return fmt.Errorf("bad IPv4 header checksum %#04x", be.Uint16(ip[10:]))
		}
		tot := int(be.Uint16(ip[2:]))
		if tot < ipv4Len || l3+tot > len(b) {
			return fmt.Errorf("IPv4 total length %d does not fit a %d-byte frame", tot, len(b))
		}
		proto, l4 = ip[9], b[l3+ipv4Len:l3+tot]
		pseudo = onesSum(0, ip[12:20])
	case 0x86dd:
		if len(b) < l3+ipv6Len {
			return fmt.Errorf("frame of %d bytes is too short", len(b))
		}
		ip := b[l3 : l3+ipv6Len]
		plen := int(be.Uint16(ip[4:]))
		if l3+ipv6Len+plen > len(b) {
			return fmt.Errorf("IPv6 payload length %d does not fit a %d-byte frame", plen, len(b))
		}
		proto, l4 = ip[6], b[l3+ipv6Len:l3+ipv6Len+plen]
		pseudo = onesSum(0, ip[8:40])
	default:
		return fmt.Errorf("not IPv4 or IPv6: ethertype %#04x", et)
	}
	n := uint32(len(l4))
	var what string
	var acc uint32
	switch proto {
	case 17:
		if len(l4) < udpLen {
			return fmt.Errorf("UDP header cut short")
		}
		if be.Uint16(l4[6:]) == 0 && be.Uint16(b[l3-2:]) == 0x0800 {
			return nil
		}
		if int(be.Uint16(l4[4:])) != len(l4) {
			return fmt.Errorf("UDP length %d, IP says %d", be.Uint16(l4[4:]), len(l4))
		}
		what, acc = "UDP", pseudo+17+n
	case 6:
		what, acc = "TCP", pseudo+6+n
	case 58:
		what, acc = "ICMPv6", pseudo+58+n
	case 1:
		what = "ICMP"
	default:
		return fmt.Errorf("unknown IP protocol %d", proto)
	}
	if fold(onesSum(acc, l4)) != 0xffff {
		return fmt.Errorf("bad %s checksum", what)
	}
	return nil
}

// MaxRate bounds a rate: 10 billion frames/s is beyond any link.
const MaxRate = 1e10

// ParseRate reads a rate in frames per second: 250000, 250k, 1.5M or 2G
// (k, M, G: thousands, millions, billions).
func ParseRate(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"), strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1e9, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	// !(a && b) refuses NaN and infinities too, which compare false.
	if err != nil || !(v > 0 && v*mult >= 1 && v*mult <= MaxRate) {
		return 0, fmt.Errorf("rate %q: give frames per second, such as 250000, 250k or 1.5M", s)
	}
	return uint64(v*mult + 0.5), nil
}

// ParseRateOrShare reads a rate in frames per second (see ParseRate) or a
// share of the measured maximum ("50%").
func ParseRateOrShare(s string) (pps uint64, percent float64, err error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v > 0 && v <= 100) {
			return 0, 0, fmt.Errorf("rate %q: a share of the measured maximum is above 0%% and at most 100%%, such as 50%%", s)
		}
		return 0, v, nil
	}
	pps, err = ParseRate(s)
	return pps, 0, err
}

// ParseShare reads a share of frames, "1%" or "0.05%", in parts per
// million.
func ParseShare(s string) (uint32, error) {
	t := strings.TrimSpace(s)
	p, ok := strings.CutSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if !ok || err != nil || !(v >= 0 && v <= 100) {
		return 0, fmt.Errorf("share %q: give a percentage from 0%% to 100%%, such as 1%% or 0.1%%", s)
	}
	ppm := uint32(math.Round(v * 1e4))
	if v > 0 && ppm == 0 {
		return 0, fmt.Errorf("share %q: below one frame in a million", s)
	}
	return ppm, nil
}
