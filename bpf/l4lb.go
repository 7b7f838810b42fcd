package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// LBConfig sets up the l4lb workload: one VIP, its backends, the outer
// source addresses and the next hop's MAC for encapsulated frames.
type LBConfig struct {
	VIP      netip.AddrPort
	Proto    uint8 // IP protocol of the VIP: 17 UDP, 6 TCP
	Backends []netip.Addr
	Source4  netip.Addr // outer source towards IPv4 backends
	Source6  netip.Addr // outer source towards IPv6 backends
	NextHop  net.HardwareAddr
}

func (c LBConfig) check() error {
	if !c.VIP.IsValid() || c.VIP.Port() == 0 {
		return errors.New("l4lb: no VIP: give an address and port")
	}
	if len(c.Backends) == 0 || len(c.Backends) > catalog.MaxBackends {
		return fmt.Errorf("l4lb: %d backends: use 1 to %d", len(c.Backends), catalog.MaxBackends)
	}
	if len(c.NextHop) != 6 {
		return errors.New("l4lb: no next-hop MAC for encapsulated frames")
	}
	for _, b := range c.Backends {
		if b.Is4() && !c.Source4.Is4() || b.Is6() && !c.Source6.Is6() {
			return fmt.Errorf("l4lb: backend %s needs an outer source address of its family", b)
		}
	}
	return nil
}

func a16(a netip.Addr) l4lbAddr16 {
	b := a.As16() // IPv4 as ::ffff:a.b.c.d, as the program keys it
	var w l4lbAddr16
	for i := range w.W {
		w.W[i] = binary.NativeEndian.Uint32(b[4*i:])
	}
	return w
}

// Maglev builds a Maglev lookup table (Eisenbud et al., NSDI 2016) of size
// m (a prime) for n backends named by names: every backend gets m/n slots,
// give or take one, and removing one backend moves few other slots.
func Maglev(names []string, m int) []uint32 {
	n := len(names)
	offset, skip := make([]uint64, n), make([]uint64, n)
	for i, name := range names {
		h1, h2 := fnv.New64a(), fnv.New64()
		h1.Write([]byte(name))
		h2.Write([]byte(name))
		offset[i] = h1.Sum64() % uint64(m)
		skip[i] = h2.Sum64()%uint64(m-1) + 1
	}
	table := make([]int, m)
	for i := range table {
		table[i] = -1
	}
	next := make([]uint64, n)
	filled := 0
	for filled < m {
		for i := 0; i < n && filled < m; i++ {
			c := (offset[i] + next[i]*skip[i]) % uint64(m)
			for table[c] >= 0 {
				next[i]++
				c = (offset[i] + next[i]*skip[i]) % uint64(m)
			}
			table[c] = i
			next[i]++
			filled++
		}
	}
	out := make([]uint32, m)
	for i, b := range table {
		out[i] = uint32(b)
	}
	return out
}

// SetBackends replaces the VIP's backends and rebuilds its Maglev ring. A
// backend keeps its index in the backends array for as long as the program
// lives, so that flows the connection table pinned to it keep going to it,
// even after it left the ring (as in Katran, draining is the operator's
// business); a new backend takes the next free index.
func (p *Program) SetBackends(backends []netip.Addr) error {
	lb, ok := p.objs.(*l4lbObjects)
	if !ok {
		return errors.New("set backends: the program is not the l4lb workload")
	}
	be, ring := lb.Backends, lb.Ring
	if len(backends) == 0 {
		return errors.New("set backends: no backends")
	}
	if p.lbIndex == nil {
		p.lbIndex = map[netip.Addr]uint32{}
	}
	names := make([]string, len(backends))
	idx := make([]uint32, len(backends))
	for i, b := range backends {
		n, ok := p.lbIndex[b]
		if !ok {
			n = uint32(len(p.lbIndex))
			if n >= catalog.MaxBackends {
				return fmt.Errorf("set backends: %s would be backend %d: at most %d over the program's life", b, n+1, catalog.MaxBackends)
			}
			v := l4lbBackend{Addr: a16(b)}
			if b.Is6() && !b.Is4In6() {
				v.V6 = 1
			}
			if err := be.Put(n, v); err != nil {
				return fmt.Errorf("set backend %s: %w", b, err)
			}
			p.lbIndex[b] = n
		}
		names[i], idx[i] = "backend-"+b.String(), n
	}
	table := Maglev(names, catalog.MaglevSize)
	keys := make([]uint32, len(table))
	for i := range keys {
		keys[i] = uint32(i) // VIP 0's ring
		table[i] = idx[table[i]]
	}
	if _, err := ring.BatchUpdate(keys, table, nil); err != nil {
		for i, v := range table { // kernels without batch ops
			if err := ring.Put(keys[i], v); err != nil {
				return fmt.Errorf("set ring: %w", err)
			}
		}
	}
	return nil
}

