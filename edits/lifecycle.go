package edits

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Lifecycle errors. Callers map them to their own error kinds (the server to
// gRPC status codes).
var (
	ErrNotFound     = errors.New("edit not found")
	ErrConflict     = errors.New("edit lifecycle conflict")
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
	return Edit{}, fmt.Errorf("%w: %s v%d", ErrNotFound, id, version)
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
	if user == "" {
		return Edit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	vs := b.versions[e.ID]
	if i := slices.IndexFunc(vs, func(x Edit) bool { return x.Status == Draft }); i >= 0 {
		return Edit{}, fmt.Errorf("%w: edit %s already has a draft (v%d); update it instead", ErrConflict, e.ID, vs[i].Version)
	}
	e.Version = 1
	if n := len(vs); n > 0 {
		e.Version = vs[n-1].Version + 1
	}
	e.Status = Draft
	e.Audit = Audit{CreatedBy: user, CreatedAt: now.UTC()}
	e.Provenance = nil
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
	if old.Status != Draft {
		return Edit{}, fmt.Errorf("%w: %s is %s; only a draft can change (create a new version instead)", ErrConflict, old.Ref(), old.Status)
	}
	if user == "" {
		return Edit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	e.Status = Draft
	e.Audit, e.Provenance = old.Audit, old.Provenance
	e.Audit.UpdatedBy, e.Audit.UpdatedAt = user, now.UTC()
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
	switch e.Status {
	case Active:
		return Edit{}, fmt.Errorf("%w: %s is already active", ErrConflict, e.Ref())
	case Inactive:
		return Edit{}, fmt.Errorf("%w: %s is inactive, and an inactive edit can never be re-activated", ErrConflict, e.Ref())
	}
	if user == "" {
		return Edit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	// The maker is whoever wrote the draft: its creator, and the last user
	// who replaced its content (an update replaces all of it). Either one
	// activating it would approve their own work.
	self := user == e.Audit.CreatedBy || user == e.Audit.UpdatedBy
	if self && !allowSelf {
		role := "created"
		if user != e.Audit.CreatedBy {
			role = "last updated"
		}
		return Edit{}, fmt.Errorf("%w: %s was %s by %s, who may not also activate it; another user must review and activate it", ErrMakerChecker, e.Ref(), role, user)
	}
	e.Status = Active
	e.Audit.ActivatedBy, e.Audit.ActivatedAt, e.Audit.SelfActivated = user, now.UTC(), self
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
	if e.Status == Inactive {
		return Edit{}, fmt.Errorf("%w: %s is already inactive", ErrConflict, e.Ref())
	}
	if user == "" {
		return Edit{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	e.Status = Inactive
	e.Audit.InactivatedBy, e.Audit.InactivatedAt = user, now.UTC()
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
	at := now.UTC()
	e.Audit = Audit{CreatedBy: maker, CreatedAt: at, ImportedBy: maker, ImportedAt: at}
	switch e.Status {
	case Active:
		e.Audit.ActivatedBy, e.Audit.ActivatedAt, e.Audit.SelfActivated = checker, at, checker == maker
	case Inactive:
		e.Audit.InactivatedBy, e.Audit.InactivatedAt = checker, at
	}
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
