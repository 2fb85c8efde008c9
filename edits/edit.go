package edits

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Status is an edit version's place in the Draft → Active → Inactive
// lifecycle (DOMAIN.md section 3).
type Status string

// The statuses.
const (
	Draft    Status = "DRAFT"
	Active   Status = "ACTIVE"
	Inactive Status = "INACTIVE"
)

// Family groups edit kinds as DOMAIN.md section 7 does.
type Family string

// The edit families.
const (
	Financial      Family = "FINANCIAL"
	Limitation     Family = "LIMITATION"
	BenefitMaximum Family = "BENEFIT_MAXIMUM"
	Clinical       Family = "CLINICAL"
)

// Kind is what an edit controls. For each kind one edit at most applies to
// a claim: the winner of Select.
type Kind string

// The edit kinds, by family.
const (
	KindIngredientBasis Kind = "INGREDIENT_BASIS"
	KindDispensingFee   Kind = "DISPENSING_FEE"
	KindDeductible      Kind = "DEDUCTIBLE"
	KindCostShare       Kind = "COST_SHARE"
	KindOutOfPocket     Kind = "OUT_OF_POCKET"

	KindClaimCost  Kind = "CLAIM_COST"
	KindQuantity   Kind = "QUANTITY"
	KindDaysSupply Kind = "DAYS_SUPPLY"
	KindAge        Kind = "AGE"
	KindGender     Kind = "GENDER"
	KindRefills    Kind = "REFILLS"

	KindMaxRxCount Kind = "MAX_RX_COUNT"
	KindMaxDollars Kind = "MAX_DOLLARS"
	KindMaxUnits   Kind = "MAX_UNITS"

	KindRefillTooSoon        Kind = "REFILL_TOO_SOON"
	KindStepTherapy          Kind = "STEP_THERAPY"
	KindPriorAuthorization   Kind = "PRIOR_AUTHORIZATION"
	KindDrugInteraction      Kind = "DUR_DRUG_INTERACTION"
	KindTherapeuticDuplicate Kind = "DUR_THERAPEUTIC_DUPLICATION"
)

// kinds lists every kind in evaluation order, with its family.
var kinds = []struct {
	kind   Kind
	family Family
}{
	{KindAge, Limitation}, {KindGender, Limitation}, {KindQuantity, Limitation}, {KindDaysSupply, Limitation},
	{KindRefills, Limitation}, {KindClaimCost, Limitation},
	{KindRefillTooSoon, Clinical}, {KindStepTherapy, Clinical}, {KindPriorAuthorization, Clinical},
	{KindDrugInteraction, Clinical}, {KindTherapeuticDuplicate, Clinical},
	{KindIngredientBasis, Financial}, {KindDispensingFee, Financial},
	{KindMaxRxCount, BenefitMaximum}, {KindMaxDollars, BenefitMaximum}, {KindMaxUnits, BenefitMaximum},
	{KindDeductible, Financial}, {KindCostShare, Financial}, {KindOutOfPocket, Financial},
}

// NumKinds is the number of edit kinds; KindIndex numbers them 0..NumKinds-1.
const NumKinds = 19

// KindIndex returns the kind's position in evaluation order, or -1.
func KindIndex(k Kind) int {
	for i, x := range kinds {
		if x.kind == k {
			return i
		}
	}
	return -1
}

// Kinds returns every kind in evaluation order.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, x := range kinds {
		out[i] = x.kind
	}
	return out
}

// Family returns the family of the kind ("" when the kind is unknown).
func (k Kind) Family() Family {
	if i := KindIndex(k); i >= 0 {
		return kinds[i].family
	}
	return ""
}

// Accumulates reports whether edits of the kind keep accumulator buckets.
func (k Kind) Accumulates() bool {
	switch k {
	case KindDeductible, KindOutOfPocket, KindMaxRxCount, KindMaxDollars, KindMaxUnits:
		return true
	}
	return false
}

// LevelKind is a level of the hierarchy PBM → client → group → plan.
type LevelKind string

// The hierarchy levels, from the top.
const (
	PBMLevel    LevelKind = "PBM"
	ClientLevel LevelKind = "CLIENT"
	GroupLevel  LevelKind = "GROUP"
	PlanLevel   LevelKind = "PLAN"
)

// depth orders levels: a lower level (larger depth) overrides a higher one.
func (l LevelKind) depth() int {
	switch l {
	case PBMLevel:
		return 0
	case ClientLevel:
		return 1
	case GroupLevel:
		return 2
	case PlanLevel:
		return 3
	}
	return -1
}

