package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Dated is what every versioned configuration record analysts author
// (plans, networks) carries besides its content: its number, its status in
// the lifecycle of DOMAIN.md §3 and the dates it is in force. Both dates
// are optional: a version without them is in force on every date. A record
// in a bundle without version or status is version 1, Active.
type Dated struct {
	Version     int          `json:"version,omitempty"` // 1 when unset
	Status      edits.Status `json:"status,omitempty"`  // ACTIVE when unset
	Effective   domain.Date  `json:"effective,omitzero"`
	Termination domain.Date  `json:"termination,omitzero"`
}

// Range is when the version is in force, before a later version takes over;
// an unset effective date is open towards the past.
func (d *Dated) Range() domain.Range { return domain.Range{From: d.Effective, To: d.Termination} }

// validate adds the problems of the version's number, status and dates to ps.
func (d *Dated) validate(ps *domain.Problems) {
	if d.Version < 0 {
		ps.Addf("version", "version %d is not positive", d.Version)
	}
	switch d.Status {
	case "", edits.Draft, edits.Active, edits.Inactive:
	default:
		ps.Addf("status", "status %q must be DRAFT, ACTIVE or INACTIVE", d.Status)
	}
	if !d.Termination.IsZero() && d.Termination.Before(d.Effective) {
		ps.Addf("termination", "termination %s is before effective %s", d.Termination, d.Effective)
	}
}

// normalize makes a version without number version 1, and one without
// status Active, activated by the configuration.
func (d *Dated) normalize(a *edits.Audit) {
	if d.Version == 0 {
		d.Version = 1
	}
	if d.Status == "" {
		d.Status = edits.Active
		if *a == (edits.Audit{}) {
			*a = edits.Audit{CreatedBy: "configuration", ActivatedBy: "configuration"}
		}
	}
}

// versioned is a versioned record: a *Plan, *Network, *Schedule or the
// settings of a level.
type versioned[T any] interface {
	*T
	Ref() string // "plan PPO v2"
	key() string // the record's ID
	dated() *Dated
	audit() *edits.Audit
}

// Versions of one kind of record in a slice of the configuration. The
// functions below apply the lifecycle's transitions (edits.DraftAudit,
// edits.ActivateAudit, ...) to them, and fail with the edits package's
// errors (edits.ErrNotFound, edits.ErrConflict, edits.ErrMakerChecker,
// edits.ErrInvalid), changing nothing.

// versionsOf returns the versions of record id in list, by version.
func versionsOf[T any, P versioned[T]](list []T, id string) []T {
	var out []T
	for i := range list {
		if P(&list[i]).key() == id {
			out = append(out, list[i])
		}
	}
	slices.SortFunc(out, func(a, b T) int { return P(&a).dated().Version - P(&b).dated().Version })
	return out
}

func versionAt[T any, P versioned[T]](list []T, noun, id string, version int) (int, error) {
	i := slices.IndexFunc(list, func(x T) bool { return P(&x).key() == id && P(&x).dated().Version == version })
	if i < 0 {
		return -1, fmt.Errorf("%w: %s %s v%d", edits.ErrNotFound, noun, id, version)
	}
	return i, nil
}

// createDraft adds x as a Draft: version 1 of a new record or the next
// version of an existing one. A record has at most one Draft at a time.
func createDraft[T any, P versioned[T]](list *[]T, noun string, x T, user string, now time.Time) (T, error) {
	p := P(&x)
	vs := versionsOf[T, P](*list, p.key())
	draft := 0
	if i := slices.IndexFunc(vs, func(v T) bool { return P(&v).dated().Status == edits.Draft }); i >= 0 {
		draft = P(&vs[i]).dated().Version
	}
	audit, err := edits.DraftAudit(noun+" "+p.key(), draft, user, now)
	if err != nil {
		var zero T
		return zero, err
	}
	d := p.dated()
	d.Version = 1
	if n := len(vs); n > 0 {
		d.Version = P(&vs[n-1]).dated().Version + 1
	}
	d.Status, *p.audit() = edits.Draft, audit
	*list = append(*list, x)
	return x, nil
}

// updateDraft replaces the content of the Draft version x names; its
// creator stays.
func updateDraft[T any, P versioned[T]](list *[]T, noun string, x T, user string, now time.Time) (T, error) {
	var zero T
	p := P(&x)
	i, err := versionAt[T, P](*list, noun, p.key(), p.dated().Version)
	if err != nil {
		return zero, err
	}
	old := P(&(*list)[i])
	audit, err := edits.UpdateAudit(old.Ref(), old.dated().Status, *old.audit(), user, now)
	if err != nil {
		return zero, err
	}
	p.dated().Status, *p.audit() = edits.Draft, audit
	(*list)[i] = x
	return x, nil
}

