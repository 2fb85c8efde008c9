package store

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestPebbleLoggerRedacts: Pebble quotes keys in some messages, and keys
// hold cardholder IDs. Its lines reach the log redacted, with the system
// error kept, and its Fatalf fails the store instead of panicking.
func TestPebbleLoggerRedacts(t *testing.T) {
	var b bytes.Buffer
	h := newHealth(slog.New(slog.NewJSONHandler(&b, nil)))
	l := pebbleLogger{h}
	key := familyKey("CARD12345")
	l.Errorf("pebble: key %s: %v", key, &os.PathError{Op: "write", Path: "/data/000001.log", Err: syscall.ENOSPC})
	if strings.Contains(b.String(), "CARD12345") || !strings.Contains(b.String(), `"errno":"no space left on device"`) {
		t.Errorf("Errorf logged %s", &b)
	}
	l.Fatalf("pebble: invariant violated at %q", key)
	err := h.err()
	if !errors.Is(err, ErrFailed) || strings.Contains(err.Error(), "CARD12345") || strings.Contains(b.String(), "CARD12345") {
		t.Errorf("after Fatalf: %v\n%s", err, &b)
	}
	// Only the first failure counts, and it is logged once.
	l.Fatalf("pebble: another")
	if h.err() != err || strings.Count(b.String(), "storage failure") != 1 {
		t.Errorf("second Fatalf: %v\n%s", h.err(), &b)
	}
}

// TestPebbleLinesRateLimited: a retry loop's error lines reach the log at
// most one a second, with the count of those suppressed.
func TestPebbleLinesRateLimited(t *testing.T) {
	var b bytes.Buffer
	h := newHealth(slog.New(slog.NewJSONHandler(&b, nil)))
	for range 1000 {
		pebbleLogger{h}.Errorf("background error: %v", syscall.ENOSPC)
	}
	if n := strings.Count(b.String(), "\n"); n != 1 {
		t.Errorf("%d lines for 1000 errors in a loop, want 1:\n%s", n, &b)
	}
	if h.suppressed.Load() != 999 {
		t.Errorf("suppressed = %d, want 999", h.suppressed.Load())
	}
}
