package adjudicator

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// conflictAttempts bounds how often a claim is adjudicated when its
// commit keeps losing to concurrent transactions of other processes.
const conflictAttempts = 8

// transact runs one claim transaction. On a store shared by several
// engines (a Transactor) it runs in a store transaction, and again from
// fresh reads, after a short random pause, when it lost a race
// (ErrConflict); the last conflict answers ErrUnavailable, so the caller
// retries later. On any other store it runs once, as is.
func (e *Engine) transact(ctx context.Context, run func(context.Context) (*Response, error)) (*Response, error) {
	if e.tx == nil {
		return run(ctx)
	}
	for attempt := 1; ; attempt++ {
		tctx, end, err := e.tx.Begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		resp, err := run(tctx)
		end()
		switch {
		case !errors.Is(err, ErrConflict):
			return resp, err
		case attempt == conflictAttempts:
			return nil, fmt.Errorf("%w: %d attempts lost to concurrent transactions: %w", ErrUnavailable, attempt, err)
		}
		pause := time.Duration(rand.Int64N(int64(attempt) * int64(time.Millisecond)))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil, fmt.Errorf("not committed: %w", ctx.Err())
		}
	}
}