// activate makes a Draft version Active, maker-checker applying unless
// allowSelf. A version that would hide an Active version of the record
// entirely (its effective date not after that version's, or that
// version's not after its own while numbered later) is refused: Active
// versions hand over by date, and each keeps some dates.
func activate[T any, P versioned[T]](list *[]T, noun, id string, version int, user string, now time.Time, allowSelf bool) (T, error) {
	var zero T
	i, err := versionAt[T, P](*list, noun, id, version)
	if err != nil {
		return zero, err
	}
	x := (*list)[i]
	p := P(&x)
	audit, err := edits.ActivateAudit(p.Ref(), noun+" version", p.dated().Status, *p.audit(), user, now, allowSelf)
	if err != nil {
		return zero, err
	}
	for _, o := range versionsOf[T, P](*list, id) {
		if od := P(&o).dated(); od.Status == edits.Active && overlaps(od, p.dated()) {
			return zero, fmt.Errorf("%w: %s (effective %s) overlaps active %s (effective %s): a later version must take effect after every earlier one; inactivate %s first or date the draft later",
				edits.ErrConflict, p.Ref(), openStart(p.dated().Effective), P(&o).Ref(), openStart(od.Effective), P(&o).Ref())
		}
	}
	p.dated().Status, *p.audit() = edits.Active, audit
	(*list)[i] = x
	return x, nil
}

// inactivate retires a Draft or Active version for good. Claims already
// adjudicated under it keep their answers (they record the configuration
// version they ran under); later claims of its dates find no version in
// force, unless an earlier one is still in force then.
func inactivate[T any, P versioned[T]](list *[]T, noun, id string, version int, user string, now time.Time) (T, error) {
	var zero T
	i, err := versionAt[T, P](*list, noun, id, version)
	if err != nil {
		return zero, err
	}
	x := (*list)[i]
	p := P(&x)
	audit, err := edits.InactivateAudit(p.Ref(), p.dated().Status, *p.audit(), user, now)
	if err != nil {
		return zero, err
	}
	p.dated().Status, *p.audit() = edits.Inactive, audit
	(*list)[i] = x
	return x, nil
}

// checkVersions reports each pair of Active versions of one record in list
// that overlap (activate refuses them; a bundle may not bring them either)
// and each version that appears twice; field names list in the paths.
func checkVersions[T any, P versioned[T]](list []T, field string) error {
	var ps domain.Problems
	seen := map[string]bool{}
	for i := range list {
		p, path := P(&list[i]), domain.Index(field, i)
		if seen[p.Ref()] {
			ps.Addf(path, "%s appears twice", p.Ref())
			continue
		}
		seen[p.Ref()] = true
		for j := range list[:i] {
			o := P(&list[j])
			if o.key() == p.key() && o.dated().Status == edits.Active && p.dated().Status == edits.Active && overlaps(o.dated(), p.dated()) {
				ps.Addf(path, "%s overlaps active %s: a later version must take effect after every earlier one", p.Ref(), o.Ref())
			}
		}
	}
	return ps.Err()
}

// overlaps reports whether two versions of a record cannot hand over by
// date: the later-numbered one must take effect after the earlier one.
func overlaps(a, b *Dated) bool {
	if a.Version > b.Version {
		a, b = b, a
	}
	return a.Version != b.Version && !b.Effective.After(a.Effective)
}

// InForce pairs an Active version with the dates it is in force.
type InForce[T any] struct {
	Version *T
	Window  domain.Range
}

// VersionsInForce returns, for each record ID of list, its Active versions
// with the windows in which they are in force: versions hand over by date
// (edits.HandOver) among those ever activated, so inactivating a later
// version never re-extends an earlier one. Every ID of list is a key,
// whatever its versions' statuses. The pointers point into list.
func VersionsInForce[T any, P versioned[T]](list []T) map[string][]InForce[T] {
	out := make(map[string][]InForce[T], len(list))
	byID := map[string][]P{}
	for i := range list {
		p := P(&list[i])
		if _, ok := out[p.key()]; !ok {
			out[p.key()] = nil
		}
		if edits.WasActivated(p.dated().Status, *p.audit()) {
			byID[p.key()] = append(byID[p.key()], p)
		}
	}
	for id, vs := range byID {
		slices.SortFunc(vs, func(a, b P) int { return a.dated().Version - b.dated().Version })
		for i, p := range vs {
			if p.dated().Status != edits.Active {
				continue
			}
			var later []domain.Date
			for _, l := range vs[i+1:] {
				later = append(later, l.dated().Effective)
			}
			if w, ok := edits.HandOver(p.dated().Range(), later); ok {
				out[id] = append(out[id], InForce[T]{Version: (*T)(p), Window: w})
			}
		}
	}
	return out
}

