package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/adminctl"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// built is the adjudicator binary, built once for all the tests of the
// package (TestMain removes it).
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

// buildServer builds the adjudicator binary, once, into a temporary
// directory.
func buildServer(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "adjudicator-bin-"); built.err != nil {
			return
		}
		bin := filepath.Join(built.dir, "adjudicator")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// TestBackupUnderLoad backs up the real server binary while concurrent
// bills, reversals and rebills run, restores the backup into a new
// directory, and proves that every transaction acknowledged before the
// backup call began is in it, exactly once and as acknowledged, with
// balances equal to their claims. Restores onto the running server's
// directory and onto a non-empty one are refused, and so are backup names
// that reach outside the backup root.
func TestBackupUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	data, root := t.TempDir(), t.TempDir()
	t.Setenv("RXCLAIMS_BACKUP_DIR", root) // startServer's child inherits it
	proc, addrs := startServerAddrs(t, bin, data)
	conn, adminConn := dial(t, addrs.claims), dial(t, addrs.admin)
	defer conn.Close()
	defer adminConn.Close()
	claims, ops := client.NewClaims(conn), client.NewOperator(adminConn, "ops")

	acked := newLedger()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	members := coveredMembers(t)
	for w := range 16 {
		wg.Add(1)
		go func() { defer wg.Done(); drive(ctx, claims, w, members, acked) }()
	}
	waitFor(acked, 300)
	before := acked.snapshot() // everything acknowledged before the call begins
	started := time.Now()
	b := adjctlBackup(t, addrs.admin, "mid-load", root)
	t.Logf("backup under load: %d acknowledged before it; %d claims, %d files, %d bytes, in %s",
		before.n, b.Claims, len(b.Files), b.Bytes, time.Since(started).Round(time.Millisecond))
	waitFor(acked, before.n+200) // claims after the backup, which may or may not be in it
	checkBackupRefusals(t, ops, bin, data, root)
	cancel()
	wg.Wait()
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if len(before.bills) == 0 || len(before.reversals) == 0 {
		t.Fatalf("too little load before the backup to prove anything: %d bills, %d reversals", len(before.bills), len(before.reversals))
	}

	restored := filepath.Join(t.TempDir(), "restored")
	from := filepath.Join(root, b.Name)
	if out, err := exec.Command(bin, "--restore-from", from, "--data-dir", restored).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), " 0 problems") || !strings.Contains(string(out), "is ready") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "--restore-from", from, "--data-dir", data).CombinedOutput(); err == nil || !strings.Contains(string(out), "not empty") {
		t.Errorf("restore onto the stopped server's directory: %v\n%s", err, out)
	}
	settled := untouchedSince(before, acked)
	checkRestart(t, bin, restored, settled)
	checkStoredLedger(t, restored, settled)
	checkPresent(t, restored, before, b.Claims)
}

// adjctlBackup runs "adjctl backup --dir name --json" against the server
// and returns the manifest it prints, which must be the one in root/name.
func adjctlBackup(t *testing.T, addr, name, root string) *store.BackupManifest {
	t.Helper()
	var out bytes.Buffer
	if err := adminctl.Run(context.Background(), []string{"--addr", addr, "--user", "ops", "--json", "backup", "--dir", name}, &out, &out); err != nil {
		t.Fatalf("adjctl backup: %v\n%s", err, out.String())
	}
	var printed store.BackupManifest
	if err := json.Unmarshal(out.Bytes(), &printed); err != nil {
		t.Fatalf("adjctl backup --json: %v\n%s", err, out.String())
	}
	m, err := store.ReadBackupManifest(filepath.Join(root, name))
	if err != nil || m.Name != name || m.Claims != printed.Claims || len(m.Files) != len(printed.Files) {
		t.Fatalf("backup.json %+v (%v); adjctl printed %s", m, err, out.String())
	}
	return m
}

// waitFor waits until l counts n acknowledged transactions, or 20 seconds.
func waitFor(l *ledger, n int) {
	for deadline := time.Now().Add(20 * time.Second); l.count() < n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}

// snapshot copies the ledger.
func (l *ledger) snapshot() *ledger {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := newLedger()
	c.n = l.n
	for id, v := range l.bills {
		c.bills[id] = v
	}
	for id, v := range l.reversals {
		c.reversals[id] = v
	}
	for id := range l.pending {
		c.pending[id] = true
	}
	return c
}

// untouchedSince is what before acknowledged and nothing changed later:
// its paid claims that no reversal or rebill touched since (those answer
// as duplicates of themselves), and its reversals (final).
func untouchedSince(before, final *ledger) *ledger {
	out := newLedger()
	for id, c := range before.bills {
		if !before.pending[id] && final.bills[id] != nil && !final.pending[id] {
			out.bills[id] = c
		}
	}
	for id, r := range before.reversals {
		out.reversals[id] = r
	}
	return out
}

