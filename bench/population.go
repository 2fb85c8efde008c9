package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/shopspring/decimal"
)

// PopulationOptions size a synthetic population.
type PopulationOptions struct {
	Seed       uint64
	Members    int         // members in all; families are drawn until there are this many
	Pharmacies int         // default 200
	DrugPairs  int         // generated brand/generic pairs on top of the demo catalog; default 200
	Today      domain.Date // coverage starts on January 1 of the year before
	// Edits is the number of synthetic Active edits (edits.Synthetic:
	// limitation, clinical and benefit-maximum exceptions for drugs the mix
	// never sends) spread over the plans, on top of the refill-too-soon
	// edit every population has.
	Edits int
}

func (o PopulationOptions) withDefaults() (PopulationOptions, error) {
	if o.Members < 1 {
		return o, fmt.Errorf("bench: population needs at least one member, not %d", o.Members)
	}
	if o.Pharmacies == 0 {
		o.Pharmacies = 200
	}
	if o.Pharmacies < 20 {
		return o, fmt.Errorf("bench: population needs at least 20 pharmacies (one of each kind), not %d", o.Pharmacies)
	}
	if o.DrugPairs == 0 {
		o.DrugPairs = 200
	}
	if o.DrugPairs < 0 || o.DrugPairs > 100_000 {
		return o, fmt.Errorf("bench: drug pairs %d is outside 0 to 100,000", o.DrugPairs)
	}
	if o.Today.IsZero() {
		o.Today = domain.DateOf(time.Now())
	}
	if o.Edits < 0 {
		return o, fmt.Errorf("bench: edits %d must not be negative", o.Edits)
	}
	return o, nil
}

// Population is a generated configuration bundle and the facts the claim
// mix draws on: who is covered, which drugs and pharmacies exist and what
// each would make the adjudicator decide.
type Population struct {
	Config *config.Config
	Today  domain.Date
	// Start is January 1 of the year before Today's: coverage starts then,
	// so claims can be dated over the last year or more.
	Start domain.Date

	members  []member
	families int
	// Drugs by use: maintenance drugs are refilled, acute ones are not,
	// specialty ones go to specialty pharmacies.
	maintenance, acute, specialty []drug
	nonFormulary, excluded        []string // NDCs that reject MR and 70
	pharmacies                    map[pharmacyKind][]string
}

type member struct {
	cardholder, group, personCode string
	dob                           domain.Date
	termination                   domain.Date // zero: covered through today
}

type drug struct {
	ndc   string
	awp   decimal.Decimal // unit price, for the submitted amounts
	brand bool
}

// pharmacyKind says what a pharmacy is for the claim mix.
type pharmacyKind int

const (
	retailIn     pharmacyKind = iota // RETAIL-PREF and RETAIL90-NET
	retailOnlyIn                     // RETAIL-PREF only
	retailOut                        // RETAIL-OPEN and RETAIL90-OPEN (out of network)
	mailIn                           // MAIL-NET
	mailOut                          // MAIL-OPEN
	specialtyIn                      // SPECIALTY-NET
	specialtyOut                     // SPECIALTY-OPEN
	terminated                       // contract ended last year: reject 40
	pharmacyKinds
)

// pharmacyShares are the shares of each kind, in per mille.
var pharmacyShares = [pharmacyKinds]int{600, 150, 100, 30, 20, 50, 20, 30}

// Plan IDs: the demo's two plans and a variant of each.
const (
	planPPOPlus = "PPO-PLUS"
	planHDHPHSA = "HDHP-HSA"
)

// NewPopulation draws a population from the seed; the same options give
// the same population.
func NewPopulation(o PopulationOptions) (*Population, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x706f70))
	base := demo.Config()
	start := domain.NewDate(o.Today.Time().Year()-1, time.January, 1)
	p := &Population{Today: o.Today, Start: start, pharmacies: map[pharmacyKind][]string{}}
	cfg := &config.Config{Networks: base.Networks, Settings: config.SettingsVersions{{LevelSettings: config.LevelSettings{FilingLimitDays: new(FilingLimitDays)}}}}
	cfg.Drugs, cfg.Plans = p.catalog(rng, base, o.DrugPairs)
	cfg.Edits = p.edits(cfg.Plans, o.Edits)
	cfg.Pharmacies = p.drawPharmacies(o.Pharmacies)
	cfg.Families = p.drawFamilies(rng, o.Members)
	p.Config, p.families = cfg, len(cfg.Families)
	return p, nil
}

// FilingLimitDays is the timely filing limit of the population's PBM:
// the history is dated from HistoryDays before Today, further back than
// the default limit of 365 days, which once rejected (81) a quarter of
// every seeded history. The days left over (MaxTodayAge) let a run pin
// Today to an earlier day and reuse a seed cache (Options.Today).
const (
	FilingLimitDays = 500
	HistoryDays     = 465
	MaxTodayAge     = FilingLimitDays - HistoryDays
)

