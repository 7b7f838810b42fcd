//go:build integration

package main

import (
	"bufio"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/runner"
)

// watched is a child xdplab whose stderr the test reads line by line
// through a pipe: it waits for events without sleeping and reads the
// whole output only after the child closed it.
type watched struct {
	cmd     *exec.Cmd
	started chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	lines   []string
}

// startWatched starts cmd with its stderr on a pipe.
func startWatched(t *testing.T, cmd *exec.Cmd) *watched {
	t.Helper()
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	w := &watched{cmd: cmd, started: make(chan struct{}), done: make(chan struct{})}
	require.NoError(t, cmd.Start())
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(pipe)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			w.mu.Lock()
			w.lines = append(w.lines, line)
			w.mu.Unlock()
			if strings.HasSuffix(line, ": "+runner.TrafficStarted) {
				once.Do(func() { close(w.started) })
			}
		}
	}()
	return w
}

// waitStarted waits, at most 60 s, for the run's "traffic started" line,
// and fails the test if it never comes.
func (w *watched) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-w.started:
	case <-w.done:
		require.Fail(t, "the run ended before traffic started", w.text())
	case <-time.After(60 * time.Second):
		require.Fail(t, "no traffic started within 60 s", w.text())
	}
}

// wait reads the child's stderr to its end, then waits for the child.
func (w *watched) wait() error {
	<-w.done
	return w.cmd.Wait()
}

// text is the stderr read so far (all of it after wait).
func (w *watched) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}
