package traffic

import (
	"encoding/binary"
	"fmt"
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
	ipv4Len = 20
	ipv6Len = 40
	udpLen  = 8
)

// MinFrameSize is the smallest frame size (with FCS) for UDP over IPv4 or
// IPv6: Ethernet's 64-byte minimum, or the headers plus FCS when larger.
func MinFrameSize(ipv6 bool) int {
	n := ethLen + ipv4Len + udpLen + FCSLen
	if ipv6 {
		n = ethLen + ipv6Len + udpLen + FCSLen
	}
	return max(n, 64)
}

// MaxFrameSize is the largest untagged frame at a 1500-byte MTU, with FCS.
const MaxFrameSize = 1518

// FrameSpec describes a UDP test frame.
type FrameSpec struct {
	Size     int // Ethernet frame size including the FCS, as in RFC 2544
	SrcMAC   net.HardwareAddr
	DstMAC   net.HardwareAddr
	Src, Dst netip.Addr // both IPv4 or both IPv6
	SrcPort  uint16
	DstPort  uint16
}

// IPv6 tells whether the frame is IPv6.
func (s FrameSpec) IPv6() bool { return s.Src.Is6() && !s.Src.Is4In6() }

// Validate checks the spec before anything is built.
func (s FrameSpec) Validate() error {
	if !s.Src.IsValid() || !s.Dst.IsValid() {
		return fmt.Errorf("frame: source and destination addresses are required")
	}
	if s.Src.Is4() != s.Dst.Is4() {
		return fmt.Errorf("frame: source %s and destination %s are of different IP versions", s.Src, s.Dst)
	}
	if min := MinFrameSize(s.IPv6()); s.Size < min || s.Size > MaxFrameSize {
		v := "IPv4"
		if s.IPv6() {
			v = "IPv6"
		}
		return fmt.Errorf("frame size %d out of range: UDP over %s needs %d to %d bytes (with FCS)", s.Size, v, min, MaxFrameSize)
	}
	if len(s.SrcMAC) != 6 || len(s.DstMAC) != 6 {
		return fmt.Errorf("frame: source and destination MAC addresses are required")
	}
	return nil
}

// payloadMagic starts every payload so that a capture shows xdplab's frames.
var payloadMagic = []byte("xdplab")

// BuildUDP builds the frame's bytes (without FCS). UDP over IPv4 carries no
// checksum (0, allowed by RFC 768); over IPv6 the checksum is computed.
func BuildUDP(s FrameSpec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	eth := &layers.Ethernet{SrcMAC: s.SrcMAC, DstMAC: s.DstMAC}
	udp := &layers.UDP{SrcPort: layers.UDPPort(s.SrcPort), DstPort: layers.UDPPort(s.DstPort)}
	var net gopacket.SerializableLayer
	hdr := ethLen + udpLen
	if s.IPv6() {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
			SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice()}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			return nil, fmt.Errorf("frame: %w", err)
		}
		net = ip
		hdr += ipv6Len
	} else {
		eth.EthernetType = layers.EthernetTypeIPv4
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice()}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			return nil, fmt.Errorf("frame: %w", err)
		}
		net = ip
		hdr += ipv4Len
	}
	payload := make([]byte, s.Size-FCSLen-hdr)
	copy(payload, payloadMagic)
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, net, udp, gopacket.Payload(payload)); err != nil {
		return nil, fmt.Errorf("frame: serialize: %w", err)
	}
	b := buf.Bytes()
	if !s.IPv6() {
		binary.BigEndian.PutUint16(b[ethLen+ipv4Len+6:], 0)
	}
	return b, nil
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

// NewFlows lays out n flows over the spec's source.
func NewFlows(n int, s FrameSpec) (Flows, error) {
	if n < 1 || n > MaxFlows {
		return Flows{}, fmt.Errorf("flows %d out of range: use 1 to %d", n, MaxFlows)
	}
	a := s.Src.AsSlice()
	lo := binary.BigEndian.Uint16(a[len(a)-2:])
	f := Flows{N: uint32(n), PortsPerAddr: uint32(min(n, maxPortsPerAddr)), SportBase: s.SrcPort, SaddrLoBase: lo}
	if int(f.SportBase)+int(f.PortsPerAddr) > 65536 {
		return Flows{}, fmt.Errorf("flows %d: source port %d leaves too few ports; use a source port of at most %d", n, s.SrcPort, 65536-f.PortsPerAddr)
	}
	addrs := (uint32(n) + f.PortsPerAddr - 1) / f.PortsPerAddr
	if uint32(lo)+addrs > 0xffff {
		return Flows{}, fmt.Errorf("flows %d need %d source addresses: not enough above %s", n, addrs, s.Src)
	}
	return f, nil
}

