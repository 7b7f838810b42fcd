package remote

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/internal/sshtarget"
)

// ssh's own words sort its failure into a kind, which decides what the
// caller does; the message carries the advice and ssh's last line.
func TestSSHError(t *testing.T) {
	tg := sshtarget.Target{Host: "gen"}
	for _, c := range []struct {
		stderr string
		kind   SSHErrorKind
		says   string
	}{
		{"Warning: ...\nHost key verification failed.", SSHHostKey, "add it to known_hosts"},
		{"No ED25519 host key is known for gen and you have requested strict checking.", SSHHostKey, "StrictHostKeyChecking=accept-new"},
		{"WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\nThe ECDSA host key for gen has changed", SSHHostKey, "known_hosts"},
		{"root@gen: Permission denied (publickey).", SSHRefused, "ssh was refused (root@gen: Permission denied (publickey).)"},
		{"ssh: connect to host gen port 22: Connection timed out", SSHOther, "remote ssh://gen: ssh: ssh: connect to host gen port 22: Connection timed out"},
		{"", SSHSilent, "ssh printed nothing"},
	} {
		e := sshError(tg, nil, c.stderr)
		assert.Equal(t, c.kind, e.Kind, c.stderr)
		assert.Contains(t, e.Error(), c.says, c.stderr)
	}
	exit := &exec.ExitError{}
	e := sshError(tg, exit, "")
	assert.Equal(t, SSHSilent, e.Kind)
	assert.True(t, errors.Is(e, exit), "the process's exit is kept")
}