// Level is where in the hierarchy an edit is attached.
type Level struct {
	Kind LevelKind `json:"kind"`
	ID   string    `json:"id,omitempty"` // the client, group or plan ID; empty for PBM
}

func (l Level) String() string {
	if l.Kind == PBMLevel {
		return string(PBMLevel)
	}
	return string(l.Kind) + " " + l.ID
}

// Criteria say which claims an edit applies to. An empty criterion matches
// every claim; an edit with no criteria at all is a default rule, one with
// any criterion an exception rule.
type Criteria struct {
	BrandClasses   []domain.BrandClass   `json:"brand_classes,omitempty"`
	Drugs          []domain.DrugRef      `json:"drugs,omitempty"`
	NetworkTypes   []domain.NetworkType  `json:"network_types,omitempty"`
	NetworkClasses []domain.NetworkClass `json:"network_classes,omitempty"`
	MinAge         int                   `json:"min_age,omitempty"` // inclusive, in whole years on the date of service
	MaxAge         int                   `json:"max_age,omitempty"` // inclusive; 0 means none
	Genders        []string              `json:"genders,omitempty"` // M, F, U
}

// Specificity counts the criteria set; among matching exceptions the most
// specific wins. A drug list naming NDCs is more specific than one naming
// classes only.
func (c *Criteria) Specificity() int {
	n := 0
	for _, set := range []bool{len(c.BrandClasses) > 0, len(c.NetworkTypes) > 0, len(c.NetworkClasses) > 0,
		c.MinAge > 0 || c.MaxAge > 0, len(c.Genders) > 0} {
		if set {
			n++
		}
	}
	if len(c.Drugs) > 0 {
		n += 2
		if slices.ContainsFunc(c.Drugs, func(d domain.DrugRef) bool { return d.NDC != "" }) {
			n++
		}
	}
	return n
}

// Exception reports whether the criteria make the edit an exception rule.
func (c *Criteria) Exception() bool { return c.Specificity() > 0 }

// Facts are what an edit's criteria are tested against.
type Facts struct {
	DateOfService domain.Date
	NDC           string
	Class         string
	BrandClass    domain.BrandClass
	Segment       domain.Segment
	Age           int
	Gender        string
}

// mismatch returns the first criterion the facts fail, or "".
func (c *Criteria) mismatch(f *Facts) string {
	switch {
	case len(c.BrandClasses) > 0 && !slices.Contains(c.BrandClasses, f.BrandClass):
		return "brand class " + f.BrandClass.String()
	case len(c.Drugs) > 0 && !slices.ContainsFunc(c.Drugs, func(d domain.DrugRef) bool { return d.Matches(f.NDC, f.Class) }):
		return "drug not on the list"
	case len(c.NetworkTypes) > 0 && !slices.Contains(c.NetworkTypes, f.Segment.Type):
		return "network type " + f.Segment.Type.String()
	case len(c.NetworkClasses) > 0 && !slices.Contains(c.NetworkClasses, f.Segment.Class):
		return "network classification " + f.Segment.Class.String()
	case c.MinAge > 0 && f.Age < c.MinAge, c.MaxAge > 0 && f.Age > c.MaxAge:
		return fmt.Sprintf("age %d", f.Age)
	case len(c.Genders) > 0 && !slices.Contains(c.Genders, f.Gender):
		return "gender " + f.Gender
	}
	return ""
}

