//go:build integration

package nsthread_test

import (
	"errors"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/testenv"
)

func TestIntegrationDo(t *testing.T) {
	testenv.RequireRoot(t)
	// A scratch namespace, held only by this handle.
	c := make(chan netns.NsHandle, 1)
	go func() {
		runtime.LockOSThread() // dies in the new namespace
		h, err := netns.New()
		require.NoError(t, err)
		c <- h
	}()
	ns := <-c
	defer ns.Close()

	host, err := os.Readlink("/proc/thread-self/ns/net")
	require.NoError(t, err)
	var inside string
	require.NoError(t, nsthread.Do(ns, func() error {
		var err error
		inside, err = os.Readlink("/proc/thread-self/ns/net")
		return err
	}))
	assert.NotEqual(t, host, inside)
	st, err := ns.UniqueId(), error(nil)
	require.NoError(t, err)
	assert.NotEmpty(t, st)

	want := errors.New("boom")
	assert.ErrorIs(t, nsthread.Do(ns, func() error { return want }), want)
	assert.ErrorContains(t, nsthread.Do(ns, func() error { panic("oops") }), "panic")
	assert.ErrorIs(t, <-nsthread.Go(ns, func() error { return want }), want)

	// No thread of the process was left in the namespace.
	after, err := os.Readlink("/proc/thread-self/ns/net")
	require.NoError(t, err)
	assert.Equal(t, host, after)
}
