package edits

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rxclaims/rxclaims/domain"
)

// Lifecycle errors. Callers map them to their own error kinds (the server to
// gRPC status codes).
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("lifecycle conflict")
	ErrMakerChecker = errors.New("maker-checker")
)

// Book holds every version of every edit: the lifecycle of DOMAIN.md
// section 3. Only Draft → Active, Draft → Inactive and Active → Inactive
// exist; an Active version never changes (a change is a new version) and
// an Inactive one never comes back. A Book is not safe for concurrent use;
// its methods change nothing when they fail.
type Book struct {
	versions map[string][]Edit // by ID, in version order
}

// NewBook returns a book holding the given versions, checking each.
func NewBook(all []Edit) (*Book, error) {
	b := &Book{versions: map[string][]Edit{}}
	for _, e := range all {
		if err := e.Validate(); err != nil {
			return nil, err
		}
		if _, err := b.Get(e.ID, e.Version); err == nil {
			return nil, fmt.Errorf("%w: edit %s appears twice", ErrConflict, e.Ref())
		}
		b.put(e)
	}
	return b, nil
}

// All returns every version, by ID then version.
func (b *Book) All() []Edit {
	ids := make([]string, 0, len(b.versions))
	for id := range b.versions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []Edit
	for _, id := range ids {
		out = append(out, b.versions[id]...)
	}
	return out
}

// Versions returns the versions of one edit (nil if none).
func (b *Book) Versions(id string) []Edit { return slices.Clone(b.versions[id]) }

// Get returns one version.
func (b *Book) Get(id string, version int) (Edit, error) {
	for _, e := range b.versions[id] {
		if e.Version == version {
			return e, nil
		}
	}
	return Edit{}, fmt.Errorf("%w: edit %s v%d", ErrNotFound, id, version)
}

func (b *Book) put(e Edit) {
	vs := b.versions[e.ID]
	for i := range vs {
		if vs[i].Version == e.Version {
			vs[i] = e
			return
		}
	}
	vs = append(vs, e)
	slices.SortFunc(vs, func(a, b Edit) int { return a.Version - b.Version })
	b.versions[e.ID] = vs
}

// CreateDraft stores e as a new Draft: version 1 of a new edit, or the
// next version of an existing one (how an Active edit is changed). An edit
// has at most one Draft at a time.
func (b *Book) CreateDraft(e Edit, user string, now time.Time) (Edit, error) {
	vs := b.versions[e.ID]
	draft := 0
	if i := slices.IndexFunc(vs, func(x Edit) bool { return x.Status == Draft }); i >= 0 {
		draft = vs[i].Version
	}
	audit, err := DraftAudit("edit "+e.ID, draft, user, now)
	if err != nil {
		return Edit{}, err
	}
	e.Version = 1
	if n := len(vs); n > 0 {
		e.Version = vs[n-1].Version + 1
	}
	e.Status, e.Audit, e.Provenance = Draft, audit, nil
	if err := e.Validate(); err != nil {
		return Edit{}, err
	}
	b.put(e)
	return e, nil
}

// UpdateDraft replaces the content of a Draft version; its identity and
// creator stay.
func (b *Book) UpdateDraft(e Edit, user string, now time.Time) (Edit, error) {
	old, err := b.Get(e.ID, e.Version)
	if err != nil {
		return Edit{}, err
	}
	audit, err := UpdateAudit(old.Ref(), old.Status, old.Audit, user, now)
	if err != nil {
		return Edit{}, err
	}
	e.Status, e.Audit, e.Provenance = Draft, audit, old.Provenance
	if err := e.Validate(); err != nil {
		return Edit{}, err
	}
	b.put(e)
	return e, nil
}

// Activate makes a Draft version Active. Maker-checker: its creator may not
// activate it unless allowSelf is set, and then the activation is marked
// as a self-activation in the audit.
func (b *Book) Activate(id string, version int, user string, now time.Time, allowSelf bool) (Edit, error) {
	e, err := b.Get(id, version)
	if err != nil {
		return Edit{}, err
	}
	audit, err := ActivateAudit(e.Ref(), "edit", e.Status, e.Audit, user, now, allowSelf)
	if err != nil {
		return Edit{}, err
	}
	e.Status, e.Audit = Active, audit
	if err := e.Validate(); err != nil {
		return Edit{}, err
	}
	b.put(e)
	return e, nil
}

// Inactivate retires a Draft or Active version for good.
func (b *Book) Inactivate(id string, version int, user string, now time.Time) (Edit, error) {
	e, err := b.Get(id, version)
	if err != nil {
		return Edit{}, err
	}
	audit, err := InactivateAudit(e.Ref(), e.Status, e.Audit, user, now)
	if err != nil {
		return Edit{}, err
	}
	e.Status, e.Audit = Inactive, audit
	b.put(e)
	return e, nil
}

