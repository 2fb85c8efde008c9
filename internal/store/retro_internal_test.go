package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
)

// TestRunningRetroJobsWithoutStatus: a job stored before jobs had a status
// (its status key absent) is listed to run, beside the RUNNING ones, so a
// runner resumes or closes it; DONE and FAILED ones are not.
func TestRunningRetroJobsWithoutStatus(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"A-OLD", "B-RUNNING", "C-DONE", "D-FAILED"} {
		if _, err := s.CreateRetroJob(ctx, &adjudicator.RetroJob{ID: id, Created: time.Unix(0, 0).UTC()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Delete(retroStatusKey("A-OLD"), pebble.Sync); err != nil { // as an older build left it
		t.Fatal(err)
	}
	for id, state := range map[string]adjudicator.RetroJobState{"C-DONE": adjudicator.RetroJobDone, "D-FAILED": adjudicator.RetroJobFailed} {
		if err := s.SetRetroJobStatus(ctx, &adjudicator.RetroJobStatus{JobID: id, State: state}, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RunningRetroJobs(ctx)
	if err != nil || !slices.Equal(got, []string{"A-OLD", "B-RUNNING"}) {
		t.Fatalf("jobs to run: %v, %v; want [A-OLD B-RUNNING]", got, err)
	}
}
