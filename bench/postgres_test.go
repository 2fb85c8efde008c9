package bench

import (
	"context"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/internal/pgtest"
)

// startPostgres returns the DSN of a new database in a private PostgreSQL
// cluster of the test's own (internal/pgtest: a temporary directory, a Unix
// socket, never as root), removed when the test ends. Like every test that
// needs PostgreSQL, it fails rather than skips when CI is set.
func startPostgres(t *testing.T) string {
	t.Helper()
	return pgtest.NewCluster(t).NewDatabase(t)
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
