package adjudicator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Admin errors, besides those of package edits (edits.ErrNotFound,
// edits.ErrConflict, edits.ErrMakerChecker, edits.ErrInvalid).
var ErrNoConfigStore = errors.New("adjudicator: no configuration store")

// Configuration returns a deep copy of the configuration in force (without
// families): plans, networks, pharmacies, drugs, the hierarchy and every
// edit version.
func (e *Engine) Configuration() *config.Config {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	c, _ := snapshotCopy(e.cfg)
	return c
}

// change applies fn to a copy of the configuration, compiles it, persists
// what changed with the audit entry (and whatever fn adds to the write) in
// one batch, and swaps the snapshot in; on any error nothing changes.
// Claims of the families the write carries wait until it is durable.
func (e *Engine) change(ctx context.Context, audit *AuditEntry, fn func(c *config.Config, book *edits.Book, w *ConfigWrite) error) error {
	if audit == nil {
		return fmt.Errorf("%w: a configuration change needs its audit entry (its user)", ErrInvalid)
	}
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	next, book, err := editCopy(e.cfg)
	if err != nil {
		return err
	}
	w := ConfigWrite{Audit: audit}
	if err := fn(next, book, &w); errors.Is(err, errNothingToWrite) {
		return nil
	} else if err != nil {
		return err
	}
	snap, err := finish(next, book)
	if err != nil {
		return err
	}
	snap.version = e.snap.Load().version
	if !sameConfig(e.cfg, next) {
		w.Version = e.newVersion(&ConfigVersion{Number: snap.version}, next)
		snap.version = w.Version.Number
	}
	if e.configs != nil {
		if !sameBase(e.cfg, next) {
			w.Base = baseOf(next)
		}
		w.Versions = changedEdits(e.cfg.Edits, next.Edits)
		if err := e.save(ctx, w); err != nil {
			return err
		}
	}
	e.cfg = next
	e.snap.Store(snap)
	if e.history == nil {
		e.remember(snap)
	}
	return nil
}

// errNothingToWrite, returned by a change's fn, ends the change without
// writing or changing anything, and without error.
var errNothingToWrite = errors.New("nothing to write")

// editCopy returns a copy of c (families aside) and a book of its edits.
func editCopy(c *config.Config) (*config.Config, *edits.Book, error) {
	next, err := snapshotCopy(c)
	if err != nil {
		return nil, nil, err
	}
	book, err := edits.NewBook(next.Edits)
	if err != nil {
		return nil, nil, err
	}
	return next, book, nil
}

// finish normalizes next with the book's edits and compiles it.
func finish(next *config.Config, book *edits.Book) (*snapshot, error) {
	if err := next.Normalize(); err != nil {
		return nil, err
	}
	next.Edits = book.All()
	return compile(next)
}

// save writes w durably, holding off claims of the families it carries;
// the prior authorizations the families carry are written as records.
func (e *Engine) save(ctx context.Context, w ConfigWrite) error {
	if w.Audit != nil && w.Audit.Outcome == "" {
		w.Audit.Outcome = AuditOK
	}
	if _, ok := e.configs.(PriorAuthStore); ok && len(w.Families) > 0 {
		// The families' own PAs become records, which enrollment syncs
		// of these families will not wipe.
		var pas []domain.PriorAuth
		w.Families, pas = SplitPriorAuths(w.Families)
		w.PriorAuths = append(w.PriorAuths, pas...)
	}
	if len(w.Families) > 0 {
		ids := make([]string, len(w.Families))
		for i := range w.Families {
			ids[i] = w.Families[i].CardholderID
		}
		unlock, err := e.lockFamilies(ctx, ids...)
		if err != nil {
			return err
		}
		defer unlock()
	}
	err := e.familyWrite(func(at string) error {
		if len(w.Families) > 0 {
			w.FamiliesAt = at // under the locks, as a claim's ID
		}
		return e.configs.SaveConfig(ctx, w)
	})
	if err != nil {
		return fmt.Errorf("saving configuration: %w", err)
	}
	return nil
}

func baseOf(c *config.Config) *config.Config {
	b := *c
	b.Edits, b.Families = nil, nil
	return &b
}

func sameBase(a, b *config.Config) bool {
	x, _ := json.Marshal(baseOf(a))
	y, _ := json.Marshal(baseOf(b))
	return string(x) == string(y)
}

func editJSON(e edits.Edit) string {
	b, _ := json.Marshal(e)
	return string(b)
}

// changedEdits returns the versions in next that are new or differ from prev.
func changedEdits(prev, next []edits.Edit) []edits.Edit {
	old := make(map[string]string, len(prev))
	for _, e := range prev {
		old[e.Ref()] = editJSON(e)
	}
	var out []edits.Edit
	for _, e := range next {
		if old[e.Ref()] != editJSON(e) {
			out = append(out, e)
		}
	}
	return out
}

// CreateDraft stores a new Draft: a new edit, or the next version of one.
// Its maker is audit.Subject, and audit is appended with the change.
func (e *Engine) CreateDraft(ctx context.Context, ed edits.Edit, audit *AuditEntry) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, audit, func(_ *config.Config, b *edits.Book, _ *ConfigWrite) (err error) {
		if out, err = b.CreateDraft(ed, audit.Subject, e.now()); err == nil {
			audit.Objects = appendObject(audit.Objects, EditObject(out.ID, out.Version))
		}
		return err
	})
	return out, err
}

