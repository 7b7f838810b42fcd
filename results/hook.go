package results

// UserSpaceObject is Program.Object of a program whose rule runs in user
// space (the afpacket and afxdp hooks): no BPF object holds it.
const UserSpaceObject = "user space (the rule in Go)"

// NotRun is a program a hook did not run, and why: an action it cannot
// take there is named, never faked.
type NotRun struct {
	Program string `json:"program"`
	Hook    string `json:"hook"`
	Why     string `json:"why"`
}

// HookFigures are a trial's figures about where the inspection ran: the
// CPU time of the CPUs that carried it, split into user and kernel time,
// and for an inspector with a thread of its own (a user-space reader),
// that thread's cost. A figure a hook cannot have is in NotMeasurable with
// the reason, never a zero.
type HookFigures struct {
	Hook   string `json:"hook"`   // xdp-generic, xdp-native, tc, socket, afpacket, afxdp
	Where  string `json:"where"`  // where in the receive path it runs
	Method string `json:"method"` // how it is attached, or how frames reach user space
	// Drop is what a drop decision does there.
	Drop string `json:"drop"`
	// CPUs are the CPUs whose /proc/stat time is counted: the generator's
	// (where a veth's receive runs) and a reader's.
	CPUs []int `json:"cpus"`
	// UserNsPerPkt and KernelNsPerPkt split the busy time of CPUs per
	// offered frame: user (and nice) against system, irq and softirq.
	UserNsPerPkt   float64 `json:"user_ns_per_pkt"`
	KernelNsPerPkt float64 `json:"kernel_ns_per_pkt"`
	// Reader is the user-space reader's own figures (afpacket, afxdp,
	// socket); nil where the inspection runs in the kernel only.
	Reader        *ReaderFigures    `json:"reader,omitempty"`
	NotMeasurable map[string]string `json:"not_measurable,omitempty"`
	Sources       map[string]string `json:"sources"`
}

// ReaderFigures are a user-space reader's figures over a trial.
type ReaderFigures struct {
	// Read is the frames user space read; Missed the frames the kernel
	// could not hand over (its ring was full), MissedShare Missed over
	// the frames generated.
	Read        uint64  `json:"read"`
	Missed      uint64  `json:"missed"`
	MissedShare float64 `json:"missed_share"`
	// The reading thread's time on CPU per frame read, split into user
	// and system; its context switches per million frames read, and the
	// system calls it made per thousand.
	ThreadUserNsPerFrame   float64 `json:"thread_user_ns_per_frame"`
	ThreadKernelNsPerFrame float64 `json:"thread_kernel_ns_per_frame"`
	ContextSwitchesPerM    float64 `json:"context_switches_per_m_frames"`
	SyscallsPerK           float64 `json:"syscalls_per_k_frames"`
	// CopiedBytesPerFrame is what the mechanism copies to hand a frame to
	// user space (derived: the frame's bytes per copy it makes).
	CopiedBytesPerFrame float64 `json:"copied_bytes_per_frame"`
}

// HookSummary is the median and spread of the hook figures over trials.
type HookSummary struct {
	Hook           string `json:"hook"`
	Where          string `json:"where"`
	Method         string `json:"method"`
	Drop           string `json:"drop"`
	UserNsPerPkt   Stat   `json:"user_ns_per_pkt"`
	KernelNsPerPkt Stat   `json:"kernel_ns_per_pkt"`
	// The reader's figures, where there is one.
	MissedShare            *Stat             `json:"missed_share,omitempty"`
	ThreadUserNsPerFrame   *Stat             `json:"thread_user_ns_per_frame,omitempty"`
	ThreadKernelNsPerFrame *Stat             `json:"thread_kernel_ns_per_frame,omitempty"`
	ContextSwitchesPerM    *Stat             `json:"context_switches_per_m_frames,omitempty"`
	SyscallsPerK           *Stat             `json:"syscalls_per_k_frames,omitempty"`
	CopiedBytesPerFrame    *Stat             `json:"copied_bytes_per_frame,omitempty"`
	NotMeasurable          map[string]string `json:"not_measurable,omitempty"`
}

// summarizeHook summarises the trials' hook figures; nil where no trial
// has them.
func summarizeHook(trials []Trial) *HookSummary {
	var hs []*HookFigures
	for _, t := range trials {
		if t.Hook != nil {
			hs = append(hs, t.Hook)
		}
	}
	if len(hs) == 0 {
		return nil
	}
	first := hs[0]
	pick := func(f func(*HookFigures) float64) []float64 {
		out := make([]float64, len(hs))
		for i, h := range hs {
			out[i] = f(h)
		}
		return out
	}
	s := &HookSummary{Hook: first.Hook, Where: first.Where, Method: first.Method, Drop: first.Drop, NotMeasurable: first.NotMeasurable,
		UserNsPerPkt:   Summarize(pick(func(h *HookFigures) float64 { return h.UserNsPerPkt }), "ns/packet", first.Sources["cpu_split"]),
		KernelNsPerPkt: Summarize(pick(func(h *HookFigures) float64 { return h.KernelNsPerPkt }), "ns/packet", first.Sources["cpu_split"]),
	}
	for _, h := range hs {
		if h.Reader == nil {
			return s // a reader in every trial, or no reader figures
		}
	}
	reader := func(f func(*ReaderFigures) float64, unit, source string) *Stat {
		v := Summarize(pick(func(h *HookFigures) float64 { return f(h.Reader) }), unit, first.Sources[source])
		return &v
	}
	s.MissedShare = reader(func(r *ReaderFigures) float64 { return r.MissedShare }, "ratio", "missed")
	s.ThreadUserNsPerFrame = reader(func(r *ReaderFigures) float64 { return r.ThreadUserNsPerFrame }, "ns/frame", "thread")
	s.ThreadKernelNsPerFrame = reader(func(r *ReaderFigures) float64 { return r.ThreadKernelNsPerFrame }, "ns/frame", "thread")
	s.ContextSwitchesPerM = reader(func(r *ReaderFigures) float64 { return r.ContextSwitchesPerM }, "switches/M frames", "switches")
	s.SyscallsPerK = reader(func(r *ReaderFigures) float64 { return r.SyscallsPerK }, "syscalls/k frames", "syscalls")
	s.CopiedBytesPerFrame = reader(func(r *ReaderFigures) float64 { return r.CopiedBytesPerFrame }, "bytes/frame (derived)", "copies")
	return s
}
