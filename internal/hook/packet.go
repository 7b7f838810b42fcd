package hook

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// The TPACKET_V3 ring: blocks the kernel fills with frames and retires
// to user space when full or after retireMs. Small blocks and the shortest
// retire time keep what the kernel holds back from the reader short (a
// 64 KiB block holds some 450 minimal frames, about 1 ms at 400k
// frames/s): a trial's window starts with that backlog undecided, so it
// bounds how far the reader's count can run ahead of the generator's in
// a window. 256 of them buffer 16 MiB.
const (
	blockSize = 64 << 10
	blockNr   = 256
	ringFrame = 2048
	retireMs  = 1
	pollMs    = 10
)

// PacketOptions says where a user-space AF_PACKET inspector reads.
type PacketOptions struct {
	NS      netns.NsHandle // the interface's namespace
	Ifindex int
	// Filter, when set, is a socket filter attached with SO_ATTACH_BPF:
	// the kernel runs it on the socket's copy of each frame and hands user
	// space only what it accepts (the socket hook). Decide then counts
	// what user space received.
	Filter *ebpf.Program
	Decide Decide
	CPU    int // the reader thread's CPU
}

// OpenPacket opens an AF_PACKET socket with a TPACKET_V3 receive ring on
// the interface (frames it receives only, not those it sends) and reads
// it on a thread pinned to o.CPU until Close.
func OpenPacket(o PacketOptions) (_ *Reader, err error) {
	if o.Decide == nil {
		return nil, errors.New("af_packet reader: no rule to apply")
	}
	var fd int
	err = nsthread.Do(o.NS, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("af_packet socket: %w", err)
	}
	r := &Reader{Method: "AF_PACKET TPACKET_V3 ring (mmap)", decide: o.Decide, source: "PACKET_STATISTICS tp_drops"}
	var ring []byte
	r.closer = func() error {
		if ring != nil {
			_ = unix.Munmap(ring)
		}
		return unix.Close(fd)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.closer())
		}
	}()
	if ring, err = setupRing(fd, o); err != nil {
		return nil, err
	}
	if o.Filter != nil {
		r.Method = "BPF socket filter (SO_ATTACH_BPF) on an AF_PACKET TPACKET_V3 ring"
	}
	r.missed = packetDrops(fd)
	if err := r.run(o.CPU, func() error { return r.readRing(fd, ring) }); err != nil {
		return nil, err
	}
	return r, nil
}

// setupRing makes the socket a TPACKET_V3 ring reader of the interface's
// received frames, with the filter attached, and maps the ring.
func setupRing(fd int, o PacketOptions) ([]byte, error) {
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return nil, fmt.Errorf("af_packet TPACKET_V3: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
		return nil, fmt.Errorf("af_packet ignore outgoing: %w", err)
	}
	if o.Filter != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, o.Filter.FD()); err != nil {
			return nil, fmt.Errorf("attach the socket filter (SO_ATTACH_BPF): %w", err)
		}
	}
	req := unix.TpacketReq3{Block_size: blockSize, Block_nr: blockNr, Frame_size: ringFrame,
		Frame_nr: blockSize / ringFrame * blockNr, Retire_blk_tov: retireMs}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, fmt.Errorf("af_packet rx ring: %w", err)
	}
	ring, err := unix.Mmap(fd, 0, blockSize*blockNr, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("af_packet ring mmap: %w", err)
	}
	// Bind last: no frame is queued before the ring and filter are set.
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: o.Ifindex}); err != nil {
		_ = unix.Munmap(ring)
		return nil, fmt.Errorf("af_packet bind ifindex %d: %w", o.Ifindex, err)
	}
	return ring, nil
}

// readRing hands each retired block's frames to the rule and the block
// back to the kernel; it waits in poll when no block is ready.
func (r *Reader) readRing(fd int, ring []byte) error {
	for b := 0; !r.stop.Load(); {
		desc := unsafe.Pointer(&ring[b*blockSize])
		hdr := (*unix.TpacketHdrV1)(unsafe.Add(desc, unsafe.Offsetof(unix.TpacketBlockDesc{}.Hdr)))
		if atomic.LoadUint32(&hdr.Block_status)&unix.TP_STATUS_USER == 0 {
			r.calls.Add(1)
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}}
			if _, err := unix.Poll(fds, pollMs); err != nil && !errors.Is(err, unix.EINTR) {
				return fmt.Errorf("af_packet poll: %w", err)
			}
			continue
		}
		off := uintptr(hdr.Offset_to_first_pkt)
		for range hdr.Num_pkts {
			p := (*unix.Tpacket3Hdr)(unsafe.Add(desc, off))
			frame := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(p), uintptr(p.Mac))), p.Snaplen)
			r.count(frame, p.Len)
			r.read.Add(1)
			r.copied.Add(uint64(p.Snaplen))
			off += uintptr(p.Next_offset)
		}
		atomic.StoreUint32(&hdr.Block_status, unix.TP_STATUS_KERNEL)
		b = (b + 1) % blockNr
	}
	return nil
}

// packetDrops reads PACKET_STATISTICS, which the kernel resets on each
// read, into a running total.
func packetDrops(fd int) func() (uint64, error) {
	var mu sync.Mutex
	var total uint64
	return func() (uint64, error) {
		mu.Lock()
		defer mu.Unlock()
		st, err := unix.GetsockoptTpacketStatsV3(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
		if err != nil {
			return total, fmt.Errorf("af_packet PACKET_STATISTICS: %w", err)
		}
		total += uint64(st.Drops)
		return total, nil
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
