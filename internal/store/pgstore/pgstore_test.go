package pgstore_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
	"github.com/rxclaims/rxclaims/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, dsn string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), pgstore.Options{DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the contract's suite against a database of its own
// per check; reopen opens a new pool on the same database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, func() storetest.Store) {
		dsn := pgtest.DSN(t)
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s, func() storetest.Store {
			s.Close()
			s = open(t, dsn)
			return s
		}
	})
}
