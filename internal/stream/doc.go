// Package stream is what a test stream is made of, as plain data: frames
// and their layout (built with gopacket), flows, frame-size mixes (IMIX),
// rates and shares, the generated frame set of the equivalence check,
// captures (pcap) read and written, and the generator kinds. It touches no
// kernel: the run description validates against it, and internal/traffic,
// which sends, builds on it.
//
// Frames use only the benchmarking ranges 198.18.0.0/15 and 2001:2::/48.
package stream
