package adjudicator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
// what changed and swaps the snapshot in; on any error nothing changes.
func (e *Engine) change(ctx context.Context, fn func(c *config.Config, book *edits.Book) error) error {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	next, err := snapshotCopy(e.cfg)
	if err != nil {
		return err
	}
	book, err := edits.NewBook(next.Edits)
	if err != nil {
		return err
	}
	if err := fn(next, book); err != nil {
		return err
	}
	if err := next.Normalize(); err != nil {
		return err
	}
	next.Edits = book.All()
	snap, err := compile(next)
	if err != nil {
		return err
	}
	if e.configs != nil {
		var base *config.Config
		if !sameBase(e.cfg, next) {
			base = baseOf(next)
		}
		if err := e.configs.SaveConfig(ctx, base, changedEdits(e.cfg.Edits, next.Edits)); err != nil {
			return fmt.Errorf("saving configuration: %w", err)
		}
	}
	e.cfg = next
	e.snap.Store(snap)
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

func sameEdit(a, b edits.Edit) bool { return reflect.DeepEqual(editJSON(a), editJSON(b)) }

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
func (e *Engine) CreateDraft(ctx context.Context, ed edits.Edit, user string) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, func(_ *config.Config, b *edits.Book) (err error) {
		out, err = b.CreateDraft(ed, user, e.now())
		return err
	})
	return out, err
}

// UpdateDraft replaces a Draft version's content.
func (e *Engine) UpdateDraft(ctx context.Context, ed edits.Edit, user string) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, func(_ *config.Config, b *edits.Book) (err error) {
		out, err = b.UpdateDraft(ed, user, e.now())
		return err
	})
	return out, err
}

// Activate makes a Draft Active and swaps the new edit set in, atomically,
// while claims keep flowing. Maker-checker applies unless the PBM settings
// allow self-activation.
func (e *Engine) Activate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, func(c *config.Config, b *edits.Book) (err error) {
		out, err = b.Activate(id, version, user, e.now(), c.Settings.AllowSelfActivation)
		return err
	})
	return out, err
}

// Inactivate retires a version for good.
func (e *Engine) Inactivate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	var out edits.Edit
	err := e.change(ctx, func(_ *config.Config, b *edits.Book) (err error) {
		out, err = b.Inactivate(id, version, user, e.now())
		return err
	})
	return out, err
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
// and swaps the result in if it compiles; nothing changes otherwise. It is
// how reference data (drugs, pharmacies, networks, plans) changes at run time.
func (e *Engine) UpdateConfig(ctx context.Context, fn func(*config.Config) error) error {
	return e.change(ctx, func(c *config.Config, b *edits.Book) error {
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

// PutFamilies validates and writes families durably.
func (e *Engine) PutFamilies(ctx context.Context, fams []domain.Family) error {
	for i := range fams {
		if err := fams[i].Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	if e.configs == nil {
		return ErrNoConfigStore
	}
	// Claims of these families wait, so none is paid on a family read
	// before the change (a cancellation) and committed after it.
	ids := make([]string, len(fams))
	for i := range fams {
		ids[i] = fams[i].CardholderID
	}
	defer e.lockFamilies(ids...)()
	return e.configs.PutFamilies(ctx, fams)
}

// ImportSummary counts what an import changed.
type ImportSummary struct {
	Plans, Networks, Pharmacies, Drugs, Clients, Groups int // added or replaced
	Schedules                                           int
	EditsAdded, EditsUnchanged                          int
	Families                                            int
}

// Import merges a configuration bundle from another environment: plans,
// networks, pharmacies, drugs, schedules, clients and groups replace those with the
// same ID; edit versions arrive with their status and audit, and a version
// already here must be identical (so importing twice changes nothing).
// The whole bundle applies or none of it does.
func (e *Engine) Import(ctx context.Context, in *config.Config, user string) (ImportSummary, error) {
	var sum ImportSummary
	if user == "" {
		return sum, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	if err := in.ValidateFamilies(); err != nil {
		return sum, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	src, err := snapshotCopy(in)
	if err != nil {
		return sum, err
	}
	if err := src.Normalize(); err != nil {
		return sum, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	err = e.change(ctx, func(c *config.Config, b *edits.Book) error {
		if src.Settings.AllowSelfActivation || !reflect.DeepEqual(src.Settings, config.Settings{}) {
			c.Settings = src.Settings
		}
		sum.Clients = upsert(&c.Clients, src.Clients, func(x config.Client) string { return x.ID })
		sum.Groups = upsert(&c.Groups, src.Groups, func(x config.Group) string { return x.ID })
		sum.Plans = upsert(&c.Plans, src.Plans, func(x config.Plan) string { return x.ID })
		sum.Networks = upsert(&c.Networks, src.Networks, func(x domain.Network) string { return x.ID })
		sum.Pharmacies = upsert(&c.Pharmacies, src.Pharmacies, func(x domain.Pharmacy) string { return x.NPI })
		sum.Drugs = upsert(&c.Drugs, src.Drugs, func(x domain.Drug) string { return x.NDC })
		sum.Schedules = upsert(&c.Schedules, src.Schedules, func(x edits.Schedule) string { return x.ID })
		if err := checkGenericEquivalents(c.Drugs, src.Drugs); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		for _, ed := range src.Edits {
			changed, err := b.Import(ed, user, e.now(), sameEdit)
			if err != nil {
				return err
			}
			if changed {
				sum.EditsAdded++
			} else {
				sum.EditsUnchanged++
			}
		}
		return nil
	})
	if err != nil {
		return ImportSummary{}, err
	}
	if len(in.Families) > 0 {
		if err := e.PutFamilies(ctx, in.Families); err != nil {
			return sum, fmt.Errorf("configuration imported, families not: %w", err)
		}
		sum.Families = len(in.Families)
	}
	return sum, nil
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
	e.adminMu.Lock()
	cfg, err := snapshotCopy(e.cfg)
	e.adminMu.Unlock()
	if err != nil {
		return nil, err
	}
	book, err := edits.NewBook(cfg.Edits)
	if err != nil {
		return nil, err
	}
	for _, d := range drafts {
		ed, err := book.Get(d.ID, d.Version)
		if err != nil {
			return nil, err
		}
		if ed.Status != edits.Draft {
			return nil, fmt.Errorf("%w: %s is %s, not a draft", edits.ErrConflict, ed.Ref(), ed.Status)
		}
		if _, err := book.Activate(d.ID, d.Version, "test claim", time.Time{}, true); err != nil {
			return nil, err
		}
	}
	cfg.Edits = book.All()
	snap, err := compile(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
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
