package sshtarget

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Target
	}{
		{"ssh://gen", Target{Host: "gen"}},
		{"ssh://root@198.18.9.2", Target{User: "root", Host: "198.18.9.2"}},
		{"ssh://lab@gen-host.example:2222", Target{User: "lab", Host: "gen-host.example", Port: 2222}},
		{"ssh://[2001:2::9]:22", Target{Host: "2001:2::9", Port: 22}},
		{"ssh://gen/", Target{Host: "gen"}},
	} {
		got, err := Parse(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
		again, err := Parse(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, again, "String reads back")
	}
	for _, c := range []struct{ in, why string }{
		{"gen", "not an ssh:// address"},
		{"http://gen", "not an ssh:// address"},
		{"ssh://", "no host"},
		{"ssh://-oProxyCommand=sh", "host"},
		{"ssh://-l@gen", "user"},
		{"ssh://root:pw@gen", "password"},
		{"ssh://gen:0", "port"},
		{"ssh://gen:70000", "port"},
		{"ssh://gen/tmp", "more than"},
		{"ssh://gen?x=1", "more than"},
		{"ssh://ge n", ""},
	} {
		_, err := Parse(c.in)
		require.Error(t, err, c.in)
		assert.Contains(t, err.Error(), c.why, c.in)
		assert.Contains(t, err.Error(), "ssh://[user@]host[:port]", "the error says what to use")
	}
}

func TestSSHArgs(t *testing.T) {
	tg := Target{User: "root", Host: "gen", Port: 2222}
	args := tg.Args([]string{"StrictHostKeyChecking=accept-new"}, "xdplab agent")
	assert.Equal(t, []string{"-T", "-o", "StrictHostKeyChecking=accept-new",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
		"-p", "2222", "-l", "root", "--", "gen", "xdplab agent"}, args,
		"the user's options come first (ssh keeps the first value); the host follows --")
	assert.Equal(t, []string{"-T", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", "--", "gen", "x"}, Target{Host: "gen"}.Args(nil, "x"))
}

func TestCheckSSHOptions(t *testing.T) {
	require.NoError(t, CheckOptions([]string{"ProxyJump=bastion", "IdentityFile=/k", "Port 22"}))
	for _, bad := range []string{"", "-oProxyCommand=x", "=x", "NoValue"} {
		err := CheckOptions([]string{bad})
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "Name=value")
	}
}
