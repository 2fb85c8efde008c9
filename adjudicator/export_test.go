package adjudicator

import (
	"context"
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/edits"
)

// TraceStepNames lists every name a trace may give a step: the steps of
// the pipelines, and the edit kinds whose decisions the steps record.
func TraceStepNames() []string {
	var names []string
	for _, steps := range [][]step{billSteps, rebillSteps, testClaimSteps, reverseSteps} {
		names = append(names, stepNames(steps)...)
	}
	for _, k := range edits.Kinds() {
		names = append(names, stepName(k))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// HoldReplay takes e's replay slot, as a running replay holds it.
func HoldReplay(e *Engine) (release func()) {
	release, err := e.replayTurn()
	if err != nil {
		panic(err)
	}
	return release
}

// CheckTraceText makes every trace step of the test read as formatting
// its arguments as given would have read: the structured trace changes no
// text.
func CheckTraceText(tb testing.TB) {
	check := func(got, want string) {
		if got != want {
			tb.Errorf("trace step reads %q, formatted as given %q", got, want)
		}
	}
	traceCheck.Store(&check)
	tb.Cleanup(func() { traceCheck.Store(nil) })
}

// RetroSelect selects a configuration retro's claims (the request
// checked first), from the history index or, without useHistory, by
// reading every claim record.
func (e *Engine) RetroSelect(ctx context.Context, req RetroRequest, useHistory bool) ([]*ClaimRecord, error) {
	if err := e.checkRetro(&req); err != nil {
		return nil, err
	}
	return e.retroSelect(ctx, req, useHistory)
}

// SetRetroStepHook sets e's AfterRetroStep hook (nil removes it).
func SetRetroStepHook(e *Engine, f func()) { e.retroStepHook = f }

// DryRunUnshared makes e's dry runs re-adjudicate every claim in the draft
// pass, taking none of the baseline pass's outcomes. Call it before e runs
// a dry run.
func DryRunUnshared(e *Engine) { e.dryRunUnshared = true }

// DryRunCopies sets whether e's dry runs give each claim copies of the
// state's accumulator documents and history instead of the state's. Call
// it before a dry run starts: its runners read it once.
func DryRunCopies(e *Engine, copies bool) { e.dryRunCopies = copies }
