package adjudicator

import (
	"slices"

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
