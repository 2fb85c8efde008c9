package adjudicator

import (
	"context"
	"fmt"
	"slices"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// Reject codes used by more than one step.
const (
	ncpdpDuplicatePaid = ncpdp.RejectDuplicatePaidCapturedClaim
	ncpdpNotPaid       = ncpdp.RejectClaimHasNotBeenPaidCaptured
)

// Basis of reimbursement [522-FM] values the pricing step reports, with
// their NCPDP names (External Code List, 522-FM values 00 to 21). The list
// has no value for "gross amount due": a claim paid at the pharmacy's gross
// amount due is paid as submitted, 01.
const (
	basisAsSubmitted = "01" // Ingredient Cost Paid as Submitted
	basisAWPLess     = "03" // Ingredient Cost Reduced to AWP Less X% Pricing
	basisUC          = "04" // Usual & Customary Paid as Submitted
	basisMACPaid     = "06" // MAC Pricing Ingredient Cost Paid: MAC applies, the submitted cost is below it
	basisMAC         = "07" // MAC Pricing Ingredient Cost Reduced to MAC
	basisGross       = basisAsSubmitted
)

// adjudication carries one transaction through the steps of its pipeline.
type adjudication struct {
	engine    *Engine
	snap      *snapshot
	store     Store
	submitted *Claim      // the claim as submitted (bill, rebill, test claim)
	rev       *Reversal   // the reversal as submitted (B2)
	audit     *AuditEntry // written with the reversal an enrollment operator asked for
	retro     *retroTurn  // a retro job's re-bill (retro.go)
	resp      *Response
	docs      *docSet
	step      string // the name of the step running, which the trace shows
	untraced  bool   // no trace is kept: a dry run reports none
	// reparse, when set, is a dry run's parse of the claim, kept from its
	// first pass to its second: syntax copies it when ok, else fills it.
	reparse *claimParse
	day     domain.Date // the day the claim reads (today), zero until read

	key            ClaimKey
	hash           string
	unlockKey      func()
	unlockFamilies func()
	wait           func() error // the applied commit's wait for durability (Applier)

	route       *route // the claim's BIN/PCN route; nil when routing is off
	claim       *parsedClaim
	original    *ClaimRecord // the paid claim a rebill replaces or a reversal reverses
	family      *domain.Family
	member      *domain.Member
	plan        *compiledPlan
	path        *path
	facts       edits.Facts
	sel         edits.Selection
	hist        []HistoryEntry     // loaded on first use
	pas         []domain.PriorAuth // the member's prior authorizations, loaded on first use
	pasRead     bool
	paUsed      []string       // the numbers of the prior authorizations the claim used
	famHist     []HistoryEntry // the other family members' history, loaded on first use
	network     *config.Network
	segment     domain.Segment
	drug        *compiledDrug
	price       *domain.DrugPrice
	period      domain.Date
	penaltyBase decimal.Decimal // brand ingredient paid less MAC, when a penalty applies

	acc             accumulators.Docs // the member's and family's documents for the period
	afterDeductible decimal.Decimal   // the allowed amount less the deductible
	memberShare     decimal.Decimal   // what counts toward the out-of-pocket maximum
	contributions   []accumulators.Contribution
}

// The steps whose checks the eligibility inquiry (E1) shares.
const (
	stepEligibility = "eligibility"
	stepPharmacy    = "pharmacy"
)

// eligibility is step 3: the cardholder (under the claim's BIN/PCN route),
// person code, date of birth, group and coverage on the date of service.
// Untraced (a dry run's), it leaves out the trace of a covered member,
// whose arguments cost allocations on every claim.
func eligibility(s *snapshot, r *Response, rt *route, fam *domain.Family, personCode string, dob domain.Date, group string, dos domain.Date,
	untraced bool) (*domain.Member, *compiledPlan, bool) {
	if fam == nil {
		r.reject(ncpdp.RejectNonMatchedCardholderID)
		r.trace(stepEligibility, "", "", "no family with this cardholder ID")
		return nil, nil, false
	}
	if !rt.reaches(s, r, fam, group) {
		return nil, nil, false
	}
	m := fam.Member(personCode)
	if m == nil {
		r.reject(ncpdp.RejectNonMatchedPersonCode)
		r.trace(stepEligibility, "", "", "person code %s is not on the family", personCode)
		return nil, nil, false
	}
	if m.DateOfBirth != dob {
		r.reject(ncpdp.RejectMIDateOfBirth)
		r.trace(stepEligibility, "", "", "date of birth does not match the member on file")
		return nil, nil, false
	}
	if group != "" && group != fam.GroupID {
		r.reject(ncpdp.RejectMIGroupID)
		r.trace(stepEligibility, "", "", "group %s does not match the member's group", group)
		return nil, nil, false
	}
	before, after := false, false
	for _, cov := range m.Coverages {
		switch {
		case cov.Contains(dos):
			p, known := s.planOn(cov.PlanID, dos)
			if p == nil {
				planNotInForce(s, r, cov.PlanID, known, dos)
				return nil, nil, false
			}
			r.PlanID = p.ID
			if untraced {
				return m, p, true
			}
			r.trace(stepEligibility, p.ID, "", "covered %s to %s", cov.From, openEnd(cov.To))
			if len(s.plans[p.ID]) > 1 || p.Version > 1 {
				r.trace(stepEligibility, p.ID, "", "plan version %d, in force %s to %s", p.Version, openStart(p.window.From), openEnd(p.window.To))
			}
			return m, p, true
		case dos.Before(cov.From):
			before = true
		default:
			after = true
		}
	}
	switch {
	case before && !after:
		r.reject(ncpdp.RejectFilledBeforeCoverageEffective)
		r.trace(stepEligibility, "", "", "date of service is before the coverage starts")
	case after && !before:
		r.reject(ncpdp.RejectFilledAfterCoverageTerminated)
		r.trace(stepEligibility, "", "", "date of service is after the coverage ended")
	default:
		r.reject(ncpdp.RejectPatientIsNotCovered)
		r.trace(stepEligibility, "", "", "no coverage on the date of service")
	}
	return nil, nil, false
}

// planNotInForce rejects a claim whose coverage names a plan with no
// version in force on the date of service: 67 before the plan's first
// version takes effect, 68 after its last one ends, 65 otherwise (a plan
// not configured, or a gap between versions).
func planNotInForce(s *snapshot, r *Response, id string, known bool, dos domain.Date) {
	if !known {
		r.reject(ncpdp.RejectPatientIsNotCovered)
		r.trace(stepEligibility, id, "", "coverage names a plan that is not configured")
		return
	}
	before, after := len(s.plans[id]) > 0, len(s.plans[id]) > 0
	for _, v := range s.plans[id] {
		before = before && dos.Before(v.window.From)
		after = after && !v.window.To.IsZero() && dos.After(v.window.To)
	}
	switch {
	case before:
		r.reject(ncpdp.RejectFilledBeforeCoverageEffective)
		r.trace(stepEligibility, id, "", "date of service is before the plan's first version takes effect")
	case after:
		r.reject(ncpdp.RejectFilledAfterCoverageExpired)
		r.trace(stepEligibility, id, "", "date of service is after the plan's last version ends")
	default:
		r.reject(ncpdp.RejectPatientIsNotCovered)
		r.trace(stepEligibility, id, "", "no active version of the plan is in force on the date of service")
	}
}

func openStart(d domain.Date) string {
	if d.IsZero() {
		return "open"
	}
	return d.String()
}

func openEnd(d domain.Date) string {
	if d.IsZero() {
		return "open"
	}
	return d.String()
}

// pharmacyNetwork is step 4: the pharmacy's participation in one of the
// plan's networks on the date of service gives the claim its segment.
// In-network beats out-of-network; a Retail90 network is preferred from the
// plan's Retail90 days supply on, a plain one below it. Untraced, it
// leaves out the trace of the network found.
func pharmacyNetwork(s *snapshot, r *Response, p *compiledPlan, npi string, dos domain.Date, days, retail90MinDays int,
	untraced bool) (*config.Network, domain.Segment, bool) {
	ph := s.pharmacies[npi]
	if ph == nil {
		r.reject(ncpdp.RejectNonMatchedPharmacyNumber)
		r.trace(stepPharmacy, "", "", "pharmacy is not on file")
		return nil, domain.Segment{}, false
	}
	var best *config.Network
	var bestClass domain.NetworkClass
	bestScore := -1
	for _, pt := range ph.Participations {
		class, inPlan := p.networks[pt.Network]
		if !inPlan || !pt.Contains(dos) {
			continue
		}
		n := s.networkOn(pt.Network, dos)
		if n == nil {
			continue // no version of the network's terms is in force on the date
		}
		score := 0
		if class == domain.InNetwork {
			score += 2
		}
		if (n.Type == domain.Retail90) == (days >= retail90MinDays) {
			score++
		}
		if score > bestScore {
			best, bestClass, bestScore = n, class, score
		}
	}
	if best == nil {
		r.reject(ncpdp.RejectPharmacyNotContractedWithPlanOnDateOfService)
		r.trace(stepPharmacy, "", "", "pharmacy has no contract in the plan's networks on the date of service")
		return nil, domain.Segment{}, false
	}
	seg := domain.Segment{Type: best.Type, Class: bestClass}
	r.NetworkType, r.NetworkClass = seg.Type.String(), seg.Class.String()
	switch {
	case untraced:
	case best.Version == 1:
		r.trace(stepPharmacy, best.ID, "", "network %s", seg)
	default:
		r.trace(stepPharmacy, best.ID, "", "network %s, terms version %d", seg, best.Version)
	}
	return best, seg, true
}

// product is step 5: the drug, its price on the date, exclusions and the
// formulary tier.
func (a *adjudication) product(ctx context.Context) error {
	c, r := a.claim, a.resp
	d := a.snap.drugs[c.ndc]
	if d == nil {
		r.reject(ncpdp.RejectNonMatchedProductServiceIDNumber)
		a.trace("", "NDC %s is not in the drug catalog", c.ndc)
		return nil
	}
	a.drug = d
	r.BrandClass = d.brandClass.String()
	if a.price = d.priceOn(c.dos); a.price == nil {
		r.reject(ncpdp.RejectNonMatchedProductServiceIDNumber)
		a.trace("", "NDC %s has no price on the date of service", c.ndc)
		return nil
	}
	if a.plan.excluded(d) {
		r.reject(ncpdp.RejectProductServiceNotCoveredPlanBenefitExclusion)
		a.trace(a.plan.ID, "%s is excluded by the plan", d.Name)
		return nil
	}
	tier, ok := a.plan.tier(d)
	if !ok {
		r.reject(ncpdp.RejectProductNotOnFormulary)
		a.trace(a.plan.ID, "%s is not on the formulary", d.Name)
		return nil
	}
	r.Tier = tier
	a.trace(a.plan.ID, "%s: tier %d, %s", d.Name, tier, d.brandClass)
	return a.tierException(ctx)
}

// decOne and decHundred are made once: every decimal operation returns a
// new value, so they are shared, never changed.
var decOne, decHundred = decimal.NewFromInt(1), decimal.NewFromInt(100)

// pricing is step 8: lesser of submitted ingredient cost, AWP less the
// network discount and MAC, plus the network's dispensing fee; then the
// lesser of that, usual & customary and gross amount due.
func (a *adjudication) pricing(context.Context) error {
	c, r := a.claim, a.resp
	term := a.network.Term(a.drug.brandClass)
	discount, useMAC, fee, macUnit := term.AWPDiscount, true, term.DispensingFee, a.price.MAC
	if w := a.sel.Winner(edits.KindIngredientBasis); w != nil {
		b := w.IngredientBasis
		discount, useMAC = b.AWPDiscount, b.UseMAC
		if b.AWPDiscountSchedule != nil {
			if d, how, ok := a.schedule(b.AWPDiscountSchedule, edits.DiscountRate); ok {
				discount = decimal.Min(d, decOne)
				a.decide(w, "", "AWP discount from %s", how)
			} else {
				a.decide(w, "", "AWP discount: %s; %s applies", how, discount)
			}
		}
		if b.MACList != nil {
			var how string
			var ok bool
			if macUnit, how, ok = a.schedule(b.MACList, edits.UnitPrice); ok {
				a.decide(w, "", "MAC %s per unit from %s", macUnit, how)
			} else {
				a.decide(w, "", "not on the MAC list: %s", how)
			}
		}
		a.decide(w, "", "AWP less %s%%, MAC %s", discount.Mul(decHundred), onOff(useMAC))
	}
	if w := a.sel.Winner(edits.KindDispensingFee); w != nil {
		if ref := w.DispensingFee.Schedule; ref != nil {
			if f, how, ok := a.schedule(ref, edits.Money); ok {
				fee = f
				a.decideTyped(w, "", "dispensing fee %s from %s", argCents(fee), argText(how))
			} else {
				a.decideTyped(w, "", "%s; the network's fee %s applies", argText(how), argCents(fee))
			}
		} else {
			fee = w.DispensingFee.Amount
			a.decideTyped(w, "", "dispensing fee %s", argCents(fee))
		}
	}
	awp := awpLess(a.price.AWP, c.qty, discount)
	brandDAWExempt := a.drug.brandClass.IsBrand() && slices.Contains(a.path.settings.MACExemptDAW, c.daw)
	macApplies := useMAC && macUnit.IsPositive() && !brandDAWExempt
	ingredient, fee, total, basis := a.lesserOf(awp, money.Cents(macUnit, c.qty), macApplies, fee)
	r.IngredientCostPaid, r.DispensingFeePaid, r.TotalAllowed, r.BasisOfReimbursement = ingredient, fee, total, basis
	if !a.untraced { // its arguments cost allocations even when trace keeps nothing
		a.traceTyped(a.network.ID, "ingredient %s + fee %s = allowed %s (basis %s; AWP less %s%% = %s)",
			argCents(ingredient), argCents(fee), argCents(total), argText(basis),
			argDec(discount.Mul(decHundred)), argCents(awp))
	}
	a.setPenaltyBase(macUnit, ingredient)
	return nil
}

// awpLess is the AWP of qty less the discount, to the cent:
// edits.Cents(awp × qty × (1 − discount)), in int64 when the amounts fit.
func awpLess(awp, qty, discount decimal.Decimal) decimal.Decimal {
	if f := money.Of(awp).Mul(money.Of(qty)).Mul(money.Of(decOne).Sub(money.Of(discount))).Round(2); f.OK() {
		return f.Decimal()
	}
	return edits.Cents(awp.Mul(qty).Mul(decOne.Sub(discount)))
}

// lesserOf is the lesser-of rule of DOMAIN.md §6 step 8. The ingredient
// cost is the lowest of the submitted cost (basis 01, or 06 when MAC applies
// to the claim and the submitted cost is not above it), AWP less the
// discount (03) and MAC (07). The total allowed is the lowest of ingredient
// + fee, U&C (04) and the gross amount due (01). When U&C or the gross
// amount due wins, the dispensing fee is kept as contracted up to the
// allowed amount and the ingredient paid is the rest.
func (a *adjudication) lesserOf(awp, mac decimal.Decimal, macApplies bool, fee decimal.Decimal) (ingredient, feePaid, total decimal.Decimal, basis string) {
	c := a.claim
	ingredient, basis = c.ingredient, basisAsSubmitted
	if macApplies {
		basis = basisMACPaid
	}
	if awp.LessThan(ingredient) {
		ingredient, basis = awp, basisAWPLess
	}
	if macApplies && mac.LessThan(ingredient) {
		ingredient, basis = mac, basisMAC
	}
	total = money.Add(ingredient, fee)
	switch {
	case !c.ucIgnored && c.uc.LessThan(total) && !c.gross.LessThan(c.uc):
		total, basis = c.uc, basisUC
	case c.gross.LessThan(total):
		total, basis = c.gross, basisGross
	default:
		return ingredient, fee, total, basis
	}
	fee = decimal.Min(fee, total)
	return money.Sub(total, fee), fee, total, basis
}

// setPenaltyBase sets what the brand penalty reads: for a multi-source brand
// under a penalty DAW code, the ingredient paid over MAC × quantity, the MAC
// being the drug's own (macUnit) or else its generic equivalent's
// (generic_ndc) on the date of service.
func (a *adjudication) setPenaltyBase(macUnit, ingredient decimal.Decimal) {
	c := a.claim
	if a.drug.brandClass != domain.BrandMultiSource || !slices.Contains(a.path.settings.PenaltyDAW, c.daw) {
		return
	}
	whose := "MAC"
	if !macUnit.IsPositive() {
		if a.drug.GenericNDC == "" {
			return
		}
		g := a.snap.drugs[a.drug.GenericNDC]
		if g == nil || g.brandClass.IsBrand() {
			a.trace("", "DAW %s on a multi-source brand: its generic_ndc %s is not a generic in the catalog", c.daw, a.drug.GenericNDC)
			return
		}
		p := g.priceOn(c.dos)
		if p == nil || !p.MAC.IsPositive() {
			a.trace("", "DAW %s on a multi-source brand: its generic %s has no MAC on the date", c.daw, g.Name)
			return
		}
		macUnit, whose = p.MAC, "the MAC of its generic "+g.Name
	}
	mac := edits.Cents(macUnit.Mul(c.qty))
	if ingredient.GreaterThan(mac) {
		a.penaltyBase = ingredient.Sub(mac)
		a.trace("", "DAW %s on a multi-source brand: ingredient exceeds %s (%s) by %s", c.daw, whose, cents(mac), cents(a.penaltyBase))
	}
}

func onOff(b bool) string {
	if b {
		return "applies"
	}
	return "does not apply"
}

// remaining returns what is left of a limit for a claim in seg, as the
// lesser of the individual and family remainders (a zero amount means that
// level has no limit), and whether the limit applies at all.
func remaining(l *edits.Limit, kind accumulators.Kind, level string, docs accumulators.Docs, seg domain.Segment) (decimal.Decimal, bool) {
	if l == nil || l.Individual.IsZero() && l.Family.IsZero() {
		return decimal.Zero, false
	}
	if rem := remainingFixed(l, kind, level, docs, seg); rem.OK() {
		return rem.Decimal(decimal.Zero, l.Individual, l.Family), true
	}
	var rem decimal.NullDecimal
	if !l.Individual.IsZero() {
		rem = decimal.NullDecimal{Decimal: decimal.Max(decimal.Zero, l.Individual.Sub(docs.Member.Total(kind, level, l.Accumulation, seg))), Valid: true}
	}
	if !l.Family.IsZero() {
		fam := decimal.Max(decimal.Zero, l.Family.Sub(docs.Family.Total(kind, level, l.Accumulation, seg)))
		if !rem.Valid || fam.LessThan(rem.Decimal) {
			rem = decimal.NullDecimal{Decimal: fam, Valid: true}
		}
	}
	return rem.Decimal, true
}

// remainingFixed is remaining's amount in int64 (money.Fixed), the same
// amount at the same exponent, for a limit that applies; not OK when an
// amount does not fit.
func remainingFixed(l *edits.Limit, kind accumulators.Kind, level string, docs accumulators.Docs, seg domain.Segment) money.Fixed {
	zero := money.Of(decimal.Zero)
	var rem money.Fixed
	valid := false
	if !l.Individual.IsZero() {
		rem, valid = money.Max(zero, money.Of(l.Individual).Sub(docs.Member.TotalFixed(kind, level, l.Accumulation, seg))), true
	}
	if !l.Family.IsZero() {
		fam := money.Max(zero, money.Of(l.Family).Sub(docs.Family.TotalFixed(kind, level, l.Accumulation, seg)))
		if !valid {
			return fam
		}
		return money.Min(rem, fam) // fam when it is less
	}
	return rem
}

func limitOf(w *edits.Compiled) *edits.Limit {
	if w == nil {
		return nil
	}
	return w.Limit
}

// The cost share (steps 9 and 10) divides the allowed amount between the
// member and the plan: the deductible, then copay or coinsurance, then the
// brand penalty, then the out-of-pocket cap on all the member pays (which
// all counts toward it); then the dollar maximum on what the plan pays. The
// claim's contributions then go to the accumulators, and the response
// reports the balances after them.

// deductible applies what remains of the deductible to the allowed amount.
func (a *adjudication) deductible(context.Context) error {
	r, w := a.resp, a.sel.Winner(edits.KindDeductible)
	ded := decimal.Zero
	if rem, ok := remaining(limitOf(w), accumulators.Deductible, readLevel(w), a.acc, a.segment); ok {
		ded = decimal.Min(r.TotalAllowed, rem)
		if !a.untraced {
			a.decideTyped(w, "", "%s remaining, %s applied", argCents(rem), argCents(ded))
		}
	}
	r.Deductible = ded
	a.afterDeductible = money.Sub(r.TotalAllowed, ded)
	return nil
}

// costShare is step 10: the copay or coinsurance of the most specific
// matching line of the cost-share edit, on what the deductible left. A
// claim that finds none (no edit, no line, or a copay schedule with no line
// for it) is flagged, and the plan's no_cost_share setting says whether the
// member pays nothing or the claim rejects.
func (a *adjudication) costShare(context.Context) error {
	r, rest := a.resp, a.afterDeductible
	r.Copay, r.Coinsurance = decimal.Zero, decimal.Zero
	w := a.sel.Winner(edits.KindCostShare)
	if w == nil {
		a.noCostShare(nil, "no cost-share edit applies")
		return nil
	}
	line := a.costShareLine(w)
	switch {
	case line == nil:
		a.noCostShare(w, fmt.Sprintf("no line matches tier %d %s %s, days supply %d", r.Tier, a.drug.brandClass, a.segment, a.claim.DaysSupply))
	case line.Schedule != nil:
		amount, how, ok := a.schedule(line.Schedule, edits.Money)
		if !ok {
			a.noCostShare(w, line.Describe()+": "+how)
			return nil
		}
		r.Copay = decimal.Min(amount, rest)
		a.decideTyped(w, "", "copay from %s on %s: copay %s", argText(how), argCents(rest), argCents(r.Copay))
	default:
		r.Copay, r.Coinsurance = line.MemberShare(rest)
		if !a.untraced { // the line's description is built for the trace alone
			a.decideTyped(w, "", "%s on %s: copay %s, coinsurance %s", argText(line.Describe()), argCents(rest), argCents(r.Copay), argCents(r.Coinsurance))
		}
	}
	return nil
}

// FlagNoCostShare flags a claim that found no cost-share line (Response.Flags).
const FlagNoCostShare = "NO_COST_SHARE"

// noCostShare flags a claim no cost-share line covers and, when the plan
// says so, rejects it 70: the plan's benefit, as configured, has no cost
// share for the product in this network, so the product is not covered
// there (76 would tell the pharmacy a limit was exceeded, which none was).
func (a *adjudication) noCostShare(w *edits.Compiled, why string) {
	a.resp.Flags = append(a.resp.Flags, FlagNoCostShare)
	reject := a.path.settings.NoCostShare == config.NoCostShareReject
	how := "the plan's no_cost_share is ZERO: member pays no copay or coinsurance"
	if reject {
		how = "the plan's no_cost_share is REJECT"
	}
	if w == nil {
		if reject {
			a.resp.reject(ncpdp.RejectProductServiceNotCoveredPlanBenefitExclusion)
			how = "reject " + string(ncpdp.RejectProductServiceNotCoveredPlanBenefitExclusion) + ": " + how
		}
		a.trace(a.plan.ID, "flag %s: %s; %s", FlagNoCostShare, why, how)
		return
	}
	code := ncpdp.RejectCode("")
	if reject {
		code = ncpdp.RejectProductServiceNotCoveredPlanBenefitExclusion
	}
	a.decide(w, code, "flag %s: %s; %s", FlagNoCostShare, why, how)
}

// costShareLine is the most specific line of a cost-share edit that
// matches the claim, or nil.
func (a *adjudication) costShareLine(w *edits.Compiled) *edits.CostShareLine {
	facts := edits.CostShareFacts{Tier: a.resp.Tier, BrandClass: a.drug.brandClass, Segment: a.segment, DaysSupply: a.claim.DaysSupply}
	var line *edits.CostShareLine
	for i := range w.CostShare {
		l := &w.CostShare[i]
		if l.Matches(facts) && (line == nil || l.Specificity() > line.Specificity()) {
			line = l
		}
	}
	return line
}

// brandPenalty is the member's share of a brand dispensed as written over
// MAC (step 8), up to what the copay and coinsurance left.
func (a *adjudication) brandPenalty(context.Context) error {
	r := a.resp
	penalty := decimal.Min(a.penaltyBase, money.Sub(money.Sub(a.afterDeductible, r.Copay), r.Coinsurance))
	if penalty.IsPositive() {
		a.trace(a.plan.ID, "member pays %s for the brand over MAC", cents(penalty))
	}
	r.ProductSelection = penalty
	return nil
}

// outOfPocket caps everything the member pays at what remains of the
// out-of-pocket maximum, taking back the last-applied component first.
func (a *adjudication) outOfPocket(context.Context) error {
	r, w := a.resp, a.sel.Winner(edits.KindOutOfPocket)
	if rem, ok := remaining(limitOf(w), accumulators.OutOfPocket, readLevel(w), a.acc, a.segment); ok {
		if capMemberShare(r, rem) {
			a.decideTyped(w, "", "%s remaining; member share capped", argCents(rem))
		} else {
			a.decideTyped(w, "", "%s remaining", argCents(rem))
		}
	}
	a.memberShare = memberShare(r)
	return nil
}

// memberShare is the sum of what the member pays.
func memberShare(r *Response) decimal.Decimal {
	if s := memberShareFixed(r); s.OK() {
		return s.Decimal(r.Deductible)
	}
	return r.Deductible.Add(r.Copay).Add(r.Coinsurance).Add(r.ProductSelection)
}

// memberShareFixed is memberShare in int64 (money.Fixed); not OK when an
// amount does not fit.
func memberShareFixed(r *Response) money.Fixed {
	return money.Of(r.Deductible).Add(money.Of(r.Copay)).Add(money.Of(r.Coinsurance)).Add(money.Of(r.ProductSelection))
}

// capMemberShare takes what the member pays beyond rem back from the
// brand penalty, coinsurance, copay and deductible, in that order, and
// reports whether it took any. It works in int64 (money.Fixed) when the
// amounts fit, else in decimal.Decimal, to the same amounts.
func capMemberShare(r *Response, rem decimal.Decimal) bool {
	parts := [...]*decimal.Decimal{&r.ProductSelection, &r.Coinsurance, &r.Copay, &r.Deductible}
	over := memberShareFixed(r).Sub(money.Of(rem))
	if !over.OK() {
		return capMemberShareDecimal(parts[:], rem)
	}
	if over.Sign() <= 0 {
		return false
	}
	var left [len(parts)]money.Fixed
	ok := true
	for i, part := range parts {
		cut := money.Min(over, money.Of(*part))
		left[i], over = money.Of(*part).Sub(cut), over.Sub(cut)
		ok = ok && left[i].OK() && over.OK()
	}
	if !ok {
		return capMemberShareDecimal(parts[:], rem)
	}
	for i, part := range parts {
		*part = left[i].Decimal(*part)
	}
	return true
}

// capMemberShareDecimal is capMemberShare in decimal.Decimal.
func capMemberShareDecimal(parts []*decimal.Decimal, rem decimal.Decimal) bool {
	over := parts[3].Add(*parts[2]).Add(*parts[1]).Add(*parts[0]).Sub(rem)
	if !over.IsPositive() {
		return false
	}
	for _, part := range parts {
		cut := decimal.Min(over, *part)
		*part, over = part.Sub(cut), over.Sub(cut)
	}
	return true
}

// maxDollars is step 9's dollar maximum on what the plan pays; what the
// member pays beyond it is the excess over the maximum.
func (a *adjudication) maxDollars(ctx context.Context) error {
	r := a.resp
	planPays := money.Sub(r.TotalAllowed, a.memberShare)
	excess, err := a.dollarMaximum(ctx, planPays)
	if err != nil {
		return err
	}
	r.ExceedingBenefitMax = excess
	r.PatientPay = money.Add(a.memberShare, excess)
	r.PlanPaid = planPays
	if r.PatientPay != a.memberShare { // an excess: a zero adds to memberShare itself
		r.PlanPaid = money.Sub(r.TotalAllowed, r.PatientPay)
	}
	return nil
}

// contribution is one amount the claim adds to the accumulators, with the
// bucket levels it goes to.
type contribution struct {
	kind   accumulators.Kind
	amount decimal.Decimal
	levels []string
}

// contribute adds the claim's amounts to the member's and family's
// documents: deductible, out of pocket, plan paid, one prescription and
// the units, each at the levels of the edit that counts it.
func (a *adjudication) contribute(context.Context) error {
	r := a.resp
	parts := []contribution{
		{accumulators.Deductible, r.Deductible, levels(a.sel.Winner(edits.KindDeductible))},
		{accumulators.OutOfPocket, a.memberShare, levels(a.sel.Winner(edits.KindOutOfPocket))},
		{accumulators.PlanPaid, r.PlanPaid, levels(a.sel.Winner(edits.KindMaxDollars))},
		{accumulators.RxCount, decOne, levels(a.sel.Winner(edits.KindMaxRxCount))},
		{accumulators.Units, a.claim.qty, levels(a.sel.Winner(edits.KindMaxUnits))},
	}
	n := 0
	for _, p := range parts {
		if p.amount.IsPositive() {
			n += 2 * len(p.levels) // the member's and the family's
		}
	}
	a.contributions = slices.Grow(a.contributions, n)
	for _, scope := range []accumulators.Scope{accumulators.Member, accumulators.Family} {
		for _, p := range parts {
			if !p.amount.IsPositive() {
				continue
			}
			for _, lv := range p.levels {
				a.contributions = append(a.contributions, accumulators.Contribution{Scope: scope, Kind: p.kind, Level: lv, Segment: a.segment, Amount: p.amount})
			}
		}
	}
	a.acc.Apply(a.contributions)
	return nil
}

// balances reports the deductible and out-of-pocket balances after the claim.
func (a *adjudication) balances(context.Context) error {
	r, seg := a.resp, a.segment
	ded, oop := a.sel.Winner(edits.KindDeductible), a.sel.Winner(edits.KindOutOfPocket)
	if rem, ok := remaining(limitOf(ded), accumulators.Deductible, readLevel(ded), a.acc, seg); ok {
		r.AccumulatedDeductible = a.acc.Member.Total(accumulators.Deductible, readLevel(ded), ded.Limit.Accumulation, seg)
		r.RemainingDeductible = rem
	}
	if rem, ok := remaining(limitOf(oop), accumulators.OutOfPocket, readLevel(oop), a.acc, seg); ok {
		r.RemainingOutOfPocket = decimal.NullDecimal{Decimal: rem, Valid: true}
	}
	return nil
}
