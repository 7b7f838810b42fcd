package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/equiv"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/results"
)

// equivFlags are the run description's flags equiv takes: inspect's, a
// capture to send, and a lent NIC pair to send it through.
var equivFlags = append([]string{"pcap", "pcap-rewrite-ips", "iface", "peer", "force", "hooks"}, inspectFlags...)

// modesDifferError is equiv's verdict fail: exit status 8.
type modesDifferError struct{ why string }

func (e *modesDifferError) Error() string { return "modes differ: " + e.why }

func newEquivCmd(stdout, stderr io.Writer) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "equiv [OBJECT.o] [--program NAME] [--prog NAME,...] [--modes generic,native] [--pcap FILE]",
		Short: "Send the same frames through the same program in each mode and compare what comes out",
		Long: `equiv checks that a program treats every frame alike in every XDP mode. It
attaches the identical program for real (not BPF_PROG_TEST_RUN) in each
mode a veth pair it makes supports (or those --modes names), sends each
frame alone from the generator's namespace, and sees where it comes out:
in the DUT's stack (pass), back at the generator (tx), out of another
interface (redirect), or nowhere (drop; aborted, tx-failed or
redirect-failed where xdp:xdp_exception fired). The frames are a capture
(--pcap) or a generated set: IPv4 and IPv6; UDP, TCP and ICMP; the smallest
and largest; VLAN-tagged; each malformed kind; and for frags-aware programs
a multi-buffer frame at MTU 9000. A frame whose verdict, interface or bytes
differ between modes is a finding naming the frame, both verdicts and a
byte diff; any finding exits with status 8.

With --hooks it compares the hooks beside XDP too (tc, socket, afpacket,
afxdp; all for every one): there a frame's verdict is the hook's own count
of its decision, since the stack receives the frame after those hooks
whatever was decided; a decision that differs from XDP's is a finding.

With --iface and --peer it runs on two lent NICs cabled back to back (the
peer sends and takes back what the DUT transmits), on the modes the DUT's
driver attaches; redirect, which needs a second DUT port, is left out.

Workloads without settings are loaded with example ones, as inspect does.`,
		Example: `  sudo xdplab equiv
  sudo xdplab equiv prog.o --map-size rxq_cnt=64 --set mode=1
  sudo xdplab equiv --prog tx --pcap trace.pcap --json
  sudo xdplab equiv --iface eth1 --peer eth2
  sudo xdplab equiv --prog filter --rules rules.txt --hooks all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(f.format, f.json, cmd.Flags().Changed("format"))
			if err != nil {
				return err
			}
			r, cleanup, err := f.programDescription(cmd, args, "equiv")
			defer cleanup()
			if err != nil {
				return err
			}
			e, err := equiv.Equivalence(cmd.Context(), runner.Config{Run: r, Command: append([]string{"xdplab"}, os.Args[1:]...), Version: toolVersion()})
			if err != nil {
				if cmd.Context().Err() != nil {
					return interrupted(err, "everything xdplab made was removed")
				}
				return err
			}
			if f.output != "" {
				if err := results.WriteJSON(f.output, e); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "equivalence written to %s\n", f.output)
			}
			if err := writeOut(stdout, format == "json", e, func() error { return e.WriteText(stdout) }); err != nil {
				return err
			}
			switch e.Verdict {
			case results.VerdictFail:
				return &modesDifferError{e.Why}
			case results.VerdictInconclusive:
				return &inconclusiveError{what: "equivalence", why: e.Why}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	f.addSpecFlags(fl, equivFlags...)
	fl.Lookup("prog").Usage = "built-in programs to check (default: all of them: " + strings.Join(catalog.BuiltinNames(), ",") + ")"
	fl.Lookup("prog").DefValue = "all"
	fl.StringVar(&f.format, "format", "text", "output on stdout: text or json")
	fl.BoolVar(&f.json, "json", false, "shorthand for --format json")
	fl.StringVarP(&f.output, "output", "o", "", "also write the JSON report to this file")
	return cmd
}
