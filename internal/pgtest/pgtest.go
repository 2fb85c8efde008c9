// Package pgtest starts private PostgreSQL clusters for tests: initdb in a
// temporary directory, a server listening only on a Unix socket in it,
// stopped and removed when the tests end. PostgreSQL refuses to run as
// root, so under root the cluster runs as the postgres user (its files
// chowned to it); otherwise as the test's own user.
//
// The binaries are found on PATH or under /usr/lib/postgresql/*/bin
// (Debian's postgresql package; .ci/run installs it). Without them a test
// that needs PostgreSQL fails when the CI environment variable is set,
// and is skipped otherwise.
//
// The clusters run with fsync off: the tests kill processes, never the
// machine, and the operating system keeps what a killed server wrote.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

// Cluster is a private PostgreSQL server.
type Cluster struct {
	dir  string // holds data/, the socket and the log
	bin  string
	cred *syscall.Credential // nil: run as ourselves
	dbs  atomic.Int64
}

// Bin returns the directory of the PostgreSQL binaries, or "" if none.
func Bin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(found) == 0 {
		return ""
	}
	slices.SortFunc(found, func(a, b string) int { return version(a) - version(b) })
	return filepath.Dir(found[len(found)-1])
}

func version(pgctl string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(pgctl))))
	return v
}

// need skips or fails t when PostgreSQL is not installed, and returns
// the binaries' directory.
func need(t testing.TB) string {
	t.Helper()
	bin := Bin()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PostgreSQL is not installed (CI is set: .ci/run installs it)")
		}
		t.Skip("PostgreSQL is not installed (apt-get install postgresql); the CI runs these tests")
	}
	return bin
}

// NewCluster starts a cluster of its own for t, stopped when t ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := start(need(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Remove)
	return c
}

var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// DSN returns the DSN of a new, empty database in the process's shared
// cluster, started on first use; Main stops it.
func DSN(t testing.TB) string {
	t.Helper()
	bin := need(t)
	shared.once.Do(func() { shared.c, shared.err = start(bin) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.c.NewDatabase(t)
}

// Main runs the tests, then the cleanups, and stops the shared cluster,
// if started. A package whose tests call DSN calls it from TestMain.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	if shared.c != nil {
		shared.c.Remove()
	}
	os.Exit(code)
}

func start(bin string) (*Cluster, error) {
	reapOrphans(bin)
	dir, err := os.MkdirTemp("", "rxpg-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs a postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// reapOrphans stops and removes the clusters of test processes that died
// without stopping them (a test binary killed by its timeout runs no
// cleanup): those whose owner process is gone.
func reapOrphans(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "rxpg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // alive, or not ours to judge
		}
		c := &Cluster{dir: dir, bin: bin}
		if os.Geteuid() == 0 {
			if st, err := os.Stat(dir); err == nil {
				if sys, ok := st.Sys().(*syscall.Stat_t); ok {
					c.cred = &syscall.Credential{Uid: sys.Uid, Gid: sys.Gid}
				}
			}
		}
		c.Remove()
	}
}

// run runs a PostgreSQL binary as the cluster's user.
func (c *Cluster) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", name, err, out)
	}
	return nil
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() error {
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off -c full_page_writes=off -c max_connections=200", c.dir)
	return c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "120", "start")
}

// Stop stops the server at once (immediate mode: as if it crashed).
func (c *Cluster) Stop() error {
	return c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
}

// Remove stops the server and removes its files.
func (c *Cluster) Remove() {
	_ = c.Stop()
	os.RemoveAll(c.dir)
}

// URL is the DSN of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&sslmode=disable", db, c.dir)
}

// NewDatabase creates an empty database and returns its DSN.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.dbs.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return c.URL(name)
}

// Store opens a pgstore on a new, empty database of the shared cluster,
// closed when t ends.
func Store(t testing.TB) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), pgstore.Options{DSN: DSN(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
