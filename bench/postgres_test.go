package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// startPostgres starts a private PostgreSQL server for the test (initdb
// into a temporary directory, listening only on a Unix socket there) and
// returns its DSN; it is stopped and removed when the test ends. Run as
// root, the server runs as the user nobody (PostgreSQL refuses root). The
// test is skipped where PostgreSQL is not installed.
func startPostgres(t *testing.T) string {
	t.Helper()
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		t.Skip("PostgreSQL is not installed (no initdb on PATH)")
	}
	postgres := filepath.Join(filepath.Dir(initdb), "postgres")
	dir, err := os.MkdirTemp("", "bench-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	name := ""
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("running as root and no user nobody to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred, name = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, u.Username
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		name = u.Username
	}
	data := filepath.Join(dir, "data")
	run := func(bin string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = dir
		return cmd
	}
	if out, err := run(initdb, "-D", data, "-U", name, "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	srv := run(postgres, "-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "shared_buffers=32MB")
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGINT) // fast shutdown
		_ = srv.Wait()
		logFile.Close()
	})
	dsn := fmt.Sprintf("host=%s user=%s dbname=postgres sslmode=disable", dir, name)
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err == nil {
			return dsn
		}
		if i == 600 {
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			t.Fatalf("postgres did not start:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresBaseline runs the claim's storage transaction in a private
// PostgreSQL server: it commits, and its schema is dropped afterwards.
func TestPostgresBaseline(t *testing.T) {
	dsn := startPostgres(t)
	ctx := context.Background()
	var s *pgStore
	var err error
	for range 100 { // the socket appears a moment before connections are accepted
		if s, err = openPGStore(ctx, dsn, 4, 50); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := s.txn(ctx, 4, 300*time.Millisecond)
	if r.Calls == 0 || len(r.Errors) > 0 || r.ClientCPUSecondsPerCall <= 0 {
		t.Errorf("bare PostgreSQL transactions: %d calls, errors %v, client CPU %v", r.Calls, r.Errors, r.ClientCPUSecondsPerCall)
	}
	var claims int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM claims").Scan(&claims); err != nil || int64(claims) != r.Calls {
		t.Errorf("%d claims committed for %d transactions (%v)", claims, r.Calls, err)
	}
	if err := s.close(ctx); err != nil {
		t.Fatal(err)
	}
}
