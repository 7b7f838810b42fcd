// Package spec is the description of a run: what to measure (programs or a
// user's object, modes, the stream, trials, topology, workload settings,
// replay, search), its defaults, and its validation.
//
// Both front ends produce a Run the same way: the run command's flags and a
// scenario file's keys become Settings, pairs of a field path and a text
// value, and Build applies them to the defaults, reads the files they name
// and validates the result. Fields lists every setting once, with its path
// (traffic.vlan), its flag (--vlan), its scenario key and its parser, so
// that a new setting is one entry here and the code that uses it.
//
// A mistake is a *FieldError: the field's path and a message whose
// references to other fields are Refs, so that each front end spells every
// field its own way (--vlan, or file:line: traffic.vlan) and no message is
// ever parsed back. Validate touches neither the kernel nor the host:
// checks that depend on the machine (CPUs, interfaces, kernel features) run
// where the run starts, inside the VM for the kernel matrix.
//
// It is data and links no loader: programs, work levels and workload
// settings are bpf/catalog's, and a user's object is read by the
// ObjectReader its front end gives Build (runner.ReadObject); a test
// keeps cilium/ebpf and netlink out of this package, the scenarios and
// the results.
package spec
