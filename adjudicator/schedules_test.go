package adjudicator

import (
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/edits"
)

// The engine reads exactly the schedule columns edits accept.
func TestScheduleFactsMatchColumns(t *testing.T) {
	for _, name := range edits.ScheduleColumns {
		if scheduleFacts[name] == nil {
			t.Errorf("column %q has no reader in scheduleFacts", name)
		}
	}
	for name := range scheduleFacts {
		if !slices.Contains(edits.ScheduleColumns, name) {
			t.Errorf("scheduleFacts reads %q, which edits.ScheduleColumns does not list", name)
		}
	}
}
