package adjudicator

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// Prior authorizations are records of their own (PriorAuthStore), created,
// changed and ended here (the admin API and the loader's PA files), never
// deleted. The engine also reads the PAs a family record still carries
// (bundles written before PAs had records); an import moves those into
// records (SplitPriorAuths). Changes hold the family's lock, so a claim
// sees a PA either before or after a change, and PA checks (member on
// file, no overlap) cannot race each other.

// PriorAuthObject names a PA in an audit entry: its number, never the member.
func PriorAuthObject(number string) string { return "prior authorization " + number }

func (e *Engine) priorAuthStore() (PriorAuthStore, error) {
	if e.priorAuths == nil {
		return nil, ErrNoPriorAuthStore
	}
	return e.priorAuths, nil
}

// CreatePriorAuth stores a new prior authorization for a member on file,
// with audit. A PA with the same key, an unknown member, invalid terms or
// an overlap with another of the member's PAs (same type and drug) is
// refused, changing nothing.
func (e *Engine) CreatePriorAuth(ctx context.Context, pa domain.PriorAuth, audit *AuditEntry) (domain.PriorAuth, error) {
	return e.changePriorAuth(ctx, pa.Key(), audit, func(old *domain.PriorAuth) (domain.PriorAuth, error) {
		if old != nil {
			return pa, fmt.Errorf("%w: prior authorization %s already exists for the member", ErrInvalid, pa.Number)
		}
		return pa, nil
	})
}

// ChangePriorAuth replaces the terms of a stored prior authorization (its
// key stays), with audit, checked as on creation.
func (e *Engine) ChangePriorAuth(ctx context.Context, pa domain.PriorAuth, audit *AuditEntry) (domain.PriorAuth, error) {
	return e.changePriorAuth(ctx, pa.Key(), audit, func(old *domain.PriorAuth) (domain.PriorAuth, error) {
		if old == nil {
			return pa, fmt.Errorf("%w: no prior authorization %s for the member", ErrNotFound, pa.Number)
		}
		return pa, nil
	})
}

// EndPriorAuth end-dates a stored prior authorization: its termination
// becomes end, which may not be before its effective date nor after a
// termination it already has (ending only shortens). Nothing is deleted.
func (e *Engine) EndPriorAuth(ctx context.Context, key domain.PriorAuthKey, end domain.Date, audit *AuditEntry) (domain.PriorAuth, error) {
	return e.changePriorAuth(ctx, key, audit, func(old *domain.PriorAuth) (domain.PriorAuth, error) {
		if old == nil {
			return domain.PriorAuth{}, fmt.Errorf("%w: no prior authorization %s for the member", ErrNotFound, key.Number)
		}
		pa := *old
		switch {
		case end.IsZero():
			return pa, fmt.Errorf("%w: prior authorization %s: an end date is required", ErrInvalid, key.Number)
		case end.Before(pa.From):
			return pa, fmt.Errorf("%w: prior authorization %s: end %s is before its effective date %s", ErrInvalid, key.Number, end, pa.From)
		case !pa.To.IsZero() && end.After(pa.To):
			return pa, fmt.Errorf("%w: prior authorization %s already ends %s; change it to extend it", ErrInvalid, key.Number, pa.To)
		}
		pa.To = end
		return pa, nil
	})
}

