// Package atomicfile writes files so that a reader sees the whole file or
// none: a synced temporary file beside the target (named .NAME.tmp*),
// renamed over it or linked to it, then the directory synced. On error
// nothing is left. It needs no privileges beyond the directory's; errors
// name the file.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write writes b to path, replacing what was there. A path that exists and
// is not a regular file (/dev/stdout, a FIFO) is refused: renaming over it
// would replace it.
func Write(path string, b []byte, perm os.FileMode) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("write %s: not a regular file; name a file (or use --json to print to stdout)", path)
	}
	dir := filepath.Dir(path)
	tmp, err := temp(dir, path, b, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// ErrExists is WriteNew's error where path exists already.
var ErrExists = errors.New("a file of that name exists; it is kept")

// WriteNew writes b to path where no file of that name exists; otherwise it
// fails with ErrExists (wrapping os.ErrExist) and writes nothing. A hard
// link from the temporary file makes the creation exclusive: two writers
// never replace each other's file.
func WriteNew(path string, b []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := temp(dir, path, b, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("write %s: %w (%w)", path, ErrExists, os.ErrExist)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// temp writes b to a synced temporary file beside path, making the
// directory where it is missing.
func temp(dir, path string, b []byte, perm os.FileMode) (name string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return f.Name(), nil
}

// SyncDir syncs a directory, so that a rename or link in it survives a
// crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// IsTemp tells whether name (a base name) is a temporary file of target's
// (a base name too), as Write and WriteNew make them.
func IsTemp(name, target string) bool {
	p := "." + target + ".tmp"
	return len(name) > len(p) && name[:len(p)] == p
}