// Edit is one version of an edit: its identity and lifecycle, where it
// applies, and the parameters of its kind (exactly one parameter block,
// the one its kind names, is set).
type Edit struct {
	ID           string   `json:"id"`
	Version      int      `json:"version"`
	Status       Status   `json:"status"`
	Name         string   `json:"name,omitempty"`
	Description  string   `json:"description,omitempty"`
	Kind         Kind     `json:"kind"`
	Level        Level    `json:"level"`
	Criteria     Criteria `json:"criteria,omitempty"`
	domain.Range `yaml:",inline"`
	// Priority breaks ties between equally specific matching exceptions; higher wins.
	Priority int `json:"priority,omitempty"`
	// IncludeInPlan (exception rules that accumulate) also counts the
	// exception's contributions toward the plan-default accumulation.
	IncludeInPlan bool `json:"include_in_plan,omitempty"`

	IngredientBasis *IngredientBasis `json:"ingredient_basis,omitempty"`
	DispensingFee   *DispensingFee   `json:"dispensing_fee,omitempty"`
	Limit           *Limit           `json:"limit,omitempty"` // DEDUCTIBLE and OUT_OF_POCKET
	CostShare       []CostShareLine  `json:"cost_share,omitempty"`
	ClaimCost       *AmountRange     `json:"claim_cost,omitempty"`
	Quantity        *QuantityLimit   `json:"quantity,omitempty"`
	DaysSupply      *DaysSupplyLimit `json:"days_supply,omitempty"`
	Age             *AgeLimit        `json:"age,omitempty"`
	Gender          *GenderLimit     `json:"gender,omitempty"`
	Refills         *RefillLimit     `json:"refills,omitempty"`
	BenefitMax      *BenefitMax      `json:"benefit_max,omitempty"` // the three MAX_ kinds
	RefillTooSoon   *RefillTooSoon   `json:"refill_too_soon,omitempty"`
	StepTherapy     *StepTherapy     `json:"step_therapy,omitempty"`
	PriorAuth       *PriorAuth       `json:"prior_authorization,omitempty"`
	DUR             *DUR             `json:"dur,omitempty"` // both DUR kinds

	// Audit is this environment's history of the version: who made,
	// changed, activated and retired it here.
	Audit Audit `json:"audit"`
	// Provenance is the audit the version carried when it was imported
	// from another environment's bundle, kept as that environment's
	// account, never as this one's (DOMAIN.md §3); nil for a version made
	// here.
	Provenance *Audit `json:"provenance,omitempty"`
}

// Audit records who did what to an edit version, and when.
type Audit struct {
	CreatedBy     string    `json:"created_by,omitempty"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
	UpdatedBy     string    `json:"updated_by,omitempty"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
	ActivatedBy   string    `json:"activated_by,omitempty"`
	ActivatedAt   time.Time `json:"activated_at,omitzero"`
	SelfActivated bool      `json:"self_activated,omitempty"` // activated by its creator under relaxed maker-checker
	InactivatedBy string    `json:"inactivated_by,omitempty"`
	InactivatedAt time.Time `json:"inactivated_at,omitzero"`
	ImportedBy    string    `json:"imported_by,omitempty"`
	ImportedAt    time.Time `json:"imported_at,omitzero"`
}

// Ref names one version of an edit.
func (e *Edit) Ref() string {
	if q := strconv.Quote(e.ID); q[1:len(q)-1] != e.ID {
		// Only an edit refused for its ID: quoted, so that no control or
		// invisible character reaches a terminal or a log.
		return fmt.Sprintf("%s v%d", domain.Quote(e.ID), e.Version)
	}
	return fmt.Sprintf("%s v%d", e.ID, e.Version)
}

// IngredientBasis overrides the network's ingredient pricing terms.
type IngredientBasis struct {
	AWPDiscount decimal.Decimal `json:"awp_discount"` // 0.15 means AWP less 15 %
	UseMAC      bool            `json:"use_mac"`      // whether MAC caps the ingredient cost
	// AWPDiscountSchedule, when set, gives the discount rate from a
	// schedule; AWPDiscount applies when no line of it does.
	AWPDiscountSchedule *ScheduleRef `json:"awp_discount_schedule,omitempty"`
	// MACList, when set, is the MAC list: the unit price of a drug on it
	// replaces the drug's own MAC, and a drug not on it has no MAC.
	MACList *ScheduleRef `json:"mac_list,omitempty"`
}

// DispensingFee overrides the network's dispensing fee: a fixed amount, or
// one from a schedule (the network's fee applies when no line does).
type DispensingFee struct {
	Amount   decimal.Decimal `json:"amount"`
	Schedule *ScheduleRef    `json:"schedule,omitempty"`
}

// ScheduleUses lists the schedules the edit reads, each with its field
// and the unit of the amount it takes.
func (e *Edit) ScheduleUses() []ScheduleUse {
	var uses []ScheduleUse
	add := func(r *ScheduleRef, field string, unit ScheduleUnit) {
		if r != nil {
			uses = append(uses, ScheduleUse{Ref: r, Field: field, Unit: unit})
		}
	}
	if b := e.IngredientBasis; b != nil {
		add(b.AWPDiscountSchedule, "ingredient_basis.awp_discount_schedule", DiscountRate)
		add(b.MACList, "ingredient_basis.mac_list", UnitPrice)
	}
	if f := e.DispensingFee; f != nil {
		add(f.Schedule, "dispensing_fee.schedule", Money)
	}
	for i := range e.CostShare {
		add(e.CostShare[i].Schedule, fmt.Sprintf("cost_share[%d].schedule", i), Money)
	}
	return uses
}

