package vm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Markers the init script prints.
const (
	markInit   = "@@XDPLAB-INIT"
	markAlive  = "@@XDPLAB-ALIVE"
	markStart  = "@@XDPLAB-START "
	markFile   = "@@XDPLAB-FILE "
	markEnd    = "@@XDPLAB-END"
	markStatus = "@@XDPLAB-STATUS "
	markDone   = "@@XDPLAB-DONE"
)

// Heartbeat is how often the init script says it lives while a step runs
// silently: a console quiet for Options.Stall is a guest that hangs.
const Heartbeat = 5 * time.Second

// Script is a VM's /init: busybox's applets, the line that tells the host
// the init script started, the kernel's console quieted to errors, and a
// heartbeat on the console until SendFiles; then body.
func Script(body string) string {
	return fmt.Sprintf(`#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
echo "%s $(uname -r)"
dmesg -n 3
`, markInit) + startHeartbeat + body
}

// Step wraps a shell command so that the host sees it start and end, with
// its exit status.
func Step(name, command string) string {
	return fmt.Sprintf("echo \"%s%s\"\n%s\necho \"%s%s $?\"\n", markStart, name, command, markStatus, name)
}

// TimedStep is a Step whose program busybox's timeout stops (TERM, then
// KILL 10 s later) once it has run for budget, so that one stuck step
// costs its budget and the script goes on. command is one program with
// its arguments and redirections.
func TimedStep(name string, budget time.Duration, command string) string {
	secs := int(budget.Seconds() + 0.5)
	return fmt.Sprintf("echo \"%s%s %d\"\ntimeout -k %d %d %s\necho \"%s%s $?\"\n", markStart, name, secs, int(killGrace.Seconds()), secs, command, markStatus, name)
}

// killGrace is how long busybox's timeout waits between TERM and KILL;
// StuckAfter how much longer the host waits for a timed step before it
// calls the step stuck in the kernel: a process in an uninterruptible
// sleep survives KILL, and its step never ends.
const (
	killGrace  = 10 * time.Second
	StuckAfter = 20 * time.Second
)

// SendFiles is the script tail that stops the heartbeat (its lines must
// not cut into a file's) and sends every file in dir back, each framed
// with its length and SHA-256.
func SendFiles(dir string) string {
	return stopHeartbeat + sendLoop(dir, "") + fmt.Sprintf("echo \"%s\"\n", markDone)
}

// SendFilesSoFar sends the files in dir back now and moves them to
// dir/.sent (SendFiles leaves them out then), with the heartbeat paused
// meanwhile: a step after it that brings the kernel down (a driver's BUG)
// loses only its own files.
func SendFilesSoFar(dir string) string {
	return stopHeartbeat + fmt.Sprintf("mkdir -p %s/.sent\n", dir) + sendLoop(dir, fmt.Sprintf("mv \"$f\" %s/.sent/; ", dir)) + startHeartbeat
}

const stopHeartbeat = "kill $XDPLAB_HEARTBEAT 2>/dev/null; wait $XDPLAB_HEARTBEAT 2>/dev/null\n"

var startHeartbeat = fmt.Sprintf("( while :; do sleep %d; echo \"%s\"; done ) &\nXDPLAB_HEARTBEAT=$!\n", int(Heartbeat.Seconds()), markAlive)

// sendLoop frames each file of dir on the console, then runs after (shell
// commands, with the file in $f).
func sendLoop(dir, after string) string {
	return fmt.Sprintf("for f in %s/*; do [ -f \"$f\" ] || continue; "+
		"echo \"%s$(basename $f) $(wc -c < \"$f\") $(sha256sum \"$f\" | cut -d' ' -f1)\"; base64 \"$f\"; echo \"%s\"; %sdone\n",
		dir, markFile, markEnd, after)
}

// parse picks the files and statuses out of the console.
func parse(res *Result) {
	sc := bufio.NewScanner(bytes.NewReader(res.Console))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var name, sum string
	var size int
	var b64 strings.Builder
	skipped := 0
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, markFile):
			f := strings.Fields(strings.TrimPrefix(line, markFile))
			name, b64, skipped = "", strings.Builder{}, 0
			if len(f) != 3 {
				res.Errors = append(res.Errors, fmt.Sprintf("a file header without name, length and SHA-256: %.80q", line))
				continue
			}
			n, err := strconv.Atoi(f[1])
			switch {
			case !fileName.MatchString(f[0]) || f[0] == "console.log":
				res.Errors = append(res.Errors, fmt.Sprintf("file %.80q: a name the guest may not send (letters, digits, . _ -; not console.log)", f[0]))
			case err != nil || n < 0 || n > MaxFile:
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: length %q out of range (at most %d MiB)", f[0], f[1], MaxFile>>20))
			default:
				name, size, sum = f[0], n, f[2]
			}
		case line == markEnd && name != "":
			b, err := base64.StdEncoding.DecodeString(b64.String())
			got := sha256.Sum256(b)
			switch {
			case err != nil:
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: not base64 (%v; %d console lines inside it skipped)", name, err, skipped))
			case len(b) != size || hex.EncodeToString(got[:]) != sum:
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: %d bytes of %d, SHA-256 %s: it did not come back whole (%d console lines inside it skipped)",
					name, len(b), size, map[bool]string{true: "matches", false: "differs"}[hex.EncodeToString(got[:]) == sum], skipped))
			default:
				res.Files[name] = b
			}
			name = ""
		case name != "":
			t := strings.TrimSpace(line)
			if !isBase64(t) {
				skipped++ // a kernel message inside the transfer
				continue
			}
			if b64.Len()+len(t) > MaxFile*4/3+4 {
				res.Errors = append(res.Errors, fmt.Sprintf("file %s: longer than it said", name))
				name = ""
				continue
			}
			b64.WriteString(t)
		case strings.HasPrefix(line, markStatus):
			f := strings.Fields(strings.TrimPrefix(line, markStatus))
			if len(f) == 2 {
				if v, err := strconv.Atoi(f[1]); err == nil {
					res.Status[f[0]] = v
				}
			}
		case line == markDone:
			res.Done = true
		}
	}
	if name != "" {
		res.Errors = append(res.Errors, fmt.Sprintf("file %s: the console ended inside it", name))
	}
}

func isBase64(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
