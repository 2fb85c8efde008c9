package edits

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// ErrInvalid marks an edit that fails validation; the error's text names
// each field and its problem.
var ErrInvalid = errors.New("invalid edit")

// Problem is one validation failure: the field (a JSON path) and what is wrong.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ValidationError lists every problem found in an edit.
type ValidationError struct {
	What     string // what was checked: "edit" when empty, or "schedule"
	Ref      string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	what := e.What
	if what == "" {
		what = "edit"
	}
	return fmt.Sprintf("%s %s: %s", what, e.Ref, strings.Join(parts, "; "))
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

type checker struct{ problems []Problem }

func (c *checker) add(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) err(field string, err error) {
	if err != nil {
		c.add(field, "%s", err.Error())
	}
}

func (c *checker) money(field string, d decimal.Decimal) {
	if d.IsNegative() {
		c.add(field, "must not be negative")
	} else if !domain.WholeCents(d) {
		c.add(field, "must be whole cents")
	}
}

var genders = []string{"M", "F", "U"}

// Validate checks the edit on its own (not against other edits or the
// configuration it refers to): identity, criteria, dates, and the
// parameters of its kind. It returns a *ValidationError listing every problem.
func (e *Edit) Validate() error {
	var c checker
	if !ValidID(e.ID) {
		c.add("id", "%q must be 1 to 64 letters, digits, '-', '_' or '.'", e.ID)
	}
	if e.Version < 1 {
		c.add("version", "must be 1 or more")
	}
	switch e.Status {
	case Draft, Active, Inactive:
	default:
		c.add("status", "%q: want DRAFT, ACTIVE or INACTIVE", e.Status)
	}
	if e.Kind.Family() == "" {
		c.add("kind", "%q is not an edit kind (want one of %s)", e.Kind, strings.Join(kindNames(), ", "))
	}
	switch e.Level.Kind {
	case PBMLevel:
		if e.Level.ID != "" {
			c.add("level.id", "a PBM-level edit takes no id")
		}
	case ClientLevel, GroupLevel, PlanLevel:
		if e.Level.ID == "" {
			c.add("level.id", "a %s-level edit needs the %s id", e.Level.Kind, strings.ToLower(string(e.Level.Kind)))
		}
	default:
		c.add("level.kind", "%q: want PBM, CLIENT, GROUP or PLAN", e.Level.Kind)
	}
	c.err("effective", e.Range.Validate())
	e.Criteria.validate(&c)
	e.validateParams(&c)
	if e.IncludeInPlan && !e.Kind.Accumulates() {
		c.add("include_in_plan", "a %s edit does not accumulate", e.Kind)
	} else if e.IncludeInPlan && !e.Criteria.Exception() {
		c.add("include_in_plan", "only an exception rule (one with criteria) can be included in the plan accumulation")
	}
	if len(c.problems) > 0 {
		return &ValidationError{Ref: e.Ref(), Problems: c.problems}
	}
	return nil
}

func kindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k.kind)
	}
	return out
}

// ValidID reports whether s is a valid configuration ID: 1 to 64 letters,
// digits, '-', '_' or '.'.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func (cr *Criteria) validate(c *checker) {
	for i, b := range cr.BrandClasses {
		if b == domain.BrandClassDefault || b > domain.GenericSingleSource {
			c.add(fmt.Sprintf("criteria.brand_classes[%d]", i), "%s is not a brand class (leave the list empty for DEFAULT)", b)
		}
	}
	for i, d := range cr.Drugs {
		c.err(fmt.Sprintf("criteria.drugs[%d]", i), d.Validate())
	}
	for i, t := range cr.NetworkTypes {
		if t < domain.Retail || t > domain.Specialty {
			c.add(fmt.Sprintf("criteria.network_types[%d]", i), "invalid network type")
		}
	}
	for i, n := range cr.NetworkClasses {
		if n != domain.InNetwork && n != domain.OutOfNetwork {
			c.add(fmt.Sprintf("criteria.network_classes[%d]", i), "invalid network classification")
		}
	}
	if cr.MinAge < 0 || cr.MaxAge < 0 || (cr.MaxAge > 0 && cr.MaxAge < cr.MinAge) {
		c.add("criteria.min_age", "age band %d-%d is invalid", cr.MinAge, cr.MaxAge)
	}
	for i, g := range cr.Genders {
		if !slices.Contains(genders, g) {
			c.add(fmt.Sprintf("criteria.genders[%d]", i), "%q: want M, F or U", g)
		}
	}
}