// checkPresent: every claim acknowledged before the backup is in the
// restored store, whatever a later reversal made of it, and the store holds
// what the backup's manifest counted.
func checkPresent(t *testing.T, dir string, before *ledger, claims int64) {
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id := range before.bills {
		if rec, err := st.Claim(id); err != nil || rec == nil {
			t.Errorf("claim %s, acknowledged before the backup, is not in it (%v)", id, err)
		}
	}
	var n int64
	if err := st.ForEachClaim(func(*adjudicator.ClaimRecord) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != claims { // the restart check's repeats are duplicates: they add no record
		t.Errorf("restored store holds %d claims, the backup counted %d", n, claims)
	}
}

// checkBackupRefusals runs against the serving server: hostile and taken
// names are refused, and a restore onto its directory or a non-empty one
// is refused.
func checkBackupRefusals(t *testing.T, ops *client.Operator, bin, data, root string) {
	for _, name := range []string{"../escape", "/tmp/abs", "a/b", ".."} {
		if _, err := ops.CreateBackup(context.Background(), name); status.Code(err) != codes.InvalidArgument {
			t.Errorf("backup name %q: %v, want InvalidArgument", name, err)
		}
	}
	if _, err := ops.CreateBackup(context.Background(), "mid-load"); status.Code(err) != codes.AlreadyExists {
		t.Errorf("backup onto an existing backup: %v, want AlreadyExists", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "escape")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backup escaped the root: %v", err)
	}
	from := filepath.Join(root, "mid-load")
	if out, err := exec.Command(bin, "--restore-from", from, "--data-dir", data).CombinedOutput(); err == nil || !strings.Contains(string(out), "in use by a running process") {
		t.Errorf("restore onto the running server's directory: %v\n%s", err, out)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--restore-from", from, "--data-dir", full).CombinedOutput(); err == nil || !strings.Contains(string(out), "not empty") {
		t.Errorf("restore into a non-empty directory: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(full, "notes.txt")); err != nil || string(b) != "keep" {
		t.Errorf("a refused restore touched the directory: %q %v", b, err)
	}
}

// TestUnfinishedRestore: a data directory a restore did not finish is
// refused by the server and by --verify.
func TestUnfinishedRestore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.RestoreMarker), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, args := range [][]string{{"--data-dir", dir, "--grpc-addr", "127.0.0.1:0", "--metrics-addr", "-"}, {"--verify", "--data-dir", dir}} {
		if err := run(context.Background(), args, &out, &out); err == nil || !strings.Contains(err.Error(), "unfinished restore") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// TestBackupDiskFull: a backup into a full filesystem (a small tmpfs, so
// the test runs as root) answers ResourceExhausted, leaves nothing behind
// and does not disturb the server, which keeps paying claims; once space
// returns, the next backup succeeds.
func TestBackupDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	root := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", root).CombinedOutput(); err != nil {
		t.Skipf("needs root to mount a small tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", root).Run() })
	filler := filepath.Join(root, "filler")
	fill(t, filler)
	bin := buildServer(t)
	t.Setenv("RXCLAIMS_BACKUP_DIR", root)
	proc, addrs := startServerAddrs(t, bin, t.TempDir())
	conn, adminConn := dial(t, addrs.claims), dial(t, addrs.admin)
	defer conn.Close()
	defer adminConn.Close()
	claims, ops := client.NewClaims(conn), client.NewOperator(adminConn, "ops")
	bill := func(rx string) {
		c := *coveredMembers(t)[0]
		c.RxNumber = rx
		c.DateOfService = time.Now().UTC().Format(time.DateOnly)
		if r, err := claims.Bill(context.Background(), &c); err != nil || r.Status != adjudicator.Paid {
			t.Fatalf("bill %s: %v %v", rx, r, err)
		}
	}
	bill("7000001")
	if _, err := ops.CreateBackup(context.Background(), "full"); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("backup into a full filesystem: %v, want ResourceExhausted", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("a failed backup left %v", entries)
	}
	bill("7000002") // the server is unharmed
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if b, err := ops.CreateBackup(context.Background(), "full"); err != nil || b.Claims != 2 {
		t.Errorf("backup once space returned: %+v %v", b, err)
	}
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
}

// fill writes path until its filesystem has no space left.
func fill(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for range 1 << 14 { // bounded: 1 GiB
		if _, err := f.Write(chunk); errors.Is(err, syscall.ENOSPC) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the filesystem did not fill")
}