// changePriorAuth runs one change of the PA with key under its family's
// lock: fn gets the stored record (nil if none) and returns the new one,
// which is validated against the family and the member's other PAs and
// written with audit.
func (e *Engine) changePriorAuth(ctx context.Context, key domain.PriorAuthKey, audit *AuditEntry, fn func(old *domain.PriorAuth) (domain.PriorAuth, error)) (domain.PriorAuth, error) {
	st, err := e.priorAuthStore()
	if err != nil {
		return domain.PriorAuth{}, err
	}
	if audit != nil {
		audit.Objects = appendObject(audit.Objects, PriorAuthObject(key.Number))
	}
	if !domain.IsAlnum(key.CardholderID, 1, 20) || !domain.IsDigits(key.PersonCode, 3, 3) || !domain.IsAlnum(key.Number, 1, 20) {
		return domain.PriorAuth{}, fmt.Errorf("%w: a prior authorization needs a cardholder ID (1 to 20 letters or digits), a 3-digit person code and a number (1 to 20 letters or digits)", ErrInvalid)
	}
	unlock, err := e.lockFamilies(ctx, key.CardholderID)
	if err != nil {
		return domain.PriorAuth{}, err
	}
	defer unlock()
	stored, err := st.PriorAuths(ctx, key.CardholderID)
	if err != nil {
		return domain.PriorAuth{}, fmt.Errorf("prior authorizations: %w", err)
	}
	var old *domain.PriorAuth
	if i := slices.IndexFunc(stored, func(p domain.PriorAuth) bool { return p.Key() == key }); i >= 0 {
		old = &stored[i]
	}
	pa, err := fn(old)
	if err != nil {
		return domain.PriorAuth{}, err
	}
	pa.CardholderID, pa.PersonCode, pa.Number, pa.Type = key.CardholderID, key.PersonCode, key.Number, pa.Kind()
	if err := e.checkPriorAuths(ctx, []domain.PriorAuth{pa}, stored); err != nil {
		return domain.PriorAuth{}, err
	}
	if audit != nil && audit.Outcome == "" {
		audit.Outcome = AuditOK
	}
	if err := st.PutPriorAuths(ctx, []domain.PriorAuth{pa}, audit); err != nil {
		return domain.PriorAuth{}, err
	}
	return pa, nil
}