// The l4lb workload (l4lb.c): a Katran-style balancer. Its object also
// holds the sink that checks what it sends (LoadLBSink).
var l4lbWorkload = workload{
	Builtin: builtin("l4lb"),
	load:    loadL4lb, bytes: _L4lbBytes,
	objs: func() any { return &l4lbObjects{} },
	prepare: func(spec *ebpf.CollectionSpec, o DUTOptions) error {
		c, err := settingsOf[*LBConfig]("l4lb", o)
		if err != nil {
			return err
		}
		if err := loadLB(spec, c); err != nil {
			return err
		}
		var ps l4lbProgramSpecs
		if err := specs(spec, &ps); err != nil {
			return err
		}
		delete(spec.Programs, ps.XdpLbSink.Name)
		return nil
	},
	fill: func(p *Program, o DUTOptions) error {
		c, err := settingsOf[*LBConfig]("l4lb", o)
		if err != nil {
			return err
		}
		return p.setVIP(c)
	},
}

func loadLB(spec *ebpf.CollectionSpec, c *LBConfig) error {
	if c == nil {
		return errors.New("no VIP and backends")
	}
	if err := c.check(); err != nil {
		return err
	}
	var src4 uint32
	if c.Source4.Is4() {
		b := c.Source4.As4()
		src4 = binary.NativeEndian.Uint32(b[:])
	}
	var src6 [4]uint32
	if c.Source6.Is6() {
		src6 = a16(c.Source6).W
	}
	var mac [6]byte
	copy(mac[:], c.NextHop)
	var s l4lbVariableSpecs
	if err := specs(spec, &s); err != nil {
		return err
	}
	return set(setting{s.LbSrc4, src4}, setting{s.LbSrc6, src6}, setting{s.NextHop, mac})
}

func (p *Program) setVIP(c *LBConfig) error {
	k := l4lbVipKey{Addr: a16(c.VIP.Addr()), Port: htons(c.VIP.Port()), Proto: c.Proto}
	lb, ok := p.objs.(*l4lbObjects)
	if !ok {
		return errors.New("set VIP: the program is not the l4lb workload")
	}
	if err := lb.Vips.Put(k, l4lbVipMeta{Num: 0}); err != nil {
		return fmt.Errorf("set VIP %s: %w", c.VIP, err)
	}
	return p.SetBackends(c.Backends)
}

// LBStats reads the balancer's counts: new flows (ring), known flows
// (connection table), frames to no VIP, malformed frames, frames with no
// backend.
func (p *Program) LBStats() (out [catalog.NumLBStats]uint64, err error) {
	lb, ok := p.objs.(*l4lbObjects)
	if !ok {
		return out, errors.New("lb stats: the program is not the l4lb workload")
	}
	v, err := perCPUSums(lb.LbStats, len(out), "lb stats")
	copy(out[:], v)
	return out, err
}

// LoadLBSink loads the program that checks and counts encapsulated frames
// where they arrive, with a zero count for each backend.
func LoadLBSink(backends []netip.Addr) (*Program, error) {
	spec, err := loadL4lb()
	if err != nil {
		return nil, fmt.Errorf("load lb sink: parse embedded object: %w", err)
	}
	var ps l4lbProgramSpecs
	if err := specs(spec, &ps); err != nil {
		return nil, fmt.Errorf("load lb sink: %w", err)
	}
	delete(spec.Programs, ps.XdpL4lb.Name)
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load lb sink: %w", loadHint(err))
	}
	lb := &l4lbObjects{}
	if err := view(coll, lb); err != nil {
		coll.Close()
		return nil, fmt.Errorf("load lb sink: %w", err)
	}
	p := &Program{Name: "lb-sink", Program: lb.XdpLbSink, Stats: lb.XdpStats, Counted: true,
		Object: "builtin workload", SHA256: sha256Hex(_L4lbBytes), coll: coll, objs: lb}
	zero := make([]uint64, len(mustCPUs()))
	for _, b := range backends {
		if err := lb.SinkBackends.Put(a16(b), zero); err != nil {
			p.Close()
			return nil, fmt.Errorf("load lb sink: backend %s: %w", b, err)
		}
	}
	return p, nil
}