// params lists which parameter block each kind takes, by JSON name.
func (e *Edit) paramsSet() []string {
	var set []string
	for _, p := range []struct {
		name string
		ok   bool
	}{
		{"ingredient_basis", e.IngredientBasis != nil}, {"dispensing_fee", e.DispensingFee != nil},
		{"limit", e.Limit != nil}, {"cost_share", e.CostShare != nil}, {"claim_cost", e.ClaimCost != nil},
		{"quantity", e.Quantity != nil}, {"days_supply", e.DaysSupply != nil}, {"age", e.Age != nil},
		{"gender", e.Gender != nil}, {"refills", e.Refills != nil}, {"benefit_max", e.BenefitMax != nil},
		{"refill_too_soon", e.RefillTooSoon != nil}, {"step_therapy", e.StepTherapy != nil},
		{"prior_authorization", e.PriorAuth != nil}, {"dur", e.DUR != nil},
	} {
		if p.ok {
			set = append(set, p.name)
		}
	}
	return set
}

func paramsOf(k Kind) string {
	switch k {
	case KindIngredientBasis:
		return "ingredient_basis"
	case KindDispensingFee:
		return "dispensing_fee"
	case KindDeductible, KindOutOfPocket:
		return "limit"
	case KindCostShare:
		return "cost_share"
	case KindClaimCost:
		return "claim_cost"
	case KindQuantity:
		return "quantity"
	case KindDaysSupply:
		return "days_supply"
	case KindAge:
		return "age"
	case KindGender:
		return "gender"
	case KindRefills:
		return "refills"
	case KindMaxRxCount, KindMaxDollars, KindMaxUnits:
		return "benefit_max"
	case KindRefillTooSoon:
		return "refill_too_soon"
	case KindStepTherapy:
		return "step_therapy"
	case KindPriorAuthorization:
		return "prior_authorization"
	case KindDrugInteraction, KindTherapeuticDuplicate:
		return "dur"
	}
	return ""
}

func (e *Edit) validateParams(c *checker) {
	want := paramsOf(e.Kind)
	if want == "" {
		return
	}
	for _, u := range e.ScheduleUses() {
		if !ValidID(u.Ref.Schedule) {
			c.add(u.Field, "schedule %q is not a valid ID", u.Ref.Schedule)
		}
		for j, a := range u.Ref.Adjustments {
			if !ValidID(a) {
				c.add(fmt.Sprintf("%s.adjustments[%d]", u.Field, j), "%q is not a valid ID", a)
			}
		}
	}
	set := e.paramsSet()
	for _, s := range set {
		if s != want {
			c.add(s, "a %s edit does not take %s (it takes %s)", e.Kind, s, want)
		}
	}
	if !slices.Contains(set, want) {
		c.add(want, "a %s edit needs %s", e.Kind, want)
		return
	}
	switch e.Kind {
	case KindIngredientBasis:
		if d := e.IngredientBasis.AWPDiscount; d.IsNegative() || d.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			c.add("ingredient_basis.awp_discount", "%s is outside 0 to 1", d)
		}
		if e.IngredientBasis.MACList != nil && !e.IngredientBasis.UseMAC {
			c.add("ingredient_basis.mac_list", "a MAC list needs use_mac")
		}
	case KindDispensingFee:
		c.money("dispensing_fee.amount", e.DispensingFee.Amount)
		if e.DispensingFee.Schedule != nil && !e.DispensingFee.Amount.IsZero() {
			c.add("dispensing_fee", "takes an amount or a schedule, not both")
		}
	case KindDeductible, KindOutOfPocket:
		c.err("limit", e.Limit.Validate())
		if e.Limit.Individual.IsZero() && e.Limit.Family.IsZero() {
			c.add("limit", "an individual or a family amount is required")
		}
	case KindCostShare:
		if len(e.CostShare) == 0 {
			c.add("cost_share", "at least one line is required")
		}
		for i := range e.CostShare {
			c.err(fmt.Sprintf("cost_share[%d]", i), e.CostShare[i].Validate())
		}
	case KindClaimCost:
		r := e.ClaimCost
		c.money("claim_cost.min", r.Min)
		c.money("claim_cost.max", r.Max)
		if r.Min.IsZero() && r.Max.IsZero() || !r.Max.IsZero() && r.Max.LessThan(r.Min) {
			c.add("claim_cost", "min %s / max %s: give a minimum, a maximum or both, max not below min", r.Min, r.Max)
		}
	case KindQuantity:
		q := e.Quantity
		if q.MaxQuantity.IsNegative() || q.MaxPerDay.IsNegative() || q.MaxQuantity.IsZero() && q.MaxPerDay.IsZero() {
			c.add("quantity", "give a positive max_quantity, max_per_day or both")
		}
	case KindDaysSupply:
		d := e.DaysSupply
		if d.Min < 0 || d.Max < 0 || d.Min == 0 && d.Max == 0 || d.Max > 0 && d.Max < d.Min {
			c.add("days_supply", "min %d / max %d: give a minimum, a maximum or both, max not below min", d.Min, d.Max)
		}
	case KindAge:
		a := e.Age
		if a.Min < 0 || a.Max < 0 || a.Min == 0 && a.Max == 0 || a.Max > 0 && a.Max < a.Min {
			c.add("age", "min %d / max %d: give a minimum, a maximum or both, max not below min", a.Min, a.Max)
		}
	case KindGender:
		if len(e.Gender.Allowed) == 0 {
			c.add("gender.allowed", "at least one gender is required")
		}
		for i, g := range e.Gender.Allowed {
			if !slices.Contains(genders, g) {
				c.add(fmt.Sprintf("gender.allowed[%d]", i), "%q: want M, F or U", g)
			}
		}
	case KindRefills:
		if e.Refills.MaxRefills < 0 || e.Refills.MaxRefills > 99 {
			c.add("refills.max_refills", "%d is outside 0 to 99", e.Refills.MaxRefills)
		}
	case KindMaxRxCount, KindMaxDollars, KindMaxUnits:
		e.validateBenefitMax(c)
	case KindRefillTooSoon:
		r := e.RefillTooSoon
		if r.Percent < 1 || r.Percent > 100 {
			c.add("refill_too_soon.percent", "%d is outside 1 to 100", r.Percent)
		}
	case KindStepTherapy:
		s := e.StepTherapy
		if len(s.Required) == 0 {
			c.add("step_therapy.required", "at least one prerequisite drug is required")
		}
		for i, d := range s.Required {
			c.err(fmt.Sprintf("step_therapy.required[%d]", i), d.Validate())
		}
		if s.LookbackDays < 1 || s.LookbackDays > 3660 {
			c.add("step_therapy.lookback_days", "%d is outside 1 to 3660", s.LookbackDays)
		}
	case KindPriorAuthorization:
		if len(e.Criteria.Drugs) == 0 && len(e.Criteria.BrandClasses) == 0 {
			c.add("criteria.drugs", "a prior authorization edit must name the drugs or brand classes it covers")
		}
	case KindDrugInteraction:
		if len(e.DUR.Interacts) == 0 {
			c.add("dur.interacts_with", "a drug interaction edit needs the interacting drugs")
		}
		for i, d := range e.DUR.Interacts {
			c.err(fmt.Sprintf("dur.interacts_with[%d]", i), d.Validate())
		}
	case KindTherapeuticDuplicate:
		if e.DUR.ClassDigits < 1 {
			c.add("dur.class_digits", "a therapeutic duplication edit needs how many class characters to compare (1 or more)")
		}
		if len(e.DUR.Interacts) > 0 {
			c.add("dur.interacts_with", "a therapeutic duplication edit takes no interacting drugs")
		}
	}
}

