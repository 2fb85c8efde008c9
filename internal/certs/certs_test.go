package certs_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/internal/certs"
)

// TestWatched: a value is loaded again only when the check interval has
// passed and a file changed; a reload that fails keeps the value in force.
func TestWatched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v")
	write := func(s string, mod time.Time) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write("one", start)
	now := start
	loads := 0
	w, err := certs.Watch("test", []string{path}, func() (string, error) {
		loads++
		b, err := os.ReadFile(path)
		if string(b) == "bad" {
			return "", errors.New("bad")
		}
		return string(b), err
	}, certs.Options{CheckInterval: 5 * time.Second, Now: func() time.Time { return now }})
	if err != nil || w.Get() != "one" {
		t.Fatalf("first load: %v", err)
	}
	write("two", start.Add(time.Minute))
	if got := w.Get(); got != "one" {
		t.Fatalf("reloaded within the interval: %q", got)
	}
	now = now.Add(6 * time.Second)
	if got := w.Get(); got != "two" {
		t.Fatalf("after the interval: %q", got)
	}
	now = now.Add(6 * time.Second)
	if got := w.Get(); got != "two" || loads != 2 {
		t.Fatalf("unchanged file: %q after %d loads", got, loads)
	}
	write("bad", start.Add(2*time.Minute))
	now = now.Add(6 * time.Second)
	if got := w.Get(); got != "two" {
		t.Fatalf("a failed reload replaced the value: %q", got)
	}
	if _, err := certs.Watch("test", []string{filepath.Join(t.TempDir(), "missing")}, func() (string, error) { return "", nil }, certs.Options{}); err == nil {
		t.Fatal("watching a missing file succeeded")
	}
}

// TestConfigErrors: half a key pair, or a CA file without a certificate,
// is an error.
func TestConfigErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("nothing here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.ServerConfig(certs.ServerFiles{Cert: empty}, certs.Options{}); err == nil {
		t.Error("server without a key")
	}
	if _, err := certs.ClientConfig(certs.ClientFiles{Cert: empty}, certs.Options{}); err == nil {
		t.Error("client certificate without a key")
	}
	if _, err := certs.ClientConfig(certs.ClientFiles{CA: empty}, certs.Options{}); err == nil {
		t.Error("CA file without a certificate")
	}
}