// UpdateDraft replaces a Draft version's content.
func (e *Engine) UpdateDraft(ctx context.Context, ed edits.Edit, audit *AuditEntry) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, audit, func(_ *config.Config, b *edits.Book, _ *ConfigWrite) (err error) {
		out, err = b.UpdateDraft(ed, audit.Subject, e.now())
		return err
	})
	return out, err
}

// Activate makes a Draft Active and swaps the new edit set in, atomically,
// while claims keep flowing. The checker is audit.Subject: maker-checker
// applies unless the PBM settings allow self-activation.
func (e *Engine) Activate(ctx context.Context, id string, version int, audit *AuditEntry) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, audit, func(c *config.Config, b *edits.Book, _ *ConfigWrite) (err error) {
		out, err = b.Activate(id, version, audit.Subject, e.now(), c.PBM().AllowSelfActivation)
		if out.Audit.SelfActivated {
			audit.Detail = "self-activation (settings.allow_self_activation)"
		}
		return err
	})
	return out, err
}

// Inactivate retires a version for good.
func (e *Engine) Inactivate(ctx context.Context, id string, version int, audit *AuditEntry) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, audit, func(_ *config.Config, b *edits.Book, _ *ConfigWrite) (err error) {
		out, err = b.Inactivate(id, version, audit.Subject, e.now())
		return err
	})
	return out, err
}

// appendObject adds o to objects unless it is there already.
func appendObject(objects []string, o string) []string {
	if slices.Contains(objects, o) {
		return objects
	}
	return append(objects, o)
}

// ValidateEdit checks an edit as it would be checked on activation: on its
// own and against the configuration (the level it names, the codes it
// accepts), without storing anything.
func (e *Engine) ValidateEdit(ed edits.Edit) error {
	if ed.Version == 0 {
		ed.Version = 1
	}
	if ed.Status == "" {
		ed.Status = edits.Draft
	}
	if err := ed.Validate(); err != nil {
		return err
	}
	return e.snap.Load().checkEditRefs([]edits.Edit{ed})
}

// Edits returns every version of every edit, by ID then version.
func (e *Engine) Edits() []edits.Edit {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	b, _ := edits.NewBook(e.cfg.Edits)
	return b.All()
}

// EditVersions returns the versions of one edit.
func (e *Engine) EditVersions(id string) ([]edits.Edit, error) {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	b, _ := edits.NewBook(e.cfg.Edits)
	vs := b.Versions(id)
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: %s", edits.ErrNotFound, id)
	}
	return vs, nil
}

