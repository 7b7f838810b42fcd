package matrix

import (
	"time"

	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/xdpmode"
)

// A VM's time is budgeted from the work its script asks for: each step
// gets a budget that busybox's timeout holds it to inside the guest, and
// the VM as a whole the sum, with the boot and the transfer of files
// back. Budgets are for TCG on a loaded two-core host: seen here, 5.10
// under TCG reached its init script in 5.5 to 6 s, a probe took 2 s, a run
// of drop (one 1 s trial per mode) 7 s, equiv 2 s and the qualification
// 2 s (each step's time is in the matrix log). A budget is a bound for a
// step that hangs, not an estimate; KVM only finishes sooner.
const (
	// bootBudget: the boot, to the init script.
	bootBudget = time.Minute
	// sendBudget: the files come back over the serial console.
	sendBudget = time.Minute
	// stepBase is a step's fixed cost: xdplab's start, topology, loads
	// and verification, under TCG.
	stepBase = 30 * time.Second
	// perSetup is a program's cost in one mode beyond its trials:
	// attach, counters, teardown.
	perSetup = 15 * time.Second
	// slack multiplies the expected time of a measuring step.
	slack = 3
)

// runWork is the expected time of one run: every program in every mode,
// each trial with its warm-up, the program-stats and calibration passes,
// the unpaced trial a rate in percent takes first, and a search.
func runWork(r spec.Run) time.Duration {
	modes := len(r.Modes)
	if modes == 0 {
		modes = 2 // generic and native: what a veth supports
	}
	if r.AllHooks {
		modes += len(xdpmode.Beside())
	}
	trial := r.Warmup + r.Duration
	per := time.Duration(r.Trials)*trial + r.ProgStats + perSetup
	if r.Calibrate {
		per += trial
	}
	if r.RatePercent > 0 {
		per += trial
	}
	if s := r.Search; s != nil {
		// Two goals (NDR, PDR), each at most MaxTrials short trials and
		// confirmations.
		per += 2 * time.Duration(s.MaxTrials) * (s.Short + r.Duration)
	}
	return time.Duration(len(r.Programs)*modes) * per
}

// measureBudget is a measuring step's budget from its expected time.
func measureBudget(work time.Duration) time.Duration {
	return stepBase + slack*work
}

// qualifyBudget is the qualification on netdevsim: capabilities and the
// functional checks.
const qualifyBudget = 2 * time.Minute