// csumReplace2 updates a ones'-complement checksum for a 16-bit word that
// changed from old to new (RFC 1624, eqn. 3). Byte order does not matter
// as long as all three are in the same one.
func csumReplace2(check, old, new uint16) uint16 {
	sum := uint32(^check) + uint32(^old) + uint32(new)
	sum = (sum & 0xffff) + (sum >> 16)
	sum = (sum & 0xffff) + (sum >> 16)
	return ^uint16(sum)
}

// Stamp writes flow i of f into frame b (built by BuildUDP) in place, updating
// checksums: what the generator program does in the kernel.
func (f Flows) Stamp(b []byte, ipv6 bool, i uint32) {
	port := f.SportBase + uint16(i%f.PortsPerAddr)
	addr := f.SaddrLoBase + uint16(i/f.PortsPerAddr)
	var saddr, udp int
	ipCheck := -1
	if ipv6 {
		saddr, udp = ethLen+8+14, ethLen+ipv6Len
	} else {
		saddr, udp, ipCheck = ethLen+12+2, ethLen+ipv4Len, ethLen+10
	}
	be := binary.BigEndian
	old := be.Uint16(b[saddr:])
	if ipCheck >= 0 {
		be.PutUint16(b[ipCheck:], csumReplace2(be.Uint16(b[ipCheck:]), old, addr))
	}
	if c := be.Uint16(b[udp+6:]); c != 0 {
		c = csumReplace2(c, old, addr)
		c = csumReplace2(c, be.Uint16(b[udp:]), port)
		if c == 0 {
			c = 0xffff
		}
		be.PutUint16(b[udp+6:], c)
	}
	be.PutUint16(b[saddr:], addr)
	be.PutUint16(b[udp:], port)
}

// CheckChecksums verifies the IPv4 header checksum and the UDP checksum
// (when not 0 over IPv4) of a frame built by BuildUDP.
func CheckChecksums(b []byte) error {
	be := binary.BigEndian
	if len(b) < ethLen+ipv4Len+udpLen {
		return fmt.Errorf("frame of %d bytes is too short", len(b))
	}
	sum := func(acc uint32, p []byte) uint32 {
		for i := 0; i+1 < len(p); i += 2 {
			acc += uint32(be.Uint16(p[i:]))
		}
		if len(p)%2 == 1 {
			acc += uint32(p[len(p)-1]) << 8
		}
		return acc
	}
	fold := func(acc uint32) uint16 {
		for acc > 0xffff {
			acc = acc&0xffff + acc>>16
		}
		return uint16(acc)
	}
	switch be.Uint16(b[12:]) {
	case 0x0800:
		ip := b[ethLen : ethLen+ipv4Len]
		if fold(sum(0, ip)) != 0xffff {
			return fmt.Errorf("bad IPv4 header checksum %#04x", be.Uint16(ip[10:]))
		}
		udp := b[ethLen+ipv4Len:]
		if be.Uint16(udp[6:]) == 0 {
			return nil
		}
		ulen := be.Uint16(udp[4:])
		acc := sum(0, ip[12:20]) + 17 + uint32(ulen)
		if fold(sum(acc, udp[:ulen])) != 0xffff {
			return fmt.Errorf("bad UDP checksum %#04x", be.Uint16(udp[6:]))
		}
	case 0x86dd:
		ip := b[ethLen : ethLen+ipv6Len]
		udp := b[ethLen+ipv6Len:]
		ulen := be.Uint16(udp[4:])
		acc := sum(0, ip[8:40]) + 17 + uint32(ulen)
		if fold(sum(acc, udp[:ulen])) != 0xffff {
			return fmt.Errorf("bad UDP checksum %#04x", be.Uint16(udp[6:]))
		}
	default:
		return fmt.Errorf("not IPv4 or IPv6: ethertype %#04x", be.Uint16(b[12:]))
	}
	return nil
}

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
	if err != nil || v <= 0 || v*mult < 1 {
		return 0, fmt.Errorf("rate %q: give frames per second, such as 250000, 250k or 1.5M", s)
	}
	return uint64(v*mult + 0.5), nil
}
