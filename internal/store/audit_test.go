package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// auditStore opens a store in dir with five audit entries, and closes it.
func auditStore(t *testing.T, dir string) {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e := &adjudicator.AuditEntry{Time: time.Date(2026, 11, 20, 9, i, 0, 0, time.UTC), Subject: "alice",
			Method: "/rxclaims.v1.AdminService/CreateDraft", Objects: []string{fmt.Sprintf("edit E%d v1", i)}, Outcome: adjudicator.AuditOK}
		if err := s.SaveConfig(context.Background(), adjudicator.ConfigWrite{Audit: e}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// tamper changes the database in dir directly, as someone with the disk
// would, then reports what VerifyAudit finds.
func tamper(t *testing.T, dir string, fn func(db *pebble.DB) error) []string {
	t.Helper()
	db, err := pebble.Open(dir, &pebble.Options{Logger: pebbleLogger{newHealth(slog.New(slog.DiscardHandler))}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.VerifyAudit()
	if err != nil {
		t.Fatal(err)
	}
	return r.Problems
}

// rewrite replaces entry seq with fn's change of it, re-encoded (a
// plausible forgery: its own encoding is valid).
func rewrite(seq uint64, fn func(*adjudicator.AuditEntry)) func(db *pebble.DB) error {
	return func(db *pebble.DB) error {
		v, closer, err := db.Get(auditKey(seq))
		if err != nil {
			return err
		}
		e, err := records.DecodeAudit(v)
		closer.Close()
		if err != nil {
			return err
		}
		fn(&e)
		return db.Set(auditKey(seq), records.EncodeAudit(&e), pebble.Sync)
	}
}

// TestVerifyAuditDetectsTampering: on a real store on disk, the chain of
// an untouched trail verifies; an edited entry, a removed one (in the
// middle or at the end), and an entry hidden from the time index are each
// found.
func TestVerifyAuditDetectsTampering(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(db *pebble.DB) error
		want string // in a problem; "" means none
	}{
		{"untouched", func(*pebble.DB) error { return nil }, ""},
		{"edited subject", rewrite(3, func(e *adjudicator.AuditEntry) { e.Subject = "bob" }), "entry 4 does not hold the hash of entry 3"},
		{"edited outcome", rewrite(2, func(e *adjudicator.AuditEntry) { e.Outcome = adjudicator.AuditDenied }), "entry 3 does not hold the hash of entry 2"},
		{"edited last", rewrite(5, func(e *adjudicator.AuditEntry) { e.Objects = nil }), "the head does not name the last entry (5)"},
		{"removed middle", func(db *pebble.DB) error { return db.Delete(auditKey(3), pebble.Sync) }, "entries 3 to 3 are missing"},
		{"removed last", func(db *pebble.DB) error { return db.Delete(auditKey(5), pebble.Sync) }, "entries were removed from its end"},
		{"renumbered", func(db *pebble.DB) error {
			return rewrite(4, func(e *adjudicator.AuditEntry) { e.Seq = 3 })(db)
		}, "entry 3 is stored as entry 4"},
		{"unindexed", func(db *pebble.DB) error {
			return db.Delete(auditTimeKey(time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC), 2), pebble.Sync)
		}, "the time index misses 1 entries"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			auditStore(t, dir)
			problems := tamper(t, dir, c.fn)
			switch {
			case c.want == "" && len(problems) > 0:
				t.Fatalf("an untouched trail: %v", problems)
			case c.want != "" && !strings.Contains(strings.Join(problems, "\n"), c.want):
				t.Fatalf("problems %q, want one saying %q", problems, c.want)
			}
		})
	}
}
