package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/ci/matrix"
	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/results/compare"
	"github.com/xdplab/xdplab/topology"
)

// matrixLong is the help of `xdplab matrix`.
const matrixLong = `matrix fetches each Debian kernel (bullseye 5.10, bookworm 6.1, trixie 6.12,
sid, their cloud and rt flavours as 6.1-cloud or 6.12-rt, or a
linux-image-* package you name) through a private apt configuration,
builds netdevsim for it out of tree (with the flavour's own patch set
where Debian ships one; a kernel whose netdevsim does not build runs all
but offload), and boots it in QEMU with an initramfs holding busybox,
this xdplab and the modules. In each VM: xdplab probe on a veth pair and on
netdevsim, xdplab run of the programs in every mode the veth supports,
xdplab equiv of them in generic and native mode, and offload mode on
netdevsim (control plane only). With --nics, each VM also gets a pair of
each emulated NIC kind cabled back to back (igb, virtio-net, vmxnet3,
e1000e: QEMU's devices, the kernel's real drivers), and xdplab probes
and qualifies each pair (capabilities and the functional checks) and
runs drop on it; an emulated NIC's throughput is no measurement.
Kernels are cached under
--cache, keyed by package version and build recipe.

QEMU uses KVM where /dev/kvm opens, and TCG where it does not. A KVM boot
that does not reach the VM's init script in 20 s (a nested KVM that aborts,
or hangs with an empty console) is stopped, booted again with TCG, and the
rest of the matrix uses TCG; the log and the table say so.
XDPLAB_QEMU_ACCEL=kvm or tcg forces one. Each VM has a budget from its
script's work (--timeout sets one), each step inside it its own, and a
console silent for 45 s ends the VM with its last lines in the error.

It prints one table, kernel x mode (attach result, Mpps inside the VM,
marked emulated, the equivalence verdict), the program fingerprint kernel
x mode, then the comparison across kernels, and exits 1 when a kernel
fails, a mode that should work does not, or the equivalence check fails
or does not run. A failed kernel's console
log is kept and the others go on. A kernel that dies or hangs in a NIC
pair's journal check (the last steps, after the other results went
back), or sends all its results and then does not power off, is listed
as the kernel's finding and fails nothing: its results stand.

Needs root, apt-get (Debian or Ubuntu), dpkg-deb, make, gcc and patch,
qemu-system-x86 and busybox-static.`

func newMatrixCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		kernelList, cache, out, binary, scenario, nicList string
		progs                                             []string
		duration, timeout                                 time.Duration
		trials                                            int
	)
	cmd := &cobra.Command{
		Use:   "matrix [--kernels 5.10,6.1,6.12,sid,6.1-rt,...] [--scenario FILE]",
		Short: "Run xdplab on several Debian kernels, one QEMU VM each, and compare them",
		Long:  matrixLong,
		Example: `  sudo xdplab matrix --kernels 5.10,sid
  sudo XDPLAB_CACHE=/srv/cache xdplab matrix --prog drop,tx --trials 3
  sudo xdplab matrix --kernels 6.12 --nics igb,e1000e`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			specs, err := kernels.ParseList(kernelList)
			if err != nil {
				return &usageError{fmt.Errorf("--kernels: %w", err)}
			}
			if scenario != "" {
				for _, name := range []string{"prog", "duration", "trials"} {
					if cmd.Flags().Changed(name) {
						return usagef("--%s: the scenario file %s says that", name, scenario)
					}
				}
			}
			for _, p := range progs {
				if _, err := catalog.LookupBuiltin(p); err != nil {
					return &usageError{err}
				}
			}
			var nics []matrix.NICKind
			if nicList != "none" {
				devices, err := vm.Devices(cmd.Context())
				if err != nil {
					return err
				}
				if nics, err = matrix.ParseNICs(nicList, devices); err != nil {
					return &usageError{fmt.Errorf("--nics: %w", err)}
				}
			}
			if binary == "" {
				if binary, err = os.Executable(); err != nil {
					return err
				}
			}
			if out == "" {
				// To the second and the run's own id: two matrices
				// started together never share a directory.
				out = filepath.Join(DefaultResultsDir, "matrix-"+time.Now().UTC().Format("20060102-150405")+"-"+topology.NewRunID())
			}
			krs, err := matrix.Run(cmd.Context(), matrix.Options{
				Kernels: specs, Cache: cache, Out: out, Xdplab: binary,
				Programs: progs, Duration: duration, Trials: trials, Timeout: timeout, Log: stderr, Scenario: scenario, NICs: nics,
			})
			if err != nil {
				return err
			}
			return reportMatrix(stdout, krs)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&kernelList, "kernels", "5.10,6.1,6.12,sid", "kernels: 5.10, 6.1, 6.12, sid (or suite names), each with -cloud or -rt for a flavour, or linux-image-* packages")
	fl.StringVar(&cache, "cache", kernels.DefaultCache(), "cache of kernels and apt lists (also $XDPLAB_CACHE)")
	fl.StringVarP(&out, "output", "o", "", "directory for each kernel's files (default "+DefaultResultsDir+"/matrix-<time>)")
	fl.StringVar(&binary, "binary", "", "the static xdplab to put in the VMs (default: this one)")
	fl.StringSliceVar(&progs, "prog", []string{"drop"}, "built-in programs to run on veth in each VM")
	fl.StringVar(&scenario, "scenario", "", "a scenario file each VM runs on veth (instead of --prog, --duration, --trials)")
	fl.DurationVar(&duration, "duration", 2*time.Second, "trial length in the VMs")
	fl.IntVar(&trials, "trials", 2, "trials per program and mode in the VMs")
	fl.StringVar(&nicList, "nics", "all", "emulated NIC pairs in each VM, qualified on their real drivers: igb, virtio, vmxnet3, e1000e, all (every kind this QEMU emulates) or none")
	fl.DurationVar(&timeout, "timeout", 0, "how long one VM may run (default: a budget from its script's work: programs, trials, checks)")
	return cmd
}

// reportMatrix prints the matrix's tables and its comparison across
// kernels, and fails where a kernel or a check did.
func reportMatrix(stdout io.Writer, krs []*matrix.KernelRun) error {
	if err := matrix.WriteTable(stdout, krs); err != nil {
		return err
	}
	if in := matrix.Inputs(krs); len(in) > 1 {
		c, err := compare.Compare(in, compare.Options{By: compare.ByKernel, Threshold: 5})
		if err == nil {
			fmt.Fprintln(stdout)
			err = c.WriteText(stdout)
		}
		if err != nil {
			return err
		}
	}
	if f := matrix.Failures(krs, matrix.Rows(krs)); len(f) > 0 {
		return fmt.Errorf("%w:\n  %s", matrix.ErrFailed, strings.Join(f, "\n  "))
	}
	return nil
}
