package adjudicator

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/config"
)

// AuditEntry is one entry of the audit trail: an admin, enrollment or
// loader action, allowed or denied. The store appends it in the same
// commit as the change it records, or alone when there is no change (a
// read, a refusal, a failure). Entries are hash-chained: each holds the
// hash of the one before it, so a changed or removed entry is detected
// (internal/store/records has the canonical encoding the hash covers).
//
// An entry never carries member data: Objects name edits, imports,
// groups and claims by their IDs, and families only by count.
type AuditEntry struct {
	// Seq is the entry's place in the trail, from 1; the store assigns it
	// when it appends the entry (0 until then).
	Seq uint64
	// Time is when the action was decided.
	Time time.Time
	// Subject is the authenticated identity (auth.Identity.Subject) and
	// Source how it was established (certificate, jwt, development).
	Subject, Source string
	// Role is the role under which the action was allowed, or, for a
	// denied call, the role(s) it needed.
	Role string
	// Method is the full gRPC method, or an internal action such as
	// "startup import".
	Method string
	// Objects are what the action touched or asked for, each "kind id"
	// ("edit QTY-10 v1", "import 3f2a…", "group GRP100", "claim 01a2…").
	Objects []string
	// Detail says what changed, in counts and names, never member data.
	Detail string
	// Outcome is AuditOK, AuditDenied or "FAILED <gRPC code>".
	Outcome string
	// Prev is the hash of the entry before (zero for the first) and Hash
	// this entry's; the store sets both when it appends.
	Prev, Hash AuditHash
}

// AuditHash is the SHA-256 of an entry's canonical encoding.
type AuditHash [sha256.Size]byte

func (h AuditHash) String() string { return fmt.Sprintf("%x", h[:]) }

// Audit outcomes.
const (
	AuditOK     = "OK"
	AuditDenied = "DENIED"
)

// AuditFailed is the outcome of an allowed call that failed with code.
func AuditFailed(code string) string { return "FAILED " + code }

// subject is the entry's subject; "" for a nil entry.
func (a *AuditEntry) subject() string {
	if a == nil {
		return ""
	}
	return a.Subject
}

// setDetail sets the entry's detail; a nil entry ignores it.
func (a *AuditEntry) setDetail(d string) {
	if a != nil {
		a.Detail = d
	}
}

// part returns a copy of the pending entry for one write of several, with
// detail; nil for a nil entry.
func (a *AuditEntry) part(detail string) *AuditEntry {
	if a == nil {
		return nil
	}
	p := *a
	p.Objects, p.Detail = slices.Clone(a.Objects), detail
	return &p
}

// Actor returns the pending entry of an action by subject that no RPC
// carries (in-process callers and tests).
func Actor(subject string) *AuditEntry { return &AuditEntry{Subject: subject, Time: time.Now()} }

// EditObject names one edit version as an audit object.
func EditObject(id string, version int) string { return fmt.Sprintf("edit %s v%d", id, version) }

// PlanObject names one plan version as an audit object.
func PlanObject(id string, version int) string { return fmt.Sprintf("plan %s v%d", id, version) }

// NetworkObject names one network version as an audit object.
func NetworkObject(id string, version int) string { return fmt.Sprintf("network %s v%d", id, version) }

// ScheduleObject names one schedule version as an audit object.
func ScheduleObject(id string, version int) string {
	return fmt.Sprintf("schedule %s v%d", id, version)
}

// SettingsVersionObject names one version of a level's settings as an
// audit object: "settings PBM v2", "client ACME v2", "group G1 v3".
func SettingsVersionObject(level config.Level, id string, version int) string {
	if level == config.LevelPBM && id == "" {
		id = config.PBMID
	}
	v := config.SettingsVersion{Level: level, ID: id, Dated: config.Dated{Version: version}}
	return v.Ref()
}

// AuditQuery selects audit entries; zero fields match everything.
type AuditQuery struct {
	// From and To bound Time: From included, To excluded.
	From, To time.Time
	// Subject matches the entry's subject exactly.
	Subject string
	// Object matches an entry with an object equal to it or starting with
	// it and a space: "edit QTY-10" matches "edit QTY-10 v2".
	Object string
	// AfterSeq skips the entries up to this sequence number (paging).
	AfterSeq uint64
	// Limit bounds the entries returned; 0 means no bound.
	Limit int
}

// Match reports whether e is selected by q's time, subject and object.
func (q AuditQuery) Match(e *AuditEntry) bool {
	switch {
	case e.Seq <= q.AfterSeq:
		return false
	case !q.From.IsZero() && e.Time.Before(q.From):
		return false
	case !q.To.IsZero() && !e.Time.Before(q.To):
		return false
	case q.Subject != "" && e.Subject != q.Subject:
		return false
	}
	if q.Object == "" {
		return true
	}
	for _, o := range e.Objects {
		if o == q.Object || strings.HasPrefix(o, q.Object+" ") {
			return true
		}
	}
	return false
}

// AuditLog is the store's audit trail, beside the audited writes of the
// storage contract (ConfigWrite.Audit, Commit.Audit and the audit
// arguments of PutFamilies and RemoveFamily).
type AuditLog interface {
	// AppendAudit appends e alone, durably, assigning its Seq, Prev and
	// Hash: the entry of an action that changed nothing.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// ReadAudit returns the entries q selects, in trail order.
	ReadAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// ErrNoAuditLog is returned when the engine's store keeps no audit trail.
var ErrNoAuditLog = errors.New("adjudicator: the store keeps no audit trail")

// AppendAudit appends an entry that records no change (a read, a refused
// or failed call) to the store's audit trail.
func (e *Engine) AppendAudit(ctx context.Context, entry *AuditEntry) error {
	l, ok := e.configs.(AuditLog)
	if !ok {
		return ErrNoAuditLog
	}
	return l.AppendAudit(ctx, entry)
}

// ReadAudit reads the audit trail.
func (e *Engine) ReadAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	l, ok := e.configs.(AuditLog)
	if !ok {
		return nil, ErrNoAuditLog
	}
	return l.ReadAudit(ctx, q)
}
