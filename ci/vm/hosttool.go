package vm

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// libDirs are where the dynamic loader of a Debian or Ubuntu amd64 system
// finds shared libraries without its cache: the initramfs has none, so a
// host tool's libraries go to the first of them.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// maxLibs bounds the libraries one tool may pull in.
const maxLibs = 64

// HostTool is a program of this host, dynamically linked, with what it
// needs to run in the initramfs: its program interpreter and every shared
// library it needs, directly or through another, found in the host's
// multiarch directories. The result maps paths in the image (the program
// at as) to files on the host, for Image.Files. A static program comes
// alone. Tools from the host give the VM an independent view (the real
// ethtool and ip) of what xdplab did.
func HostTool(path, as string) (map[string]string, error) {
	files := map[string]string{as: path}
	queue := []string{path}
	seen := map[string]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		f, err := elf.Open(p)
		if err != nil {
			return nil, fmt.Errorf("host tool %s: %w", path, err)
		}
		libs, lerr := f.ImportedLibraries()
		var interp string
		for _, pr := range f.Progs {
			if pr.Type == elf.PT_INTERP {
				b := make([]byte, pr.Filesz)
				if _, err := pr.ReadAt(b, 0); err == nil {
					interp = string(b[:len(b)-1]) // NUL-terminated
				}
			}
		}
		f.Close()
		if lerr != nil {
			return nil, fmt.Errorf("host tool %s: libraries of %s: %w", path, p, lerr)
		}
		if interp != "" && !seen[interp] {
			seen[interp] = true
			if _, err := os.Stat(interp); err != nil {
				return nil, fmt.Errorf("host tool %s: its program interpreter: %w", path, err)
			}
			files[interp[1:]] = interp
		}
		for _, l := range libs {
			if seen[l] {
				continue
			}
			seen[l] = true
			if len(seen) > maxLibs {
				return nil, fmt.Errorf("host tool %s: needs more than %d libraries", path, maxLibs)
			}
			host, err := findLib(l)
			if err != nil {
				return nil, fmt.Errorf("host tool %s: %w", path, err)
			}
			files[filepath.Join(libDirs[0], l)[1:]] = host
			queue = append(queue, host)
		}
	}
	return files, nil
}

// findLib finds a library by its soname in libDirs.
func findLib(soname string) (string, error) {
	for _, d := range libDirs {
		p := filepath.Join(d, soname)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("library %s is in none of %v", soname, libDirs)
}