// AmountRange bounds the claim's total allowed (78 when outside).
type AmountRange struct {
	Min decimal.Decimal `json:"min,omitempty"`
	Max decimal.Decimal `json:"max,omitempty"` // zero means none
}

// QuantityLimit caps the quantity dispensed per claim (9G) and per day of supply (76).
type QuantityLimit struct {
	MaxQuantity decimal.Decimal `json:"max_quantity,omitempty"`
	MaxPerDay   decimal.Decimal `json:"max_per_day,omitempty"`
}

// DaysSupplyLimit bounds the days supply: below the minimum 891; above the
// maximum AG when the edit names drugs, 7X for a plan-wide limit.
type DaysSupplyLimit struct {
	Min int `json:"min,omitempty"`
	Max int `json:"max,omitempty"`
}

// AgeLimit bounds the patient's age for the product: 60 below the minimum,
// 66 above the maximum.
type AgeLimit struct {
	Min int `json:"min,omitempty"`
	Max int `json:"max,omitempty"`
}

// GenderLimit lists the genders the product is covered for (61 otherwise).
type GenderLimit struct {
	Allowed []string `json:"allowed"`
}

// RefillLimit caps the fill number (73 above it); 0 allows original fills only.
type RefillLimit struct {
	MaxRefills int `json:"max_refills"`
}

// PeriodKind is the window a benefit maximum counts over.
type PeriodKind string

// The benefit-maximum periods.
const (
	PlanYear      PeriodKind = "PLAN_YEAR"
	CalendarMonth PeriodKind = "CALENDAR_MONTH"
	RollingDays   PeriodKind = "ROLLING_DAYS"
	Lifetime      PeriodKind = "LIFETIME" // every paid claim on file
)

// ExceedAction is what a benefit maximum does to a claim that exceeds it.
type ExceedAction string

// The exceed actions.
const (
	RejectExcess ExceedAction = "REJECT"      // reject 76
	MemberPays   ExceedAction = "MEMBER_PAYS" // the member pays what exceeds the maximum (520-FK); dollars only
)

// BenefitMax is a maximum Rx count, plan-paid dollars or units per period,
// for the member (Amount), for the whole family (FamilyAmount), or both, in
// which case whichever leaves less applies. A zero amount sets no maximum
// at that scope.
type BenefitMax struct {
	Amount       decimal.Decimal `json:"amount,omitempty"`
	FamilyAmount decimal.Decimal `json:"family_amount,omitempty"`
	Period       PeriodKind      `json:"period"`
	Days         int             `json:"days,omitempty"` // ROLLING_DAYS only
	OnExceed     ExceedAction    `json:"on_exceed,omitempty"`
	Accumulation Accumulation    `json:"accumulation,omitempty"`
}

// RefillTooSoon rejects 79 a fill while more than (100 - Percent) % of the
// last fill's days supply is still on hand, counting every fill of the same
// therapeutic class in the lookback, lined up one after the other (DOMAIN.md
// section 6.7), unless a submission clarification code the plan accepts is
// sent.
type RefillTooSoon struct {
	Percent       int      `json:"percent"`
	OverrideCodes []string `json:"override_codes,omitempty"`
}

// StepTherapy rejects 608 unless the member filled one of the required
// drugs within the lookback before the date of service.
type StepTherapy struct {
	Required     []domain.DrugRef `json:"required"`
	LookbackDays int              `json:"lookback_days"`
}

// PriorAuth rejects 75 unless a prior authorization on file for the member
// and drug covers the date of service.
type PriorAuth struct {
	// RequireNumber also requires the claim to carry the PA number on file.
	RequireNumber bool `json:"require_number,omitempty"`
}

// DUR checks the claim against the member's active therapy (fills whose
// days supply covers the date of service): a drug-drug interaction with
// Interacts drugs (DD) or a duplicate of the same therapeutic class (TD,
// classes compared on their first ClassDigits characters). It rejects 88
// with an alert unless the pharmacy submits the conflict's reason code with
// a result-of-service code in OverrideResults.
type DUR struct {
	Interacts       []domain.DrugRef `json:"interacts_with,omitempty"`
	ClassDigits     int              `json:"class_digits,omitempty"`
	OverrideResults []string         `json:"override_results,omitempty"`
}
