package loader

import (
	"fmt"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/loader/parse"
)

// Status is where a file is in its processing (seed 003).
type Status string

// The file statuses.
const (
	Loading    Status = "Loading"    // records still arriving against the expected count
	Pending    Status = "Pending"    // complete, waiting to be validated
	Validating Status = "Validating" // checked record by record; nothing changed yet
	Processing Status = "Processing" // changes being applied
	Completed  Status = "Completed"
	Failed     Status = "Failed" // rejected or a duplicate: nothing applied
	Rewinding  Status = "Rewinding"
	Rewound    Status = "Rewound" // every change undone
)

// Outcomes of a finished file.
const (
	OutcomeCompleted = "completed"
	OutcomePartial   = "completed_with_errors" // good records applied, bad ones reported
	OutcomeRejected  = "rejected"
	OutcomeDuplicate = "duplicate"
	OutcomeRewound   = "rewound"
)

// Counts are a file's record counts.
type Counts struct {
	Expected   int `json:"expected"`
	Received   int `json:"received"`
	New        int `json:"new"`
	Changed    int `json:"changed"`
	Unchanged  int `json:"unchanged"`
	Removed    int `json:"removed"`
	Pended     int `json:"pended"` // records held in a pending policy copy for review
	Failed     int `json:"failed"`
	Ineligible int `json:"ineligible,omitempty"`
	// Discarded counts the pending policy copies a rewind of the file dropped.
	Discarded int `json:"discarded,omitempty"`
}

// FileStatus is everything the loader keeps about one file.
type FileStatus struct {
	Group      string           `json:"group"`
	Seq        uint64           `json:"seq"`
	Name       string           `json:"name"`
	FileID     string           `json:"file_id,omitempty"`
	Kind       parse.Kind       `json:"kind"`
	FileType   parse.FileType   `json:"file_type,omitempty"`
	RecordType parse.RecordType `json:"record_type,omitempty"`
	Format     parse.Format     `json:"format"`
	AsOf       string           `json:"as_of,omitempty"`
	Checksum   string           `json:"checksum,omitempty"` // SHA-256 of the whole file
	Status     Status           `json:"status"`
	Outcome    string           `json:"outcome,omitempty"`
	Reason     string           `json:"reason,omitempty"` // why a file failed
	Counts     Counts           `json:"counts"`
	// Cursor is the number of records processed and committed; Removals is
	// set once the full-file removal pass has run.
	Cursor   int       `json:"cursor"`
	Removals bool      `json:"removals,omitempty"`
	Journal  uint64    `json:"journal"` // journal entries written
	Inbox    string    `json:"inbox,omitempty"`
	Staged   string    `json:"staged,omitempty"`
	Archived string    `json:"archived,omitempty"`
	Received time.Time `json:"received"`
	// LastArrival is when the loader last saw the record count of a
	// Loading file grow.
	LastArrival time.Time `json:"last_arrival,omitzero"`
	Finished    time.Time `json:"finished,omitzero"`
}

// Ref names the file as group/seq.
func (f *FileStatus) Ref() string { return fmt.Sprintf("%s/%d", f.Group, f.Seq) }

// Summary is a one-line human summary.
func (f *FileStatus) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s", f.Ref(), f.Name, f.Kind)
	if f.Kind == parse.KindFamily {
		fmt.Fprintf(&b, " %s %s", f.FileType, f.RecordType)
	}
	fmt.Fprintf(&b, "): %s", f.Status)
	if f.Outcome != "" {
		fmt.Fprintf(&b, " %s", f.Outcome)
	}
	c := f.Counts
	fmt.Fprintf(&b, "; expected %d received %d new %d changed %d unchanged %d removed %d pended %d failed %d",
		c.Expected, c.Received, c.New, c.Changed, c.Unchanged, c.Removed, c.Pended, c.Failed)
	if c.Ineligible > 0 {
		fmt.Fprintf(&b, " ineligible %d", c.Ineligible)
	}
	if c.Discarded > 0 {
		fmt.Fprintf(&b, " discarded-pending %d", c.Discarded)
	}
	if f.Reason != "" {
		fmt.Fprintf(&b, "; %s", f.Reason)
	}
	return b.String()
}

// catalogGroup holds drug, pharmacy and network files: no intake group can
// be named so, since group IDs are letters, digits, '-' and '_'.
const catalogGroup = "~catalog"