// checkPriorAuths validates new records against their families (the
// member must be on file) and against each other and the stored ones of
// the same families (no overlap): every problem, by position in news,
// none naming a cardholder ID.
func (e *Engine) checkPriorAuths(ctx context.Context, news, stored []domain.PriorAuth) error {
	var ps domain.Problems
	fams := map[string]*domain.Family{}
	for i := range news {
		pa := &news[i]
		path := domain.Index("prior_authorizations", i)
		if err := pa.Validate(); err != nil {
			ps.Add(path, err)
			continue
		}
		f, ok := fams[pa.CardholderID]
		if !ok {
			var err error
			if f, err = e.store.Family(ctx, pa.CardholderID); err != nil {
				return fmt.Errorf("family lookup: %w", err)
			}
			fams[pa.CardholderID] = f
		}
		if f == nil || f.Member(pa.PersonCode) == nil {
			ps.Addf(path, "prior authorization %s: no member with this cardholder ID and person code is on file", pa.Number)
			continue
		}
		others := append(slices.Clone(news[:i]), stored...)
		for j := range others {
			o := &others[j]
			if o.Key() != pa.Key() && pa.Overlaps(o) {
				ps.Addf(path, "prior authorization %s overlaps %s (%s, %s, %s to %s)", pa.Number, o.Number, o.Kind(), o.DrugRef, o.From, openEnd(o.To))
				break
			}
		}
	}
	perMember := map[[2]string]map[string]bool{} // member → PA numbers on file once news are written
	for _, pa := range slices.Concat(stored, news) {
		m := [2]string{pa.CardholderID, pa.PersonCode}
		if perMember[m] == nil {
			perMember[m] = map[string]bool{}
		}
		perMember[m][pa.Number] = true
	}
	for _, numbers := range perMember {
		if len(numbers) > MaxPriorAuthsPerMember {
			ps.Addf("prior_authorizations", "a member may hold at most %d prior authorizations (ended ones count: change one instead)", MaxPriorAuthsPerMember)
			break
		}
	}
	if err := ps.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// MaxPriorAuthsPerMember bounds the prior authorization records one member
// may hold, so that the records a claim reads stay small.
const MaxPriorAuthsPerMember = 100

// SyncPriorAuths upserts whole prior authorization records (a loader PA
// file's batch), with audit: every record is checked first and one bad
// record refuses the batch, changing nothing. Sending a batch again
// changes nothing more.
func (e *Engine) SyncPriorAuths(ctx context.Context, pas []domain.PriorAuth, audit *AuditEntry) error {
	st, err := e.priorAuthStore()
	if err != nil {
		return err
	}
	if len(pas) == 0 {
		return nil
	}
	pas = slices.Clone(pas)
	var ids []string
	for i := range pas {
		pas[i].Type = pas[i].Kind()
		ids = append(ids, pas[i].CardholderID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	unlock, err := e.lockFamilies(ctx, ids...)
	if err != nil {
		return err
	}
	defer unlock()
	var stored []domain.PriorAuth
	for _, id := range ids {
		if !domain.IsAlnum(id, 1, 20) {
			continue // Validate reports it
		}
		s, err := st.PriorAuths(ctx, id)
		if err != nil {
			return fmt.Errorf("prior authorizations: %w", err)
		}
		stored = append(stored, s...)
	}
	for i := range pas {
		for j := range pas[:i] {
			if pas[j].Key() == pas[i].Key() {
				return fmt.Errorf("%w: prior_authorizations[%d]: prior authorization %s appears twice in the batch", ErrInvalid, i, pas[i].Number)
			}
		}
	}
	if err := e.checkPriorAuths(ctx, pas, stored); err != nil {
		return err
	}
	if audit != nil {
		audit.setDetail(fmt.Sprintf("prior authorizations %d", len(pas)))
		if audit.Outcome == "" {
			audit.Outcome = AuditOK
		}
	}
	return st.PutPriorAuths(ctx, pas, audit)
}

// PriorAuths lists a member's prior authorizations (every member's when
// personCode is empty): the records, then those the family record still
// carries and no record replaces (typed DRUG, with the member's key
// filled in and the note "family record"), by person code then number.
func (e *Engine) PriorAuths(ctx context.Context, cardholderID, personCode string) ([]domain.PriorAuth, error) {
	if !domain.IsAlnum(cardholderID, 1, 20) || personCode != "" && !domain.IsDigits(personCode, 3, 3) {
		return nil, fmt.Errorf("%w: a cardholder ID is 1 to 20 letters or digits, a person code 3 digits", ErrInvalid)
	}
	fam, err := e.store.Family(ctx, cardholderID)
	if err != nil {
		return nil, fmt.Errorf("family lookup: %w", err)
	}
	var stored []domain.PriorAuth
	if e.priorAuths != nil {
		if stored, err = e.priorAuths.PriorAuths(ctx, cardholderID); err != nil {
			return nil, fmt.Errorf("prior authorizations: %w", err)
		}
	}
	var out []domain.PriorAuth
	for _, pa := range mergePriorAuths(fam, cardholderID, stored) {
		if personCode == "" || pa.PersonCode == personCode {
			out = append(out, pa)
		}
	}
	return out, nil
}

// mergePriorAuths returns the records with the family record's own PAs
// that no record of the same key replaces, by person code then number.
func mergePriorAuths(fam *domain.Family, cardholderID string, stored []domain.PriorAuth) []domain.PriorAuth {
	out := slices.Clone(stored)
	if fam != nil {
		for _, m := range fam.Members {
			for _, pa := range m.PriorAuths {
				pa.CardholderID, pa.PersonCode, pa.Type = cardholderID, m.PersonCode, domain.PADrug
				if !slices.ContainsFunc(stored, func(s domain.PriorAuth) bool { return s.Key() == pa.Key() }) {
					pa.Note = "family record"
					out = append(out, pa)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b domain.PriorAuth) int {
		return cmp.Or(cmp.Compare(a.PersonCode, b.PersonCode), cmp.Compare(a.Number, b.Number))
	})
	return out
}

// SplitPriorAuths moves the PAs carried in families into records of
// their own: it returns copies of the families without them, and the
// records (typed DRUG). Whatever loads families from a bundle into a
// PriorAuthStore uses it (imports, a server's seed), so a later
// enrollment sync of those families leaves their PAs alone.
func SplitPriorAuths(fams []domain.Family) ([]domain.Family, []domain.PriorAuth) {
	out := slices.Clone(fams)
	var pas []domain.PriorAuth
	for i := range out {
		out[i].Members = slices.Clone(out[i].Members)
		for j := range out[i].Members {
			m := &out[i].Members[j]
			for _, pa := range m.PriorAuths {
				pa.CardholderID, pa.PersonCode, pa.Type = out[i].CardholderID, m.PersonCode, domain.PADrug
				pas = append(pas, pa)
			}
			m.PriorAuths = nil
		}
	}
	return out, pas
}

// memberPriorAuths returns the claim's member's prior authorizations for
// its drug (the records and those the family record carries), read once
// per claim, after the product step has found the drug.
func (a *adjudication) memberPriorAuths(ctx context.Context) ([]domain.PriorAuth, error) {
	if a.pasRead {
		return a.pas, nil
	}
	c := a.claim
	var stored []domain.PriorAuth
	if st := a.engine.priorAuths; st != nil {
		var err error
		if stored, err = st.PriorAuths(ctx, c.CardholderID); err != nil {
			return nil, fmt.Errorf("prior authorizations: %w", err)
		}
	}
	// Only the member's PAs for the claim's drug: every use of a PA
	// (findPriorAuth) selects by drug first, and the claim record keeps
	// these for replay, so a member's PAs for other drugs never ride along.
	for _, pa := range mergePriorAuths(a.family, c.CardholderID, stored) {
		if pa.PersonCode == c.personCode && pa.DrugRef.Matches(a.drug.NDC, a.drug.TherapeuticClass) {
			a.pas = append(a.pas, pa)
		}
	}
	a.pasRead = true
	return a.pas, nil
}

// paUsage is what a PA's earlier paid claims used.
type paUsage struct {
	fills    int
	quantity decimal.Decimal
}

// usage counts the member's paid claims that used pa within its dates,
// from the history (the claim a rebill replaces aside): each claim's commit
// files its history entry with the PA numbers it used, and a reversal
// removes it, so a fill is counted once and given back once.
func (a *adjudication) usage(ctx context.Context, pa *domain.PriorAuth) (paUsage, error) {
	c := a.claim
	to := a.today()
	if !pa.To.IsZero() && pa.To.Before(to) {
		to = pa.To
	}
	to = maxDate(to, c.dos)
	h, err := a.store.History(ctx, c.CardholderID, c.personCode, pa.From, to)
	if err != nil {
		return paUsage{}, fmt.Errorf("claim history: %w", err)
	}
	u := paUsage{quantity: decimal.Zero}
	for _, e := range h {
		if slices.Contains(e.PriorAuths, pa.Number) && (a.original == nil || e.ClaimID != a.original.ID) {
			u.fills++
			u.quantity = u.quantity.Add(e.Quantity)
		}
	}
	return u, nil
}

func maxDate(a, b domain.Date) domain.Date {
	if a.Before(b) {
		return b
	}
	return a
}

// findPriorAuth returns the member's PA of type t that covers the claim's
// drug on its date of service, has the number when one is given, fits the
// claim (fit returns why not, or "") and has fills and quantity left, with
// what it has used ("fill 2 of 3"). When none does, why says what stopped
// the last one that covered the drug ("" when none did).
func (a *adjudication) findPriorAuth(ctx context.Context, t domain.PriorAuthType, number string, fit func(*domain.PriorAuth) string) (pa *domain.PriorAuth, used, why string, err error) {
	pas, err := a.memberPriorAuths(ctx)
	if err != nil {
		return nil, "", "", err
	}
	c := a.claim
	for i := range pas {
		p := &pas[i]
		if p.Kind() != t || !p.DrugRef.Matches(a.drug.NDC, a.drug.TherapeuticClass) || number != "" && p.Number != number {
			continue
		}
		if !p.Range.Contains(c.dos) {
			why = fmt.Sprintf("prior authorization %s does not cover %s (%s to %s)", p.Number, c.dos, p.From, openEnd(p.To))
			continue
		}
		if fit != nil {
			if why = fit(p); why != "" {
				continue
			}
		}
		if used, why, err = a.limitsLeft(ctx, p); err != nil || why == "" {
			return p, used, "", err
		}
	}
	return nil, "", why, nil
}

// limitsLeft says what pa has used with this claim, or why its limits stop it.
func (a *adjudication) limitsLeft(ctx context.Context, pa *domain.PriorAuth) (used, why string, err error) {
	if !pa.Limited() {
		return "", "", nil
	}
	u, err := a.usage(ctx, pa)
	if err != nil {
		return "", "", err
	}
	qty := u.quantity.Add(a.claim.qty)
	switch {
	case pa.MaxFills > 0 && u.fills >= pa.MaxFills:
		return "", fmt.Sprintf("prior authorization %s has used its %d fills", pa.Number, pa.MaxFills), nil
	case pa.MaxTotalQuantity.IsPositive() && qty.GreaterThan(pa.MaxTotalQuantity):
		return "", fmt.Sprintf("prior authorization %s: quantity %s used, %s more exceeds its total %s", pa.Number, u.quantity, a.claim.qty, pa.MaxTotalQuantity), nil
	}
	var parts []string
	if pa.MaxFills > 0 {
		parts = append(parts, fmt.Sprintf("fill %d of %d", u.fills+1, pa.MaxFills))
	}
	if pa.MaxTotalQuantity.IsPositive() {
		parts = append(parts, fmt.Sprintf("quantity %s of %s", qty, pa.MaxTotalQuantity))
	}
	return strings.Join(parts, ", "), "", nil
}

// usePriorAuth records that the claim used pa: its history entry will
// carry the number.
func (a *adjudication) usePriorAuth(pa *domain.PriorAuth) {
	if !slices.Contains(a.paUsed, pa.Number) {
		a.paUsed = append(a.paUsed, pa.Number)
	}
}

// paText names a PA that served a claim in the trace: "prior
// authorization PA9 (quantity exception up to 60; fill 1 of 3)".
func paText(pa *domain.PriorAuth, used string) string {
	s := "prior authorization " + pa.Number + " (" + pa.Describe()
	if used != "" {
		s += "; " + used
	}
	return s + ")"
}

// unlessPriorAuth decides an edit that would reject with code: a PA of
// type t that fits the claim overrides it, and the trace says which;
// otherwise it rejects, the trace saying why a PA on file did not serve.
func (a *adjudication) unlessPriorAuth(ctx context.Context, w *edits.Compiled, t domain.PriorAuthType, code ncpdp.RejectCode, format string, args ...any) error {
	c := a.claim
	fit := func(pa *domain.PriorAuth) string {
		switch {
		case t == domain.PAQuantity && c.qty.GreaterThan(pa.MaxQuantity):
			return fmt.Sprintf("prior authorization %s allows a quantity up to %s", pa.Number, pa.MaxQuantity)
		case t == domain.PADaysSupply && c.DaysSupply > pa.MaxDaysSupply:
			return fmt.Sprintf("prior authorization %s allows a days supply up to %d", pa.Number, pa.MaxDaysSupply)
		}
		return ""
	}
	pa, used, why, err := a.findPriorAuth(ctx, t, "", fit)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf(format, args...)
	if pa != nil {
		a.usePriorAuth(pa)
		a.decide(w, "", "%s; overridden by %s", msg, paText(pa, used))
		return nil
	}
	if why != "" {
		msg += "; " + why
	}
	a.decide(w, code, "%s", msg)
	return nil
}

// tierException is part of the product step: a TIER prior authorization
// for the drug gives the claim its tier's cost share instead of the
// formulary tier's.
func (a *adjudication) tierException(ctx context.Context) error {
	pa, used, why, err := a.findPriorAuth(ctx, domain.PATier, "", nil)
	switch {
	case err != nil:
		return err
	case pa != nil:
		a.usePriorAuth(pa)
		a.trace(a.plan.ID, "tier %d instead of %d by %s", pa.Tier, a.resp.Tier, paText(pa, used))
		a.resp.Tier = pa.Tier
	case why != "":
		a.trace(a.plan.ID, "tier %d stays: %s", a.resp.Tier, why)
	}
	return nil
}
