package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// session drives Serve over pipes, as ssh would.
type session struct {
	in   *io.PipeWriter
	out  *bufio.Scanner
	done chan error
	id   uint64
}

func serve(t *testing.T, watchdog time.Duration) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{in: inW, out: bufio.NewScanner(outR), done: make(chan error, 1)}
	go func() {
		s.done <- Serve(context.Background(), AgentOptions{In: inR, Out: outW, Log: io.Discard, Version: "test", Watchdog: watchdog})
		outW.Close()
	}()
	t.Cleanup(func() { inW.Close() })
	return s
}

func (s *session) call(t *testing.T, op string, args any) response {
	t.Helper()
	s.id++
	req := request{ID: s.id, Op: op}
	if args != nil {
		b, err := json.Marshal(args)
		require.NoError(t, err)
		req.Args = b
	}
	b, err := json.Marshal(req)
	require.NoError(t, err)
	_, err = s.in.Write(append(b, '\n'))
	require.NoError(t, err)
	require.True(t, s.out.Scan(), "an answer to %s", op)
	var r response
	require.NoError(t, json.Unmarshal(s.out.Bytes(), &r))
	assert.Equal(t, s.id, r.ID, "the answer names its request")
	return r
}

func (s *session) ended(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(5 * time.Second):
		require.Fail(t, "the agent did not end")
		return nil
	}
}

func TestAgentProtocol(t *testing.T) {
	s := serve(t, time.Minute)
	r := s.call(t, opHello, helloArgs{Protocol: "xdplab-agent/0"})
	assert.Contains(t, r.Error, "the controller speaks xdplab-agent/0, this agent "+Protocol)
	r = s.call(t, opHello, helloArgs{Protocol: Protocol})
	require.Empty(t, r.Error)
	var h Hello
	require.NoError(t, json.Unmarshal(r.Result, &h))
	assert.Equal(t, Protocol, h.Protocol)
	assert.Equal(t, "test", h.Version)
	assert.Len(t, h.Executable, 64, "the binary's SHA-256")
	assert.Equal(t, BootID(), h.BootID)
	assert.Positive(t, h.CPUs)
	for _, op := range []string{opInfo, opCounters, opGenNew, opSnapshot, opSinkAttach, opSend, opCollect} {
		assert.Contains(t, s.call(t, op, nil).Error, op+" before setup", "nothing runs before the port is set up")
	}
	assert.Empty(t, s.call(t, opPing, nil).Error)
	r = s.call(t, opHello, map[string]any{"protocol": Protocol, "extra": 1})
	assert.Contains(t, r.Error, "unknown field", "arguments are read strictly")
	r = s.call(t, opTeardown, nil)
	assert.Empty(t, r.Error)
	require.NoError(t, s.ended(t), "teardown ends the session")
}

func TestAgentEndsWithItsSession(t *testing.T) {
	t.Run("stdin closed", func(t *testing.T) {
		s := serve(t, time.Minute)
		require.Empty(t, s.call(t, opPing, nil).Error)
		s.in.Close()
		assert.NoError(t, s.ended(t))
	})
	t.Run("silent controller", func(t *testing.T) {
		s := serve(t, 100*time.Millisecond)
		err := s.ended(t)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the controller said nothing for 100ms")
	})
	t.Run("no JSON", func(t *testing.T) {
		s := serve(t, time.Minute)
		_, err := s.in.Write([]byte("hello\n"))
		require.NoError(t, err)
		err = s.ended(t)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "a request that is no JSON")
	})
	t.Run("a line past MaxLine", func(t *testing.T) {
		s := serve(t, time.Minute)
		go func() {
			chunk := []byte(strings.Repeat("x", 1<<20))
			for range MaxLine>>20 + 1 {
				if _, err := s.in.Write(chunk); err != nil {
					return
				}
			}
		}()
		err := s.ended(t)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "token too long", "refused, not buffered")
	})
	t.Run("unknown operation and handle", func(t *testing.T) {
		s := serve(t, time.Minute)
		a := s.call(t, "format-disk", nil)
		assert.Contains(t, a.Error, "before setup")
		s.in.Close()
		assert.NoError(t, s.ended(t))
	})
}

func TestHandleOn(t *testing.T) {
	a := &agent{handles: map[uint64]io.Closer{}}
	for _, op := range []string{opSinkCount, opGenStart, opSnapshot, opCollect, opClose} {
		_, err := a.handleOn(request{Op: op, Args: json.RawMessage(`{"handle":7}`)})
		require.Error(t, err, op)
		assert.Contains(t, err.Error(), "no such handle 7", op)
	}
	_, err := a.handleOn(request{Op: "format-disk"})
	assert.EqualError(t, err, `unknown operation "format-disk"`)
	h := a.add(io.NopCloser(nil))
	_, err = a.handleOn(request{Op: opCollect, Args: json.RawMessage(`{"handle":1,"max":1,"quiet_ns":0}`)})
	assert.Contains(t, err.Error(), "no such handle 1", "a handle of another kind is none")
	_, err = a.handleOn(request{Op: opClose, Args: json.RawMessage(`{"handle":1}`)})
	assert.NoError(t, err)
	_, err = a.handleOn(request{Op: opClose, Args: json.RawMessage(`{"handle":1}`)})
	assert.Contains(t, err.Error(), "no such handle", "closed once")
	assert.Equal(t, uint64(1), h)
}

// An operation's error keeps its kind across the wire: the controller
// decides by errors.Is, as it would for the same error here.
func TestOpErrorCrossesTheWire(t *testing.T) {
	for _, c := range []struct {
		err          error
		errno        syscall.Errno
		notSupported bool
	}{
		{fmt.Errorf("set MTU 9000 on eth1: %w", unix.EINVAL), unix.EINVAL, false},
		{fmt.Errorf("attach native: %w", unix.EOPNOTSUPP), unix.EOPNOTSUPP, false},
		{fmt.Errorf("live frames: %w", ebpf.ErrNotSupported), 0, true},
		{errors.New("plain"), 0, false},
	} {
		var resp response
		errorResponse(&resp, c.err)
		b, err := json.Marshal(resp)
		require.NoError(t, err)
		var got response
		require.NoError(t, json.Unmarshal(b, &got))
		oe := &OpError{Op: "mtu", Host: "gen", Msg: got.Error, Errno: syscall.Errno(got.Errno), NotSupported: got.NotSupported}
		assert.Equal(t, "mtu (on gen): "+c.err.Error(), oe.Error())
		if c.errno != 0 {
			assert.ErrorIs(t, oe, c.errno)
		}
		assert.Equal(t, c.notSupported, errors.Is(oe, ebpf.ErrNotSupported), c.err)
		assert.False(t, errors.Is(oe, unix.ENOENT), "no errno it did not have")
	}
}
