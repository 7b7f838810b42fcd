package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/xdplab/xdplab/internal/sshtarget"
)

// ExitError is a remote xdplab's failure: its exit status there.
type ExitError struct {
	Host string
	Args []string
	Code int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("xdplab %s on %s exited with status %d", strings.Join(e.Args, " "), e.Host, e.Code)
}

// Exec runs xdplab with args on the remote host (as Dial finds or ships
// it), its stdout and stderr passed on to these. ssh's own failures (255)
// are explained; the remote xdplab's are an *ExitError.
func Exec(ctx context.Context, o Options, args []string, stdout, stderr io.Writer) error {
	t, err := sshtarget.Parse(o.Target)
	if err != nil {
		return err
	}
	if err := sshtarget.CheckOptions(o.SSHOptions); err != nil {
		return err
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		return fmt.Errorf("remote %s: no ssh client here: install openssh-client", t)
	}
	inv, err := resolve(ctx, t, o)
	if err != nil {
		return err
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	cmd := exec.CommandContext(ctx, "ssh", t.Args(o.SSHOptions, inv.command(strings.Join(quoted, " "), false))...)
	if inv.payload != nil {
		cmd.Stdin = bytes.NewReader(inv.payload)
	}
	var errBuf bytes.Buffer
	cmd.Stdout = stdout
	cmd.Stderr = io.MultiWriter(stderr, &errBuf)
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() == 255 {
			return sshError(t, err, errBuf.String())
		}
		return &ExitError{Host: t.Host, Args: args, Code: ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("remote %s: %w", t, err)
	}
	return nil
}
