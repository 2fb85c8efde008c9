package store_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/rxclaims/rxclaims/internal/store"
)

// holdEnv names the directory a child copy of this test binary holds open.
const holdEnv = "RXCLAIMS_TEST_HOLD_STORE"

// TestOpenInUse: opening a store another process holds says so plainly
// (ErrInUse), as --verify on a running server's directory reports it,
// rather than "resource temporarily unavailable".
func TestOpenInUse(t *testing.T) {
	if dir := os.Getenv(holdEnv); dir != "" { // the child: hold the store until stdin closes
		s, err := store.Open(store.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("open\n")
		_, _ = io.Copy(io.Discard, os.Stdin)
		s.Close()
		return
	}
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestOpenInUse$")
	child.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = child.Wait() }()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "open\n" {
		t.Fatalf("child: %q %v", line, err)
	}
	if _, err := store.Open(store.Options{Dir: dir, ReadOnly: true}); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("open while another process holds it: %v, want ErrInUse", err)
	}
}