// Members is the number of members.
func (p *Population) Members() int { return len(p.members) }

// Families is the number of families.
func (p *Population) Families() int { return p.families }

// catalog returns the demo drugs plus pairs generated in the demo's generic
// therapeutic classes (a multi-source brand, code O, and its generic, code
// Y, sharing class and MAC) and single-source brands in its brand classes;
// and the plans, whose formularies place the generated brands on tier 2 or 3.
func (p *Population) catalog(rng *rand.Rand, base *config.Config, pairs int) ([]domain.Drug, []config.Plan) {
	genericClasses := []string{"3940", "3400", "3610", "3615", "3320", "3760", "2725", "2810", "4927", "5816", "6610", "7260", "4450", "8320"}
	brandClasses := []string{"2710", "2717", "2755", "2770", "8337"}
	priced := func(awp, mac decimal.Decimal) []domain.DrugPrice {
		return []domain.DrugPrice{{Effective: domain.MustDate("2020-01-01"), AWP: awp, MAC: mac}}
	}
	drugs := slices.Clone(base.Drugs)
	var tiers []config.FormularyEntry
	for i := range pairs {
		ndc := func(k int) string { return fmt.Sprintf("9%010d", 2*i+k) }
		if i%5 == 4 { // a single-source brand
			class := brandClasses[rng.IntN(len(brandClasses))]
			awp := cents(1000 + rng.IntN(3000))
			drugs = append(drugs, domain.Drug{NDC: ndc(0), Name: fmt.Sprintf("Brandix %d mg Tablet", 5+i%40), TherapeuticClass: class + fmt.Sprintf("9%09d", i), MultiSourceCode: "N", Prices: priced(awp, decimal.Zero)})
			continue
		}
		class := genericClasses[rng.IntN(len(genericClasses))] + fmt.Sprintf("9%09d", i)
		genericAWP := cents(10 + rng.IntN(290))
		mac := genericAWP.Mul(decimal.New(int64(5+rng.IntN(25)), -2)).Round(4)
		brandAWP := genericAWP.Mul(decimal.NewFromInt(int64(5 + rng.IntN(10))))
		drugs = append(drugs,
			domain.Drug{NDC: ndc(0), Name: fmt.Sprintf("Genericol %d mg Tablet", 5+i%40), TherapeuticClass: class, MultiSourceCode: "Y", Prices: priced(genericAWP, mac)},
			domain.Drug{NDC: ndc(1), Name: fmt.Sprintf("Brandol %d mg Tablet", 5+i%40), TherapeuticClass: class, MultiSourceCode: "O", Prices: priced(brandAWP, mac)},
		)
		tiers = append(tiers, config.FormularyEntry{DrugMatch: config.DrugMatch{NDC: ndc(1)}, Tier: 2 + rng.IntN(2)})
	}

	plans := slices.Clone(base.Plans)
	ppo, hdhp := plans[0], plans[1]
	ppo.ID, ppo.Name = planPPOPlus, "Commercial PPO, low deductible"
	ppo.Deductible.Individual, ppo.Deductible.Family = decimal.NewFromInt(100), decimal.NewFromInt(200)
	hdhp.ID, hdhp.Name = planHDHPHSA, "HSA-qualified high-deductible plan"
	hdhp.Deductible.Individual, hdhp.Deductible.Family = decimal.NewFromInt(3200), decimal.NewFromInt(6400)
	plans = append(plans, ppo, hdhp)
	for i := range plans {
		plans[i].Formulary = append(slices.Clone(plans[i].Formulary), tiers...)
	}

	for _, d := range drugs {
		class := d.TherapeuticClass[:4]
		dr := drug{ndc: d.NDC, awp: d.Prices[len(d.Prices)-1].AWP, brand: d.MultiSourceCode == "O" || d.MultiSourceCode == "N"}
		switch {
		case d.NDC == demo.DemoNonFormularyNDC || class[:2] == "90":
			p.nonFormulary = append(p.nonFormulary, d.NDC)
		case class[:2] == "61":
			p.excluded = append(p.excluded, d.NDC)
		case class == "6627" || class == "6629":
			p.specialty = append(p.specialty, dr)
		case class == "0120" || class == "0340":
			p.acute = append(p.acute, dr)
		default:
			p.maintenance = append(p.maintenance, dr)
		}
	}
	return drugs, plans
}

// RefillTooSoonPercent is the share of the previous fill's days supply
// that must pass before a fill in the same therapeutic class pays.
const RefillTooSoonPercent = 75

