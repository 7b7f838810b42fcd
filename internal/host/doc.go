// Package host answers questions about the machine a run starts on: its
// name, kernel, CPU model and cores and whether BPF run-time stats are on
// (Info), the CPUs this process may run on (CPUs), and whether it holds
// the privileges a run needs (CheckPrivileges, an *ErrPrivileges naming
// the missing capabilities). It reads /proc and the process's own state
// and changes nothing; it needs no privileges. Inside the kernel matrix's
// VM the answers are the VM's.
package host
