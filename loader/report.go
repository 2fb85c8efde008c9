package loader

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/loader/parse"
)

// The operator's text reports: what the command line prints.

// WriteFile writes a file's status line, its first bad records and where
// its report is.
func WriteFile(w io.Writer, l *Loader, f *FileStatus) {
	fmt.Fprintln(w, f.Summary())
	bad, _ := l.RecordErrors(f.Group, f.Seq, 20)
	for _, b := range bad {
		fmt.Fprintf(w, "  line %d: %s\n", b.Line, b.Reason)
	}
	if f.Archived != "" {
		fmt.Fprintf(w, "report: %s.report.json\n", f.Archived)
	}
}

// WriteKept names, for each rewound file from seq on, the families its
// rewind could not remove from the adjudicator.
func WriteKept(w io.Writer, l *Loader, files []FileStatus, seq uint64) error {
	for i := range files {
		f := &files[i]
		if f.Seq < seq || f.Status != Rewound {
			continue
		}
		kept, err := l.KeptFamilies(f.Group, f.Seq)
		if err != nil {
			return err
		}
		for _, c := range kept {
			fmt.Fprintf(w, "%s: family %s kept in the adjudicator with no coverage: it has paid claims\n", f.Ref(), c)
		}
	}
	return nil
}

// WriteStatus writes the files of group ("" for all), the families their
// rewinds kept in the adjudicator, and the outbox's counts.
func WriteStatus(w io.Writer, l *Loader, group string) error {
	files, err := l.Files(group)
	if err != nil {
		return err
	}
	for i := range files {
		fmt.Fprintln(w, files[i].Summary())
	}
	if err := WriteKept(w, l, files, 0); err != nil {
		return err
	}
	st, err := l.SyncState()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "outbox: %d batches written, %d acknowledged, %d waiting\n", st.Written, st.Acked, st.Pending)
	return nil
}

// WriteRewound writes the files a rewind of group/seq rewound, with the
// pending copies they dropped.
func WriteRewound(w io.Writer, files []FileStatus, group string, seq uint64) {
	for i := range files {
		if files[i].Seq >= seq && files[i].Status == Rewound {
			fmt.Fprintln(w, files[i].Summary())
		}
	}
	fmt.Fprintf(w, "rewound %s/%d\n", group, seq)
}

// WritePolicies writes versions for an operator, one line each (pending
// lists) or with their members (history). Members show person code,
// class, plan and coverage dates only.
func WritePolicies(w io.Writer, versions []PolicyVersion, withMembers bool) {
	for i := range versions {
		v := &versions[i]
		writeVersionLine(w, v)
		if withMembers {
			writeMembers(w, v)
		}
	}
}

func writeVersionLine(w io.Writer, v *PolicyVersion) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fmt.Fprintf(w, "%s %s version %d %s", v.Group, v.Family, v.Version, v.Status)
	if v.Base != 0 {
		fmt.Fprintf(w, " (copy of %d)", v.Base)
	}
	fmt.Fprintf(w, ": %s", v.Source)
	if v.File != 0 {
		fmt.Fprintf(w, " (%s/%d)", v.Group, v.File)
	}
	fmt.Fprintf(w, ", created %s", ts(v.Created))
	if !v.Decided.IsZero() {
		verb := "approved"
		switch v.State {
		case StateRejected, StateDiscarded:
			verb = v.State
		}
		fmt.Fprintf(w, ", %s %s by %s", verb, ts(v.Decided), v.DecidedBy)
	}
	if v.Reason != "" {
		fmt.Fprintf(w, " (%s)", v.Reason)
	}
	if len(v.Rules) > 0 {
		fmt.Fprintf(w, "; pend rules %s", strings.Join(v.Rules, " "))
	}
	if len(v.Changes) > 0 {
		fmt.Fprintf(w, "; changes %s", strings.Join(v.Changes, " "))
	}
	fmt.Fprintln(w)
}

func writeMembers(w io.Writer, v *PolicyVersion) {
	if len(v.Members) == 0 {
		fmt.Fprintln(w, "  no members")
	}
	for _, m := range v.Members {
		fmt.Fprintf(w, "  %s class=%s plan=%s %s..%s", m[parse.FPersonCode], m[parse.FClass], m[parse.FPlanID], m[parse.FCoverageEffective], m[parse.FCoverageEnd])
		if m[parse.FHistory] != "" {
			fmt.Fprintf(w, " history=%s", m[parse.FHistory])
		}
		fmt.Fprintln(w)
	}
}