func (e *Edit) validateBenefitMax(c *checker) {
	b := e.BenefitMax
	for _, a := range []struct {
		field  string
		amount decimal.Decimal
	}{{"benefit_max.amount", b.Amount}, {"benefit_max.family_amount", b.FamilyAmount}} {
		switch {
		case a.amount.IsNegative():
			c.add(a.field, "must not be negative")
		case e.Kind == KindMaxDollars && !domain.WholeCents(a.amount):
			c.add(a.field, "must be whole cents")
		case e.Kind == KindMaxRxCount && !a.amount.IsInteger():
			c.add(a.field, "an Rx count must be a whole number")
		}
	}
	if !b.Amount.IsPositive() && !b.FamilyAmount.IsPositive() {
		c.add("benefit_max.amount", "give a positive amount (the member's), family_amount (the family's) or both")
	}
	if b.Amount.IsPositive() && b.FamilyAmount.IsPositive() && b.FamilyAmount.LessThan(b.Amount) {
		c.add("benefit_max.family_amount", "%s is below the member's amount %s", b.FamilyAmount, b.Amount)
	}
	switch b.Period {
	case PlanYear, CalendarMonth, Lifetime:
		if b.Days != 0 {
			c.add("benefit_max.days", "only a ROLLING_DAYS period takes days")
		}
	case RollingDays:
		if b.Days < 1 || b.Days > 3660 {
			c.add("benefit_max.days", "%d is outside 1 to 3660", b.Days)
		}
	default:
		c.add("benefit_max.period", "%q: want PLAN_YEAR, CALENDAR_MONTH, ROLLING_DAYS or LIFETIME", b.Period)
	}
	switch b.OnExceed {
	case "", RejectExcess:
	case MemberPays:
		if e.Kind != KindMaxDollars {
			c.add("benefit_max.on_exceed", "only a dollar maximum can let the member pay the excess")
		}
	default:
		c.add("benefit_max.on_exceed", "%q: want REJECT or MEMBER_PAYS", b.OnExceed)
	}
	c.err("benefit_max.accumulation", b.Accumulation.Validate())
}
