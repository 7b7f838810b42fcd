// Package runner runs a measurement end to end: it checks the request,
// builds the pair topology, finds the modes the DUT supports, and for each
// program and mode loads the identical object, attaches it, runs the trials
// with the generator and samples every counter once a second, then measures
// the program's own run time in a separate pass. It tears everything down
// on return, error, panic and cancellation (SIGINT, SIGTERM through the
// context), and returns a results.Run.
//
// It needs root, or CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_BPF.
package runner
