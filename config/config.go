package config

import (
	"fmt"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Config is a configuration bundle: everything the engine adjudicates with.
// Plans, networks, pharmacies and drugs compile into the engine's snapshot;
// families go to the store.
type Config struct {
	// Settings are the versions of the PBM-level settings: in a bundle,
	// one mapping (version 1, or the version it names) or a list of
	// versions.
	Settings   SettingsVersions  `json:"settings,omitempty"`
	Clients    []Client          `json:"clients,omitempty"`
	Groups     []Group           `json:"groups,omitempty"`
	Plans      []Plan            `json:"plans"`
	Networks   []Network         `json:"networks"`
	Pharmacies []domain.Pharmacy `json:"pharmacies"`
	Drugs      []domain.Drug     `json:"drugs"`
	// Prescribers is the prescriber file claims are checked against when a
	// plan's prescriber_validation is ON.
	Prescribers []domain.Prescriber `json:"prescribers,omitempty"`
	Edits       []edits.Edit        `json:"edits,omitempty"`
	// Schedules are the lookup tables edits take amounts from (DOMAIN §9),
	// each in one or more versions.
	Schedules []Schedule      `json:"schedules,omitempty"`
	Families  []domain.Family `json:"families,omitempty"`
}

// Plan is one version of a benefit plan: its networks, formulary,
// exclusions and settings, in force from Effective to Termination (both
// optional: a version without dates is in force on every date). A plan ID
// may have several versions (DOMAIN.md §3): they go through Draft → Active
// → Inactive with maker-checker like edits, and hand over by date like
// edits' versions do. A plan without version or status in a bundle is
// version 1, Active.
//
// Deductible, OutOfPocket and CostShare are a shorthand for the plan's
// default financial edits: loading a configuration turns them into Active
// PLAN-level edits (IDs "<plan>.deductible", "<plan>.out-of-pocket" and
// "<plan>.cost-share"), which then change only through the edit lifecycle.
type Plan struct {
	ID               string `json:"id"`
	Dated            `yaml:",inline"`
	Name             string                `json:"name"`
	PeriodStartMonth int                   `json:"period_start_month,omitempty"` // benefit period starts on the 1st of this month; default 1
	Networks         []PlanNetwork         `json:"networks"`
	Deductible       edits.Limit           `json:"deductible,omitzero"`
	OutOfPocket      edits.Limit           `json:"out_of_pocket,omitzero"`
	CostShare        []edits.CostShareLine `json:"cost_share,omitempty"`
	Formulary        []FormularyEntry      `json:"formulary"`
	Exclusions       []DrugMatch           `json:"exclusions,omitempty"`
	LevelSettings    `yaml:",inline"`
	// Audit is this environment's history of the version, as for edits.
	Audit edits.Audit `json:"audit,omitzero"`
}

// LevelSettings are settings any level of the hierarchy may set; a level
// that leaves one unset takes it from the level above (plan → group →
// client → PBM), and the PBM from the defaults.
type LevelSettings struct {
	// PenaltyDAW lists the DAW codes for which a member who takes a
	// multi-source brand pays the difference to MAC (134-UK); default ["2"].
	PenaltyDAW []string `json:"penalty_daw,omitempty"`
	// MACExemptDAW lists the DAW codes for which a multi-source brand is not
	// reduced to MAC; default ["1", "2", "7", "8"].
	MACExemptDAW []string `json:"mac_exempt_daw,omitempty"`
	// Retail90MinDays is the days supply from which a pharmacy's Retail90
	// network is preferred to its Retail one; default 84.
	Retail90MinDays int `json:"retail90_min_days,omitempty"`
	// FilingLimitDays is the timely filing limit: a bill or rebill whose
	// date of service is more than this many days before today rejects 81
	// (reversals are not limited). 0 means no limit; unset takes the level
	// above, and the default is 365.
	FilingLimitDays *int `json:"filing_limit_days,omitempty"`
	// ZeroUsualAndCustomary says what a submitted usual & customary charge
	// (426-DQ) of 0.00 means: REJECT (the default) rejects it 8T, IGNORE
	// leaves U&C out of the lesser-of.
	ZeroUsualAndCustomary string `json:"zero_usual_and_customary,omitempty"`
	// NoCostShare says what a claim whose tier, brand class and network no
	// cost-share line covers gets: ZERO (the default) lets the member pay no
	// copay or coinsurance, REJECT rejects it 70. Either way the claim is
	// flagged NO_COST_SHARE in its trace and metrics.
	NoCostShare string `json:"no_cost_share,omitempty"`
	// RxExpiryDays is how long a prescription may be filled after the date
	// it was written [414-DE], for a drug that is not controlled; past it
	// a claim rejects M4. RxExpiryDaysControlled is the same for DEA
	// schedules III to V, RxExpiryDaysScheduleII for C-II. 0 means no
	// expiry; unset takes the level above; the defaults are 365, 180, 90.
	RxExpiryDays           *int `json:"rx_expiry_days,omitempty"`
	RxExpiryDaysControlled *int `json:"rx_expiry_days_controlled,omitempty"`
	RxExpiryDaysScheduleII *int `json:"rx_expiry_days_schedule_ii,omitempty"`
	// COB is the plan's place in coordination of benefits: PRIMARY (the
	// default) pays first, SECONDARY pays after another payer, which the
	// other coverage code [308-C8] must show (DOMAIN.md section 6, step 3).
	COB string `json:"cob,omitempty"`
	// PrescriberValidation, ON or OFF (the default), checks the prescriber
	// of every claim against the prescriber file (codes 56, 71, 42 to 46).
	PrescriberValidation string `json:"prescriber_validation,omitempty"`
}

// The values of LevelSettings.COB.
const (
	COBPrimary   = "PRIMARY"
	COBSecondary = "SECONDARY"
)

// The values of LevelSettings.PrescriberValidation.
const (
	On  = "ON"
	Off = "OFF"
)

// MaxRxExpiryDays bounds the rx_expiry_days settings (two years).
const MaxRxExpiryDays = 730

// The values of LevelSettings.ZeroUsualAndCustomary.
const (
	ZeroUCReject = "REJECT"
	ZeroUCIgnore = "IGNORE"
)

// The values of LevelSettings.NoCostShare.
const (
	NoCostShareZero   = "ZERO"
	NoCostShareReject = "REJECT"
)

// MaxFilingLimitDays bounds filing_limit_days (ten years).
const MaxFilingLimitDays = 3650

// Settings are one version of the PBM-level settings. Like clients' and
// groups' settings, they are dated and versioned as plans are (DOMAIN.md
// §3): a claim takes the LevelSettings of the version in force on its date
// of service, while AllowSelfActivation and Routes, which are not about a
// claim's date, come from the latest Active version (LatestActive).
type Settings struct {
	Dated         `yaml:",inline"`
	LevelSettings `yaml:",inline"`
	// AllowSelfActivation relaxes maker-checker: the creator of a draft edit
	// may activate it. Each such activation is marked in the edit's audit.
	AllowSelfActivation bool `json:"allow_self_activation,omitempty"`
	// Routes are the BIN/PCN pairs the PBM answers for every member under
	// (clients may add their own). With no route configured anywhere, every
	// BIN/PCN is accepted.
	Routes []Route `json:"routes,omitempty"`
	// Audit is this environment's history of the version, as for edits.
	Audit edits.Audit `json:"audit,omitzero"`
}

// Route is a BIN [101-A1] and processor control number [104-A4] a switch
// sends claims under.
type Route struct {
	BIN string `json:"bin"`
	PCN string `json:"pcn"`
}

func (r Route) String() string { return r.BIN + "/" + r.PCN }

// Validate checks the route's form.
func (r Route) Validate() error {
	if !domain.IsDigits(r.BIN, 6, 6) || !domain.IsAlnum(r.PCN, 1, 10) {
		return fmt.Errorf("route %s: bin must be 6 digits and pcn 1 to 10 letters or digits", r)
	}
	return nil
}

// Client is one version of a carrier: the level between the PBM and its
// groups. A client ID may have several versions, dated and versioned as
// plans are; its Routes come from its latest Active version.
type Client struct {
	ID    string `json:"id"`
	Dated `yaml:",inline"`
	Name  string `json:"name,omitempty"`
	// Routes are the BIN/PCN pairs under which only this client's members
	// (those of its groups) are found.
	Routes        []Route `json:"routes,omitempty"`
	LevelSettings `yaml:",inline"`
	// Audit is this environment's history of the version, as for edits.
	Audit edits.Audit `json:"audit,omitzero"`
}

// Group is one version of an employer or other group customer of a
// client. A group ID may have several versions, dated and versioned as
// plans are; ClientID is the group's identity, the same in every version
// (a group that moves to another client is a new group).
type Group struct {
	ID            string `json:"id"`
	Dated         `yaml:",inline"`
	Name          string `json:"name,omitempty"`
	ClientID      string `json:"client_id"`
	LevelSettings `yaml:",inline"`
	// Audit is this environment's history of the version, as for edits.
	Audit edits.Audit `json:"audit,omitzero"`
}

// PlanNetwork is a network the plan uses and how it classifies it.
type PlanNetwork struct {
	Network        string              `json:"network"`
	Classification domain.NetworkClass `json:"classification"`
}

// FormularyEntry places a drug, by NDC or by therapeutic-class prefix, on a tier.
type FormularyEntry struct {
	DrugMatch `yaml:",inline"`
	Tier      int `json:"tier"`
}

// DrugMatch selects drugs by NDC-11 or by therapeutic-class prefix.
type DrugMatch = domain.DrugRef

// ValidateFamilies checks every family and that each coverage names a plan
// of cfg. It reports every problem (as domain.Problems), each at its path
// in the bundle ("families[3].members[0]").
func (c *Config) ValidateFamilies() error {
	plans := map[string]bool{}
	for _, p := range c.Plans {
		plans[p.ID] = true
	}
	var ps domain.Problems
	ids := map[string]bool{}
	for i := range c.Families {
		f := &c.Families[i]
		path := domain.Index("families", i)
		ps.Add(path, f.Validate())
		if ids[f.CardholderID] {
			ps.Addf(path, "cardholder_id appears twice in the bundle")
		}
		ids[f.CardholderID] = true
		for j, m := range f.Members {
			for k, cov := range m.Coverages {
				if cov.PlanID != "" && !plans[cov.PlanID] {
					at := domain.JoinPath(path, domain.JoinPath(domain.Index("members", j), domain.Index("coverages", k)))
					ps.Addf(at, "member %s: unknown plan %q", m.PersonCode, cov.PlanID)
				}
			}
		}
	}
	return ps.Err()
}

// Validate checks a plan against the configured networks and reports every
// problem (as domain.Problems), each at its path within the plan.
func (p *Plan) Validate(networks map[string]bool) error {
	var ps domain.Problems
	if p.ID == "" {
		ps.Addf("", "plan without id")
	}
	p.Dated.validate(&ps)
	if p.PeriodStartMonth < 0 || p.PeriodStartMonth > 12 {
		ps.Addf("", "period_start_month %d is outside 1 to 12", p.PeriodStartMonth)
	}
	if len(p.Networks) == 0 {
		ps.Addf("", "no networks")
	}
	for i, n := range p.Networks {
		path := domain.Index("networks", i)
		if !networks[n.Network] {
			ps.Addf(path, "unknown network %q", n.Network)
		}
		if n.Classification != domain.InNetwork && n.Classification != domain.OutOfNetwork {
			ps.Addf(path, "network %s: classification must be IN or OUT", n.Network)
		}
	}
	ps.Add("", p.LevelSettings.Validate())
	for i, f := range p.Formulary {
		path, entry := domain.Index("formulary", i), fmt.Sprintf("formulary entry %d", i+1)
		ps.Wrap(path, entry, f.DrugMatch.Validate())
		if f.Tier < 1 || f.Tier > 9 {
			ps.Addf(path, "%s: tier %d is outside 1 to 9", entry, f.Tier)
		}
	}
	for i, x := range p.Exclusions {
		ps.Wrap(domain.Index("exclusions", i), fmt.Sprintf("exclusion %d", i+1), x.Validate())
	}
	return ps.Err()
}
