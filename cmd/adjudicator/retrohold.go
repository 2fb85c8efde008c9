package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
)

// retroHoldEnv, for crash tests only, makes the server stop making
// progress on retro jobs after that many retro steps (reversals and
// re-bills, before their family's commit): the step that reaches it waits until the server stops, so
// a test can kill the process at a known point mid-job. Unset (always, in
// production), retro jobs run freely.
const retroHoldEnv = "RXCLAIMS_TEST_RETRO_HOLD_AFTER"

// retroHoldHook is the engine's AfterRetroStep for retroHoldEnv, or nil.
func retroHoldHook(ctx context.Context, log *slog.Logger) func() {
	n, err := strconv.ParseInt(os.Getenv(retroHoldEnv), 10, 64)
	if err != nil || n <= 0 {
		return nil
	}
	log.Warn("TEST HOOK: retro jobs hold after a number of steps", "env", retroHoldEnv, "steps", n)
	var steps atomic.Int64
	return func() {
		if steps.Add(1) >= n {
			<-ctx.Done()
		}
	}
}
