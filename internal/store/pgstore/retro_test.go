package pgstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/pgtest"
)

// TestRetroJobLock: a retro job is held by one instance at a time: the
// same job on a second instance sharing the database is refused at once
// (ErrBusy) until the first lets it go; another job is not held up.
func TestRetroJobLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	release, err := a.LockRetroJob(ctx, "JOB-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.LockRetroJob(ctx, "JOB-1"); !errors.Is(err, adjudicator.ErrBusy) {
		t.Fatalf("the job held by another instance: %v, want ErrBusy", err)
	}
	other, err := b.LockRetroJob(ctx, "JOB-2")
	if err != nil {
		t.Fatalf("another job: %v", err)
	}
	other()
	release()
	again, err := b.LockRetroJob(ctx, "JOB-1")
	if err != nil {
		t.Fatalf("the job once let go: %v", err)
	}
	again()
}
