package scenario

import (
	"context"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/store"
)

// NewEngine opens a real store in dir, loads cfg's families into it and
// returns an engine over it; both are closed when the test ends.
func NewEngine(t testing.TB, cfg *config.Config, dir string, now func() time.Time) (*adjudicator.Engine, *store.Store) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := st.PutFamilies(context.Background(), cfg.Families); err != nil {
		t.Fatal(err)
	}
	e, err := adjudicator.New(cfg, adjudicator.Options{Store: st, Configs: st, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return e, st
}
