package adjudicator

import (
	"context"
	"errors"
	"fmt"
)

// Failing safe (DESIGN.md, decision 11): a claim is never committed once
// its caller has gone, and a failed store answers at once without taking
// or holding a lock.

// ErrUnavailable marks a store that cannot serve (a storage failure): the
// transaction was not decided. A claim caught by the failure inside its
// commit may or may not have been written; a retry once the service is
// back answers it as a duplicate if it was.
var ErrUnavailable = errors.New("storage unavailable")

// StoreHealth is implemented by a store that knows when it has failed.
type StoreHealth interface {
	// Failed returns nil while the store is sound, and an error wrapping
	// ErrUnavailable once it has failed.
	Failed() error
}

// storeFailed returns the store's failure, if it reports one.
func (e *Engine) storeFailed() error {
	if e.health == nil {
		return nil
	}
	return e.health.Failed()
}

// durable commits c unless the transaction must not be: its context is
// done (the caller has given up: nothing is written and the answer is
// Canceled or DeadlineExceeded) or the store has failed. It runs after
// the steps took their locks, right before the write; a deadline that
// expires during the write itself does not stop it (DOMAIN.md, "When the
// deadline expires").
func (a *adjudication) durable(ctx context.Context, c *Commit) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("not committed: %w", err)
	}
	if err := a.engine.storeFailed(); err != nil {
		return fmt.Errorf("not committed: %w", err)
	}
	if ap, ok := a.store.(Applier); ok {
		wait, err := ap.Apply(ctx, c)
		if err != nil {
			return err // the store's error says it was the commit
		}
		a.wait = wait // run calls it once the locks are released
		return nil
	}
	return a.store.Commit(ctx, c) // the store's error says it was the commit
}