// Import adds a version brought from another environment's bundle. The
// audit the bundle carries is that environment's account: it is kept as
// the version's Provenance and never becomes this environment's audit.
// Here the version is created and imported by maker; a version that
// arrives Active is activated by checker, and one that arrives Inactive
// is retired by checker. Whether maker and checker may be one identity is
// the caller's rule (the engine's ApproveImport refuses it); the audit
// marks it as a self-activation.
//
// A version already present with the same content and status is left as
// it is (importing twice changes nothing); a Draft here may be replaced by
// a differing version, an Active or Inactive one never. Import reports
// whether anything changed.
func (b *Book) Import(e Edit, maker, checker string, now time.Time) (bool, error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	if maker == "" || (e.Status != Draft && checker == "") {
		return false, fmt.Errorf("%w: an import needs its maker and, for an Active or Inactive version, its checker", ErrInvalid)
	}
	if old, err := b.Get(e.ID, e.Version); err == nil {
		if sameContent(old, e) {
			return false, nil
		}
		if old.Status != Draft {
			return false, fmt.Errorf("%w: %s is %s here and differs from the imported version; Active and Inactive versions never change", ErrConflict, e.Ref(), old.Status)
		}
	}
	e.Provenance = nil
	if e.Audit != (Audit{}) {
		p := e.Audit
		e.Provenance = &p
	}
	e.Audit = ImportAudit(e.Status, maker, checker, now)
	b.put(e)
	return true, nil
}

// sameContent reports whether two versions say the same thing with the
// same status, whatever their audit and provenance.
func sameContent(a, b Edit) bool {
	a.Audit, b.Audit, a.Provenance, b.Provenance = Audit{}, Audit{}, nil, nil
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// The transitions below are the lifecycle of every versioned configuration
// record analysts author (edits, plan versions): each checks that the
// record's version may take the step and returns its audit after it. ref
// names the version in errors ("PPO-COPAY v2", "plan PPO v2").

// DraftAudit checks that user may start a new draft of a record whose
// Draft version is draft (0: none; a record has at most one Draft at a
// time) and returns the new draft's audit.
func DraftAudit(record string, draft int, user string, now time.Time) (Audit, error) {
	if user == "" {
		return Audit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	if draft != 0 {
		return Audit{}, fmt.Errorf("%w: %s already has a draft (v%d); update it instead", ErrConflict, record, draft)
	}
	return Audit{CreatedBy: user, CreatedAt: now.UTC()}, nil
}

// UpdateAudit checks that a version with status s may change (only a
// Draft may) and returns its audit after user replaced its content.
func UpdateAudit(ref string, s Status, a Audit, user string, now time.Time) (Audit, error) {
	if s != Draft {
		return Audit{}, fmt.Errorf("%w: %s is %s; only a draft can change (create a new version instead)", ErrConflict, ref, s)
	}
	if user == "" {
		return Audit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	a.UpdatedBy, a.UpdatedAt = user, now.UTC()
	return a, nil
}

// ActivateAudit checks that user may activate a version with status s and
// audit a, and returns its audit once Active. Maker-checker: whoever wrote
// the draft may not activate it unless allowSelf is set, and then the
// activation is marked as a self-activation. noun names the kind of
// record ("edit", "plan version").
func ActivateAudit(ref, noun string, s Status, a Audit, user string, now time.Time, allowSelf bool) (Audit, error) {
	switch s {
	case Active:
		return Audit{}, fmt.Errorf("%w: %s is already active", ErrConflict, ref)
	case Inactive:
		return Audit{}, fmt.Errorf("%w: %s is inactive, and an inactive %s can never be re-activated", ErrConflict, ref, noun)
	}
	if user == "" {
		return Audit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	// The maker is whoever wrote the draft: its creator, and the last user
	// who replaced its content (an update replaces all of it). Either one
	// activating it would approve their own work.
	self := user == a.CreatedBy || user == a.UpdatedBy
	if self && !allowSelf {
		role := "created"
		if user != a.CreatedBy {
			role = "last updated"
		}
		return Audit{}, fmt.Errorf("%w: %s was %s by %s, who may not also activate it; another user must review and activate it", ErrMakerChecker, ref, role, user)
	}
	a.ActivatedBy, a.ActivatedAt, a.SelfActivated = user, now.UTC(), self
	return a, nil
}

// InactivateAudit checks that a version with status s may be retired (a
// Draft or an Active one may) and returns its audit once Inactive.
func InactivateAudit(ref string, s Status, a Audit, user string, now time.Time) (Audit, error) {
	if s == Inactive {
		return Audit{}, fmt.Errorf("%w: %s is already inactive", ErrConflict, ref)
	}
	if user == "" {
		return Audit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	a.InactivatedBy, a.InactivatedAt = user, now.UTC()
	return a, nil
}

// ImportAudit is the audit of a version with status s brought in by an
// import: created and imported by maker, activated (or retired) by
// checker, a self-activation when they are one identity.
func ImportAudit(s Status, maker, checker string, now time.Time) Audit {
	at := now.UTC()
	a := Audit{CreatedBy: maker, CreatedAt: at, ImportedBy: maker, ImportedAt: at}
	switch s {
	case Active:
		a.ActivatedBy, a.ActivatedAt, a.SelfActivated = checker, at, checker == maker
	case Inactive:
		a.InactivatedBy, a.InactivatedAt = checker, at
	}
	return a
}

// WasActivated reports whether a version with status s and audit a was
// Active here at some time (a Draft retired, or a version imported
// Inactive, never was).
func WasActivated(s Status, a Audit) bool {
	return s == Active || (s == Inactive && (!a.ActivatedAt.IsZero() || a.ActivatedBy != ""))
}

// HandOver returns the window in which an Active version with range r
// applies: r cut short the day before the earliest effective date in
// later, the effective dates of the later versions of the same record
// that were ever activated. ok is false when nothing of r is left.
func HandOver(r domain.Range, later []domain.Date) (w domain.Range, ok bool) {
	w = r
	for _, from := range later {
		if cut := from.AddDays(-1); w.To.IsZero() || cut.Before(w.To) {
			w.To = cut
		}
	}
	return w, w.To.IsZero() || !w.To.Before(w.From)
}