// importVersions puts the versions of src (normalized) into *list. A
// version new here is added, and one identical to the version here with
// the same number (whatever their audits) is left alone, so importing
// twice changes nothing. A differing version replaces a Draft here; an
// Active or Inactive version never changes, so an import that brings a
// different one under its number is refused (edits.ErrConflict) and
// nothing is imported: the bundle must give it a new number. The one
// exception is a bundle's own record (bundleOwn): the only version of its
// ID, undated, version 1, replaced by another such. A version
// that arrives gets this environment's audit (edits.ImportAudit): created
// by maker, activated or retired by checker. It returns how many versions
// changed.
func importVersions[T any, P versioned[T]](list *[]T, src []T, maker, checker string, now time.Time) (int, error) {
	n := 0
	for _, x := range src {
		p := P(&x)
		i := slices.IndexFunc(*list, func(o T) bool { return P(&o).key() == p.key() && P(&o).dated().Version == p.dated().Version })
		if i < 0 && len(versionsOf[T, P](*list, p.key())) == 0 && !edits.ValidID(p.key()) {
			// A new ID must be a plain one; one already here stays usable.
			return 0, invalidRecord(fmt.Sprintf("%s: id must be 1 to 64 letters, digits, '-', '_' or '.'", domain.Quote(p.key())))
		}
		if i >= 0 {
			here := P(&(*list)[i])
			if sameVersion[T, P]((*list)[i], x) {
				continue
			}
			if s := here.dated().Status; s != edits.Draft && !bundleOwn[T, P](*list, here, p) {
				return 0, fmt.Errorf("%w: %s is %s here and the import brings a different %s under its number; an active or inactive version never changes: give the imported version a new number",
					edits.ErrConflict, here.Ref(), s, here.Ref())
			}
		}
		*p.audit() = edits.ImportAudit(p.dated().Status, maker, checker, now)
		if i >= 0 {
			(*list)[i] = x
		} else {
			*list = append(*list, x)
		}
		n++
	}
	for _, x := range src {
		if err := oneDraft[T, P](*list, P(&x).key()); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// syncUndated applies a loader file's records, which carry no versions,
// to list. A record not configured yet arrives as version 1, Active, in
// force on every date; one with that single version gets the file's
// content. Any other record (dated, with several versions, or whose one
// version is not Active) changes only through its lifecycle (how), so a
// file naming one is refused (edits.ErrConflict) and nothing changes.
func syncUndated[T any, P versioned[T]](list *[]T, in []T, noun, what, how string) error {
	for i := range in {
		id := P(&in[i]).key()
		if vs := versionsOf[T, P](*list, id); len(vs) > 1 || len(vs) == 1 && !undatedOne(P(&vs[0]).dated()) {
			return fmt.Errorf("%w: %s %s has versions of its own (dated, several, or not Active); %s change through its lifecycle (%s), not the %s file",
				edits.ErrConflict, noun, id, what, how, noun)
		}
	}
	for _, x := range in {
		p := P(&x)
		i, err := versionAt[T, P](*list, noun, p.key(), 1)
		if err != nil { // new here
			p.dated().normalize(p.audit())
			*list = append(*list, x)
			continue
		}
		here := P(&(*list)[i])
		*p.dated(), *p.audit() = *here.dated(), *here.audit()
		(*list)[i] = x
	}
	return nil
}

// oneDraft refuses a second Draft version of a record, as createDraft
// does: a record has at most one draft, which is updated in place.
func oneDraft[T any, P versioned[T]](list []T, id string) error {
	var drafts []string
	for _, v := range versionsOf[T, P](list, id) {
		if p := P(&v); p.dated().Status == edits.Draft {
			drafts = append(drafts, p.Ref())
		}
	}
	if len(drafts) > 1 {
		return fmt.Errorf("%w: the import would leave %s all drafts; a record has at most one draft: bring the draft here under its number to replace it",
			edits.ErrConflict, strings.Join(drafts, ", "))
	}
	return nil
}

// bundleOwn reports whether here and x are both the only, undated,
// Active version 1 of their ID: the form a bundle without versions gives
// (so did every bundle before records had versions). A bundle's own
// record is replaced in place by an import, as the loader's network file
// replaces it: it hands over to no other version by date, and past claims
// keep their answers through the configuration version each records.
func bundleOwn[T any, P versioned[T]](list []T, here, x P) bool {
	return undatedOne(here.dated()) && undatedOne(x.dated()) && len(versionsOf[T, P](list, here.key())) == 1
}

// undatedOne reports whether d is version 1, Active, in force on every
// date: a record as a bundle or a loader file without versions gives it.
func undatedOne(d *Dated) bool {
	return d.Version == 1 && d.Status == edits.Active && d.Effective.IsZero() && d.Termination.IsZero()
}

// sameVersion reports whether two versions say the same thing with the
// same status, whatever their audit.
func sameVersion[T any, P versioned[T]](a, b T) bool {
	*P(&a).audit(), *P(&b).audit() = edits.Audit{}, edits.Audit{}
	return reflect.DeepEqual(a, b)
}

func openStart(d domain.Date) string {
	if d.IsZero() {
		return "always"
	}
	return d.String()
}
