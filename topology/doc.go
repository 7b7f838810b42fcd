// Package topology builds and tears down the network xdplab measures on:
// named network namespaces (always "xdplab-<run>-<role>") joined by veth
// pairs (links always named "xl..."), their addresses from the benchmarking
// ranges 198.18.0.0/15 and 2001:2::/48, and the per-interface settings a mode
// needs (GRO, queues). It also reads interface counters (netlink and
// ethtool) and removes what a killed run left behind (Clean).
//
// Everything needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN). Errors name the
// namespace or link concerned; Close and Clean gather every failure rather
// than stopping at the first.
package topology