// UpdateConfig applies fn to a copy of the configuration (families aside)
// and swaps the result in if it compiles, writing it with audit; nothing
// changes otherwise. It is how reference data (drugs, pharmacies,
// networks, schedules) changes at run time.
func (e *Engine) UpdateConfig(ctx context.Context, audit *AuditEntry, fn func(*config.Config) error) error {
	return e.change(ctx, audit, func(c *config.Config, b *edits.Book, _ *ConfigWrite) error {
		before := editJSONs(c.Edits)
		if err := fn(c); err != nil {
			return err
		}
		if editJSONs(c.Edits) != before {
			return fmt.Errorf("%w: edits change only through the edit lifecycle", edits.ErrConflict)
		}
		return nil
	})
}

func editJSONs(list []edits.Edit) string {
	b, _ := json.Marshal(list)
	return string(b)
}

// PutFamilies validates and writes families durably, with audit.
func (e *Engine) PutFamilies(ctx context.Context, fams []domain.Family, audit *AuditEntry) error {
	for i := range fams {
		if err := fams[i].Validate(); err != nil {
			return fmt.Errorf("%w: families[%d]: %w", ErrInvalid, i, err)
		}
	}
	if e.configs == nil {
		return ErrNoConfigStore
	}
	if audit != nil && audit.Outcome == "" {
		audit.Outcome = AuditOK
	}
	// Claims of these families wait, so none is paid on a family read
	// before the change (a cancellation) and committed after it.
	ids := make([]string, len(fams))
	for i := range fams {
		ids[i] = fams[i].CardholderID
	}
	unlock, err := e.lockFamilies(ctx, ids...)
	if err != nil {
		return err
	}
	defer unlock()
	return e.familyWrite(func(at string) error { return e.configs.PutFamilies(ctx, at, fams, audit) })
}

// ImportSummary counts what an import changed, or would change.
type ImportSummary struct {
	// Added or replaced.
	Plans      int `json:"plans"`
	Networks   int `json:"networks"`
	Pharmacies int `json:"pharmacies"`
	Drugs      int `json:"drugs"`
	Clients    int `json:"clients"`
	Groups     int `json:"groups"`
	Schedules  int `json:"schedules"`
	// Edit versions added, and those already here with the same content.
	EditsAdded     int `json:"edits_added"`
	EditsUnchanged int `json:"edits_unchanged"`
	// EditsActivated counts the added versions that arrive Active.
	EditsActivated int `json:"edits_activated"`
	Families       int `json:"families"`
	// Settings lists the PBM settings the import changes, each as
	// "name: old → new" (allow_self_activation among them).
	Settings []string `json:"settings,omitempty"`
	// objects are the audit objects the import touches: each edit version
	// it adds, and the PBM settings when it changes them.
	objects []string
}

// SettingsObject names the PBM settings as an audit object.
const SettingsObject = "settings"

// changes reports whether the import changes anything.
func (s ImportSummary) changes() bool {
	return s.Plans+s.Networks+s.Pharmacies+s.Drugs+s.Clients+s.Groups+s.Schedules+s.EditsAdded+s.Families > 0 || len(s.Settings) > 0
}

// String is the summary in counts, for the audit trail.
func (s ImportSummary) String() string {
	out := fmt.Sprintf("plans %d, networks %d, pharmacies %d, drugs %d, clients %d, groups %d, schedules %d, "+
		"edits %d added (%d active) %d unchanged, families %d",
		s.Plans, s.Networks, s.Pharmacies, s.Drugs, s.Clients, s.Groups, s.Schedules,
		s.EditsAdded, s.EditsActivated, s.EditsUnchanged, s.Families)
	if len(s.Settings) > 0 {
		out += "; settings " + strings.Join(s.Settings, ", ")
	}
	return out
}

