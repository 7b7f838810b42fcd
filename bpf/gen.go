package bpf

// The BPF objects are committed so that `go build` needs no clang;
// `make generate` rebuilds them with Debian's clang and CI checks they are
// fresh. limits.h comes first, from catalog/limits.go. The compiler flags are in
// one place, the bpf2go command below; an object adds its own after "--".
//go:generate go run ./internal/mkheader limits.h
//go:generate -command bpf2go go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu" -target bpfel
//go:generate bpf2go dut xdplab.c
//go:generate bpf2go duthw xdplab.c -- -DXDPLAB_OFFLOAD
//go:generate bpf2go duttc xdplab.c -- -DXDPLAB_TC
//go:generate bpf2go dutsk xdplab.c -- -DXDPLAB_SOCKET
//go:generate bpf2go gen gen.c
//go:generate bpf2go probe probe.c
//go:generate bpf2go latency latency.c
//go:generate bpf2go filter filter.c
//go:generate bpf2go filtertc filter.c -- -DXDPLAB_TC
//go:generate bpf2go ratelimit ratelimit.c -- -mcpu=v3
//go:generate bpf2go flowstats flowstats.c
//go:generate bpf2go l4lb l4lb.c
//go:generate bpf2go qualify qualify.c
//go:generate bpf2go exception exception.c
// A user's object with a map its loader sizes: a test fixture, not one of
// xdplab's programs (Go ignores testdata/, bindings included).
//go:generate bpf2go -output-dir testdata unsized testdata/unsized.c
// A user's object with settings in .rodata, a fixture as well.
//go:generate bpf2go -output-dir testdata configured testdata/configured.c
// A program that differs between modes: the equivalence check's fixture.
//go:generate bpf2go -output-dir testdata modediff testdata/modediff.c
// A benchmark tool's object with seven maps its loader sizes: a fixture too.
//go:generate bpf2go -output-dir testdata bench7 testdata/bench7.c
// Settings in one .rodata struct (--set cfg.member=VALUE): a fixture too.
//go:generate bpf2go -output-dir testdata structcfg testdata/structcfg.c
// A load balancer's configuration maps (--map-init): a fixture too.
//go:generate bpf2go -output-dir testdata vipmap testdata/vipmap.c
// A load balancer configured by --map-init, with a map of maps: a fixture
// too.
//go:generate bpf2go -output-dir testdata ipiplb testdata/ipiplb.c
// An IDS's filter with a legacy "maps" section (no BTF): a fixture too.
//go:generate bpf2go -output-dir testdata legacy testdata/legacy.c
// An object with no XDP program (tracepoints only): a fixture too.
//go:generate bpf2go -output-dir testdata tponly testdata/tponly.c
// Tail calls, a pinned map, a companion program: a fixture too.
//go:generate bpf2go -output-dir testdata tailcall testdata/tailcall.c