func mustCPUs() []struct{} {
	n, err := ebpf.PossibleCPU()
	if err != nil || n < 1 {
		n = 1
	}
	return make([]struct{}, n)
}

// SinkCounts reads the lb sink: frames by backend, and the checks:
// encapsulated as the balancer does, not encapsulated, inner packet bad.
func (p *Program) SinkCounts() (byBackend map[netip.Addr]uint64, checks [catalog.NumSinkChecks]uint64, err error) {
	lb, ok := p.objs.(*l4lbObjects)
	if !ok || lb.XdpLbSink == nil {
		return nil, checks, errors.New("sink counts: the program is not the lb sink")
	}
	m, c := lb.SinkBackends, lb.SinkChecks
	byBackend = map[netip.Addr]uint64{}
	var (
		k   l4lbAddr16
		per []uint64
		it  = m.Iterate()
	)
	for it.Next(&k, &per) {
		var b [16]byte
		for i, w := range k.W {
			binary.NativeEndian.PutUint32(b[4*i:], w)
		}
		var sum uint64
		for _, v := range per {
			sum += v
		}
		byBackend[netip.AddrFrom16(b).Unmap()] = sum
	}
	if err := it.Err(); err != nil {
		return nil, checks, fmt.Errorf("sink counts: %w", err)
	}
	v, err := perCPUSums(c, len(checks), "sink checks")
	copy(checks[:], v)
	return byBackend, checks, err
}

func rol32(x uint32, k uint) uint32 { return x<<k | x>>(32-k) }

// flowHash is l4lb.c's jhash2 of the 10-word flow key.
func flowHash(w [10]uint32) uint32 {
	a := uint32(0xdeadbeef) + 10<<2
	b, c := a, a
	mix := func() {
		a -= c
		a ^= rol32(c, 4)
		c += b
		b -= a
		b ^= rol32(a, 6)
		a += c
		c -= b
		c ^= rol32(b, 8)
		b += a
		a -= c
		a ^= rol32(c, 16)
		c += b
		b -= a
		b ^= rol32(a, 19)
		a += c
		c -= b
		c ^= rol32(b, 4)
		b += a
	}
	for i := 0; i < 9; i += 3 {
		a += w[i]
		b += w[i+1]
		c += w[i+2]
		mix()
	}
	a += w[9]
	c ^= b
	c -= rol32(b, 14)
	a ^= c
	a -= rol32(c, 11)
	b ^= a
	b -= rol32(a, 25)
	c ^= b
	c -= rol32(b, 16)
	a ^= c
	a -= rol32(c, 4)
	b ^= a
	b -= rol32(a, 14)
	c ^= b
	c -= rol32(b, 24)
	return c
}

// BackendFor is the backend (an index into c.Backends) a new flow gets:
// what the program computes from the flow's 5-tuple and the Maglev ring.
func (c LBConfig) BackendFor(src, dst netip.AddrPort, proto uint8) int {
	var key [40]byte
	s, d := src.Addr().As16(), dst.Addr().As16()
	copy(key[0:], s[:])
	copy(key[16:], d[:])
	binary.BigEndian.PutUint16(key[32:], src.Port())
	binary.BigEndian.PutUint16(key[34:], dst.Port())
	key[36] = proto
	var w [10]uint32
	for i := range w {
		w[i] = binary.NativeEndian.Uint32(key[4*i:])
	}
	names := make([]string, len(c.Backends))
	for i, b := range c.Backends {
		names[i] = "backend-" + b.String()
	}
	return int(Maglev(names, catalog.MaglevSize)[flowHash(w)%catalog.MaglevSize])
}
