package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "a.json")
	require.NoError(t, Write(p, []byte("one"), 0o644))
	require.NoError(t, Write(p, []byte("two"), 0o600))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "two", string(b))
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	ents, err := os.ReadDir(filepath.Dir(p))
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file left")
	assert.ErrorContains(t, Write("/dev/null", []byte("x"), 0o644), "not a regular file")
}

func TestWriteNew(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.json")
	require.NoError(t, WriteNew(p, []byte("first"), 0o644))
	err := WriteNew(p, []byte("second"), 0o644)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrExists))
	assert.True(t, errors.Is(err, os.ErrExist))
	b, _ := os.ReadFile(p)
	assert.Equal(t, "first", string(b), "never replaced")
	ents, _ := os.ReadDir(filepath.Dir(p))
	assert.Len(t, ents, 1, "no temporary file left")
}

func TestIsTemp(t *testing.T) {
	assert.True(t, IsTemp(".abc.json.tmp123", "abc.json"))
	assert.False(t, IsTemp(".abc.json.tmp", "abc.json"))
	assert.False(t, IsTemp("abc.json", "abc.json"))
	assert.False(t, IsTemp(".abd.json.tmp1", "abc.json"))
}
