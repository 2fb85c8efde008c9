package loader

import (
	"errors"
	"testing"
)

// TestOpenLocked: a second loader on the same data directory fails with
// ErrLocked, which says so.
func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}