// edits returns a PBM-level refill-too-soon edit (79 before 75 % of the
// previous supply is used) and n synthetic Active edits over the plans.
func (p *Population) edits(plans []config.Plan, n int) []edits.Edit {
	audit := edits.Audit{CreatedBy: "bench", ActivatedBy: "bench-checker"}
	out := []edits.Edit{{
		ID: "BENCH-REFILL-TOO-SOON", Version: 1, Status: edits.Active, Name: "Refill too soon at 75 %",
		Kind: edits.KindRefillTooSoon, Level: edits.Level{Kind: edits.PBMLevel}, Range: domain.Range{From: p.Start},
		RefillTooSoon: &edits.RefillTooSoon{Percent: RefillTooSoonPercent}, Audit: audit,
	}}
	for i, pl := range plans {
		share := n / len(plans)
		if i < n%len(plans) {
			share++
		}
		for _, e := range edits.Synthetic(pl.ID, share, p.Start) {
			e.ID = fmt.Sprintf("%s-%s", pl.ID, e.ID) // Synthetic's IDs are per plan
			out = append(out, e)
		}
	}
	return out
}

func cents(n int) decimal.Decimal { return decimal.New(int64(n), -2) }

// drawPharmacies makes n pharmacies in the shares of pharmacyShares.
func (p *Population) drawPharmacies(n int) []domain.Pharmacy {
	since := domain.Range{From: domain.MustDate("2020-01-01")}
	contracts := map[pharmacyKind][]domain.Participation{
		retailIn:     {{Network: demo.NetRetailPref, Range: since}, {Network: demo.NetRetail90, Range: since}},
		retailOnlyIn: {{Network: demo.NetRetailPref, Range: since}},
		retailOut:    {{Network: demo.NetRetailOpen, Range: since}, {Network: demo.NetRetail90Open, Range: since}},
		mailIn:       {{Network: demo.NetMail, Range: since}},
		mailOut:      {{Network: demo.NetMailOpen, Range: since}},
		specialtyIn:  {{Network: demo.NetSpecialty, Range: since}},
		specialtyOut: {{Network: demo.NetSpecialtyOpen, Range: since}},
		terminated:   {{Network: demo.NetRetailPref, Range: domain.Range{From: since.From, To: p.Start.AddDays(-1)}}},
	}
	names := [pharmacyKinds]string{"Pharmacy", "Drug", "Independent Pharmacy", "Mail Service Pharmacy", "Mail Order Rx", "Specialty Pharmacy", "Specialty Infusion", "Former Pharmacy"}
	out := make([]domain.Pharmacy, 0, n)
	for k := range pharmacyKinds {
		count := max(1, n*pharmacyShares[k]/1000)
		for range count {
			npi := demo.NPI(fmt.Sprintf("3%08d", len(out)))
			out = append(out, domain.Pharmacy{NPI: npi, Name: fmt.Sprintf("Bench %s #%04d", names[k], len(out)), Participations: slices.Clone(contracts[k])})
			p.pharmacies[k] = append(p.pharmacies[k], npi)
		}
	}
	return out
}

// drawFamilies draws families until there are n members: a subscriber aged
// 22 to 64, often a spouse, and children. Everyone is covered from Start;
// three families in a hundred left the plan 30 days before today, so their
// later claims reject 69. Groups hold about 500 families each and offer one
// PPO and one high-deductible plan.
func (p *Population) drawFamilies(rng *rand.Rand, n int) []domain.Family {
	year := p.Today.Time().Year()
	groups := max(2, n/1200)
	plans := [][2]string{{demo.PlanPPO, demo.PlanHDHP}, {planPPOPlus, planHDHPHSA}}
	var fams []domain.Family
	for len(p.members) < n {
		i := len(fams)
		g := rng.IntN(groups)
		f := domain.Family{CardholderID: fmt.Sprintf("BM%08d", i), GroupID: fmt.Sprintf("GRP%05d", g)}
		plan := plans[g%2][0]
		if rng.IntN(100) < 25 {
			plan = plans[g%2][1]
		}
		cov := domain.Range{From: p.Start}
		if end := p.Today.AddDays(-30); rng.IntN(100) < 3 {
			cov.To = end
		}
		size := []int{1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6}[rng.IntN(20)]
		size = min(size, n-len(p.members))
		subAge := 22 + rng.IntN(43)
		for k := range size {
			age := subAge
			switch {
			case k == 1:
				age = max(19, subAge-6+rng.IntN(13))
			case k > 1:
				age = rng.IntN(min(26, max(1, subAge-18)))
			}
			dob := domain.NewDate(year-age, time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
			if dob.After(p.Start) { // born before any claim is dated
				dob = p.Start
			}
			m := domain.Member{
				PersonCode:  fmt.Sprintf("%03d", k+1),
				DateOfBirth: dob,
				Gender:      [...]string{"M", "F"}[rng.IntN(2)],
				Coverages:   []domain.Coverage{{PlanID: plan, Range: cov}},
			}
			f.Members = append(f.Members, m)
			p.members = append(p.members, member{cardholder: f.CardholderID, group: f.GroupID, personCode: m.PersonCode, dob: dob, termination: cov.To})
		}
		fams = append(fams, f)
	}
	return fams
}