// Import merges a configuration bundle at once, with audit.Subject as both
// maker and checker of what it activates: the startup import of the
// bundle the deployment names (--config). Bundles sent over the API go
// through ProposeImport and ApproveImport, which take two people.
func (e *Engine) Import(ctx context.Context, in *config.Config, audit *AuditEntry) (ImportSummary, error) {
	if audit.subject() == "" {
		return ImportSummary{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	var sum ImportSummary
	err := e.change(ctx, audit, func(c *config.Config, b *edits.Book, w *ConfigWrite) (err error) {
		sum, err = applyImport(c, b, w, in, importRoles{maker: audit.Subject, checker: audit.Subject}, e.now())
		return err
	})
	if err != nil {
		return ImportSummary{}, err
	}
	return sum, nil
}

// importRoles are who made and who approved an import.
type importRoles struct{ maker, checker string }

// applyImport merges bundle in into c and b and adds its families to w:
// plan and network versions arrive as config.ImportPlans and
// ImportNetworks say (a different Active or Inactive version under a
// number already here is refused); pharmacies, drugs, schedules, clients
// and groups replace those with the same ID; PBM settings, when the bundle sets any, replace
// these; edit versions arrive as edits.Book.Import says (the bundle's
// audit kept as provenance); families replace those with the same
// cardholder ID. w.Audit's detail counts what changed.
func applyImport(c *config.Config, b *edits.Book, w *ConfigWrite, in *config.Config, r importRoles, now time.Time) (ImportSummary, error) {
	src, err := importSource(in)
	if err != nil {
		return ImportSummary{}, err
	}
	sum, err := merge(c, b, src, r, now)
	if err != nil {
		return ImportSummary{}, err
	}
	w.Families, sum.Families = in.Families, len(in.Families)
	w.Audit.Detail = sum.String()
	for _, o := range sum.objects {
		w.Audit.Objects = appendObject(w.Audit.Objects, o)
	}
	return sum, nil
}

// importSource validates a bundle's families and returns its normalized
// copy.
func importSource(in *config.Config) (*config.Config, error) {
	if err := in.ValidateFamilies(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	src, err := snapshotCopy(in)
	if err != nil {
		return nil, err
	}
	if err := src.Normalize(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return src, nil
}

// merge applies src to c and b and counts what changed.
func merge(c *config.Config, b *edits.Book, src *config.Config, r importRoles, now time.Time) (sum ImportSummary, err error) {
	before := c.PBM()
	var settings int
	if settings, sum.Clients, sum.Groups, err = c.ImportHierarchy(src, r.maker, r.checker, now); err != nil {
		return ImportSummary{}, err
	}
	if settings > 0 {
		sum.Settings = settingChanges(before, c.PBM())
		if len(sum.Settings) == 0 { // versions not in force now: Drafts, later dates
			sum.Settings = []string{fmt.Sprintf("%d version(s) added or changed, none of them in force now", settings)}
		}
	}
	if sum.Plans, err = c.ImportPlans(src.Plans, r.maker, r.checker, now); err != nil {
		return ImportSummary{}, err
	}
	if sum.Networks, err = c.ImportNetworks(src.Networks, r.maker, r.checker, now); err != nil {
		return ImportSummary{}, err
	}
	sum.Pharmacies = upsert(&c.Pharmacies, src.Pharmacies, func(x domain.Pharmacy) string { return x.NPI })
	sum.Drugs = upsert(&c.Drugs, src.Drugs, func(x domain.Drug) string { return x.NDC })
	if sum.Schedules, err = c.ImportSchedules(src.Schedules, r.maker, r.checker, now); err != nil {
		return ImportSummary{}, err
	}
	if err := checkGenericEquivalents(c.Drugs, src.Drugs); err != nil {
		return ImportSummary{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for _, ed := range src.Edits {
		changed, err := b.Import(ed, r.maker, r.checker, now)
		switch {
		case err != nil:
			return sum, err
		case !changed:
			sum.EditsUnchanged++
			continue
		}
		sum.EditsAdded++
		sum.objects = append(sum.objects, EditObject(ed.ID, ed.Version))
		if ed.Status == edits.Active {
			sum.EditsActivated++
		}
	}
	if err := oneEditDraft(b, src.Edits); err != nil {
		return sum, err
	}
	if len(sum.Settings) > 0 {
		sum.objects = append(sum.objects, SettingsObject)
	}
	return sum, nil
}

// oneEditDraft refuses an import that leaves an edit it brings with two
// Draft versions, as CreateDraft refuses a second draft (and as
// config.ImportPlans and the others refuse one of a plan, network or
// settings record).
func oneEditDraft(b *edits.Book, imported []edits.Edit) error {
	touched := map[string]bool{}
	for _, ed := range imported {
		touched[ed.ID] = true
	}
	drafts := map[string][]string{}
	for _, ed := range b.All() {
		if touched[ed.ID] && ed.Status == edits.Draft {
			drafts[ed.ID] = append(drafts[ed.ID], ed.Ref())
		}
	}
	for _, id := range slices.Sorted(maps.Keys(drafts)) {
		if refs := drafts[id]; len(refs) > 1 {
			return fmt.Errorf("%w: the import would leave %s all drafts; a record has at most one draft: bring the draft here under its number to replace it",
				edits.ErrConflict, strings.Join(refs, ", "))
		}
	}
	return nil
}

// settingChanges lists the PBM settings that differ between old and new
// (the latest Active versions before and after), each as "name: old →
// new", by name; their audits aside.
func settingChanges(old, new config.Settings) []string {
	old.Audit, new.Audit = edits.Audit{}, edits.Audit{}
	var a, b map[string]any
	x, _ := json.Marshal(old)
	y, _ := json.Marshal(new)
	_ = json.Unmarshal(x, &a)
	_ = json.Unmarshal(y, &b)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(union(a, b))) {
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, fmt.Sprintf("%s: %s → %s", k, settingValue(a[k]), settingValue(b[k])))
		}
	}
	return out
}

func union(a, b map[string]any) map[string]any {
	u := maps.Clone(b)
	if u == nil {
		u = map[string]any{}
	}
	maps.Copy(u, a)
	return u
}

// settingValue prints a setting's JSON value; an unset one is "unset"
// (allow_self_activation unset is false).
func settingValue(v any) string {
	if v == nil {
		return "unset"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// upsert replaces the items of *dst with the same key as an item of src,
// appends the others, and returns how many differed from what was there.
func upsert[T any](dst *[]T, src []T, key func(T) string) int {
	at := make(map[string]int, len(*dst))
	for i, x := range *dst {
		at[key(x)] = i
	}
	n := 0
	for _, x := range src {
		if i, ok := at[key(x)]; ok {
			if !reflect.DeepEqual((*dst)[i], x) {
				(*dst)[i] = x
				n++
			}
			continue
		}
		at[key(x)] = len(*dst)
		*dst = append(*dst, x)
		n++
	}
	return n
}

// EditRef names one edit version.
type EditRef struct {
	ID      string
	Version int
}

// TestClaim adjudicates a claim against the Active configuration plus the
// given Draft versions, as though they were active, and returns the full
// response and trace without writing anything. A claim whose key is
// already paid is re-adjudicated as a rebill would be.
func (e *Engine) TestClaim(ctx context.Context, c *Claim, drafts []EditRef) (*Response, error) {
	snap, _, err := e.draftSnapshot(editDrafts(drafts), "test claim")
	if err != nil {
		return nil, err
	}
	return e.adjudicate(ctx, snap, c, testClaimSteps)
}

// MemberClaims returns a member's paid claims with dates of service from
// from to to, oldest first: what a retroactive eligibility change affects.
func (e *Engine) MemberClaims(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]*ClaimRecord, error) {
	reader, ok := e.store.(ClaimReader)
	if !ok {
		return nil, errors.New("adjudicator: the store cannot read claims by ID")
	}
	hist, err := e.store.History(ctx, cardholderID, personCode, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]*ClaimRecord, 0, len(hist))
	for _, h := range hist {
		rec, err := reader.Claim(h.ClaimID)
		if err != nil {
			return nil, err
		}
		if rec != nil && rec.Paid() {
			out = append(out, rec)
		}
	}
	return out, nil
}
