// Package sshtarget reads the ssh:// address of a second host and the ssh
// options a user gives for it, and writes the ssh command line for it:
// plain parsing, no connection (internal/remote connects).
package sshtarget

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Target is an ssh:// address: ssh://[user@]host[:port].
type Target struct {
	User string
	Host string
	Port int // 0: ssh's own default (or the user's config)
}

var (
	userRE = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._-]*$`)
	hostRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$|^[0-9A-Fa-f:.]+$`)
)

// Parse reads an ssh:// address. Only a user, a host and a port are
// accepted: no path, query or password, and no name that ssh could read as
// an option.
func Parse(s string) (Target, error) {
	bad := func(why string) (Target, error) {
		return Target{}, fmt.Errorf("remote %q: %s: use ssh://[user@]host[:port]", s, why)
	}
	if !strings.HasPrefix(s, "ssh://") {
		return bad("not an ssh:// address")
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad(err.Error())
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return bad("it has more than a user, a host and a port")
	}
	var t Target
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return bad("a password does not belong in the address: use a key (ssh-agent) or your ssh config")
		}
		t.User = u.User.Username()
		if !userRE.MatchString(t.User) {
			return bad(fmt.Sprintf("user %q: use letters, digits, '.', '_' and '-'", t.User))
		}
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return bad("no host")
	}
	if !hostRE.MatchString(t.Host) {
		return bad(fmt.Sprintf("host %q: use a name or an address", t.Host))
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad(fmt.Sprintf("port %q: use 1 to 65535", p))
		}
		t.Port = n
	}
	return t, nil
}

// String is the address as Parse reads it.
func (t Target) String() string {
	s := "ssh://"
	if t.User != "" {
		s += t.User + "@"
	}
	h := t.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	s += h
	if t.Port != 0 {
		s += ":" + strconv.Itoa(t.Port)
	}
	return s
}

// The options xdplab gives ssh after the user's own (ssh takes the first
// value of each): host keys checked, never a password prompt, a bounded
// connect, and a dead connection found within 15 s.
var defaultSSHOptions = []string{
	"StrictHostKeyChecking=yes",
	"BatchMode=yes",
	"ConnectTimeout=10",
	"ServerAliveInterval=5",
	"ServerAliveCountMax=3",
}

// sshOptionRE is the form of an option: Name=value, as ssh -o takes it.
var sshOptionRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*[= ].+$`)

// CheckOptions refuses an option ssh would not take as -o Name=value.
func CheckOptions(opts []string) error {
	for _, o := range opts {
		if !sshOptionRE.MatchString(o) {
			return fmt.Errorf("--remote-ssh-option %q: use Name=value, as ssh -o takes it (for example ProxyJump=bastion)", o)
		}
	}
	return nil
}

// Args is ssh's command line for running command on t: the user's
// options first, so that theirs win.
func (t Target) Args(user []string, command string) []string {
	args := []string{"-T"}
	for _, o := range append(append([]string(nil), user...), defaultSSHOptions...) {
		args = append(args, "-o", o)
	}
	if t.Port != 0 {
		args = append(args, "-p", strconv.Itoa(t.Port))
	}
	if t.User != "" {
		args = append(args, "-l", t.User)
	}
	return append(args, "--", t.Host, command)
}
