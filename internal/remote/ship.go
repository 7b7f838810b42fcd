package remote

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// shipDirPrefix starts the name of the private directory a shipped binary
// goes into on the remote host.
const shipDirPrefix = "xdplab-agent."

// unameMachine maps ELF machines to what `uname -m` prints.
var unameMachine = map[elf.Machine][]string{
	elf.EM_X86_64:  {"x86_64"},
	elf.EM_AARCH64: {"aarch64", "arm64"},
	elf.EM_386:     {"i386", "i686"},
	elf.EM_RISCV:   {"riscv64"},
	elf.EM_PPC64:   {"ppc64le", "ppc64"},
	elf.EM_S390:    {"s390x"},
}

// shippable reads the binary at path and checks that it runs on a host
// whose `uname -m` is machine: the same architecture, and static (no
// program interpreter), so that no library of the other host's matters.
// It returns the binary and its SHA-256.
func shippable(path, machine, host string) ([]byte, string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("ship xdplab to %s: %s: %w", host, path, err)
	}
	defer f.Close()
	names := unameMachine[f.Machine]
	ok := false
	for _, n := range names {
		ok = ok || n == machine
	}
	if !ok {
		return nil, "", fmt.Errorf("ship xdplab to %s: it is %s, this binary is built for %s: build xdplab for %s (GOARCH) "+
			"or install it there and give --remote-xdplab PATH", host, machine, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, "", fmt.Errorf("ship xdplab to %s: %s is dynamically linked: build it static (CGO_ENABLED=0, as `make build` does), "+
				"or install xdplab on %s and give --remote-xdplab PATH", host, path, host)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("ship xdplab to %s: %w", host, err)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}

// shipCommand is the remote shell command that takes n bytes of stdin
// into a private directory and runs them with args. With exec (the agent)
// the directory is removed if anything fails before the agent runs, and
// the agent removes it once it does; else the shell removes it when the
// command ends.
func shipCommand(n int, args string, exec bool) string {
	steps := []string{
		`umask 077`,
		`d=$(mktemp -d "${TMPDIR:-/tmp}/` + shipDirPrefix + `XXXXXXXX")`,
		`trap 'rm -rf "$d"' EXIT HUP INT TERM`,
		fmt.Sprintf(`head -c %d > "$d/xdplab"`, n),
		fmt.Sprintf(`test "$(wc -c < "$d/xdplab")" -eq %d`, n),
		`chmod 700 "$d/xdplab"`,
	}
	if exec {
		steps = append(steps, `trap - EXIT HUP INT TERM`, `exec "$d/xdplab" `+args+` --remove-dir "$d"`)
	} else {
		steps = append(steps, `"$d/xdplab" `+args)
	}
	return strings.Join(steps, " && ")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
