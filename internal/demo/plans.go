package demo

import (
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// planNetworks are the networks both plans use: one of each type in
// network and one of each type out of network.
func planNetworks() []config.PlanNetwork {
	return []config.PlanNetwork{
		{Network: NetRetailPref, Classification: domain.InNetwork},
		{Network: NetRetail90, Classification: domain.InNetwork},
		{Network: NetMail, Classification: domain.InNetwork},
		{Network: NetSpecialty, Classification: domain.InNetwork},
		{Network: NetRetailOpen, Classification: domain.OutOfNetwork},
		{Network: NetRetail90Open, Classification: domain.OutOfNetwork},
		{Network: NetMailOpen, Classification: domain.OutOfNetwork},
		{Network: NetSpecialtyOpen, Classification: domain.OutOfNetwork},
	}
}

// formulary places drugs on tiers: therapeutic classes give the baseline
// (generic classes tier 1, preferred single-source brand classes tier 2,
// specialty classes tier 4) and NDC entries, which win over classes, place
// the brands of generic classes on tier 2 (preferred) or 3 (non-preferred).
// Dermatology (GPI group 90) is on no tier, so Aczone rejects MR.
func formulary() []config.FormularyEntry {
	var out []config.FormularyEntry
	byClass := func(tier int, prefixes ...string) {
		for _, p := range prefixes {
			out = append(out, config.FormularyEntry{DrugMatch: config.DrugMatch{ClassPrefix: p}, Tier: tier})
		}
	}
	byNDC := func(tier int, ndcs ...string) {
		for _, n := range ndcs {
			out = append(out, config.FormularyEntry{DrugMatch: config.DrugMatch{NDC: n}, Tier: tier})
		}
	}
	byClass(1,
		"0120", // penicillins
		"0340", // macrolides
		"2725", // biguanides
		"2810", // thyroid hormones
		"3320", // beta blockers
		"3400", // calcium channel blockers
		"3610", // ACE inhibitors
		"3615", // angiotensin II receptor blockers
		"3760", // thiazide diuretics
		"3940", // HMG-CoA reductase inhibitors (statins)
		"4420", // bronchodilators and combinations
		"4450", // leukotriene modifiers
		"4927", // proton pump inhibitors
		"5816", // SSRIs
		"6610", // NSAIDs
		"7260", // gabapentinoids
		"8320", // coumarin anticoagulants
	)
	byClass(2,
		"2710", // insulins
		"2717", // GLP-1 receptor agonists
		"2755", // DPP-4 inhibitors
		"2770", // SGLT2 inhibitors
		"8337", // direct factor Xa inhibitors
	)
	byClass(4,
		"6627", // TNF alpha inhibitors, monoclonal antibodies
		"6629", // TNF alpha inhibitors, receptor fusion proteins
	)
	byNDC(2,
		DemoBrandNDC,  // Lipitor
		"00074455290", // Synthroid
		"00173069700", // Advair Diskus
	)
	byNDC(3,
		"00006074031", // Zocor
		"00310075190", // Crestor
		"00069152066", // Norvasc
		"00087606010", // Glucophage
		"50458057930", // Xarelto
		"00186504031", // Nexium
		"00049496066", // Zoloft
		"64764072030", // Trintellix
	)
	return out
}

// exclusions: anti-obesity agents are not a benefit of either plan (reject 70).
func exclusions() []config.DrugMatch {
	return []config.DrugMatch{{ClassPrefix: "6125"}}
}

// cond holds a cost-share line's conditions; zero values leave a condition
// unset. copay and coins add what the member pays.
type cond struct {
	tiers   []int
	brand   domain.BrandClass
	types   []domain.NetworkType
	class   domain.NetworkClass
	minDays int
	maxDays int
}

func (c cond) line() edits.CostShareLine {
	return edits.CostShareLine{Tiers: c.tiers, BrandClass: c.brand, NetworkTypes: c.types, NetworkClass: c.class, MinDays: c.minDays, MaxDays: c.maxDays}
}

func copay(c cond, amount string) edits.CostShareLine {
	l := c.line()
	l.Kind, l.Amount = edits.Copay, dec(amount)
	return l
}

// coins is a coinsurance line; floor and ceiling "" mean none.
func coins(c cond, rate, floor, ceiling string) edits.CostShareLine {
	l := c.line()
	l.Kind, l.Rate = edits.Coinsurance, dec(rate)
	if floor != "" {
		l.Min = dec(floor)
	}
	if ceiling != "" {
		l.Max = dec(ceiling)
	}
	return l
}

// allTiers returns a fresh list of the four tiers (lines never share
// slices, so a caller may edit one plan without touching another).
func allTiers() []int { return []int{1, 2, 3, 4} }

// ppoCostShare is the PPO copay schedule. Every in-network line names
// network class IN, so it never matches an out-of-network claim, and the
// one OUT line takes every out-of-network claim. Within a tier the most
// specific matching line wins:
//
//	retail ≤ 34 days   tier + type + class + days   specificity 4
//	retail ≥ 35 days   tier + type + class + days   specificity 4
//	retail90 or mail   tier + types + class         specificity 3
//	anything else IN   tier + class                 specificity 2
//
// so a generic at a specialty pharmacy still pays the 30-day copay.
func ppoCostShare() []edits.CostShareLine {
	in := domain.InNetwork
	retail := func() []domain.NetworkType { return []domain.NetworkType{domain.Retail} }
	extendedSupply := func() []domain.NetworkType { return []domain.NetworkType{domain.Retail90, domain.Mail} }
	var lines []edits.CostShareLine
	for _, t := range []struct {
		tier          int
		short, long90 string
	}{{1, "10.00", "25.00"}, {2, "40.00", "100.00"}} {
		tier := func() []int { return []int{t.tier} }
		lines = append(lines,
			copay(cond{tiers: tier(), types: retail(), class: in, maxDays: 34}, t.short),
			copay(cond{tiers: tier(), types: retail(), class: in, minDays: 35}, t.long90),
			copay(cond{tiers: tier(), types: extendedSupply(), class: in}, t.long90),
			copay(cond{tiers: tier(), class: in}, t.short),
		)
	}
	return append(lines,
		coins(cond{tiers: []int{3}, class: in}, "0.30", "50.00", "150.00"),
		coins(cond{tiers: []int{4}, class: in}, "0.20", "", "250.00"),
		coins(cond{tiers: allTiers(), class: domain.OutOfNetwork}, "0.40", "", ""),
	)
}

// hdhpCostShare: after the deductible, generics pay a copay by brand class
// and network type (10.00 retail, 20.00 retail90 or mail); everything else
// in network pays 20 % coinsurance, and out of network 40 %.
func hdhpCostShare() []edits.CostShareLine {
	lines := []edits.CostShareLine{
		coins(cond{tiers: allTiers(), class: domain.InNetwork}, "0.20", "", ""),
		coins(cond{tiers: allTiers(), class: domain.OutOfNetwork}, "0.40", "", ""),
	}
	for _, bc := range []domain.BrandClass{domain.GenericMultiSource, domain.GenericSingleSource} {
		lines = append(lines,
			copay(cond{tiers: allTiers(), brand: bc, types: []domain.NetworkType{domain.Retail}, class: domain.InNetwork}, "10.00"),
			copay(cond{tiers: allTiers(), brand: bc, types: []domain.NetworkType{domain.Retail90, domain.Mail}, class: domain.InNetwork}, "20.00"),
		)
	}
	return lines
}

// limit is a deductible or out-of-pocket maximum read at plan level.
func limit(individual, family string) edits.Limit {
	return edits.Limit{
		Individual:   dec(individual),
		Family:       dec(family),
		Accumulation: edits.Accumulation{Mode: edits.PlanAccumulation},
	}
}

// plan fills the settings both plans share. The defaults the engine would
// fill in (penalty and MAC-exempt DAW codes, the Retail90 threshold) are
// written out so the bundle reads back exactly as built.
func plan(id, name string, ded, oop edits.Limit, lines []edits.CostShareLine) config.Plan {
	return config.Plan{
		ID:               id,
		Name:             name,
		PeriodStartMonth: 1,
		Networks:         planNetworks(),
		Deductible:       ded,
		OutOfPocket:      oop,
		CostShare:        lines,
		Formulary:        formulary(),
		Exclusions:       exclusions(),
		LevelSettings:    config.LevelSettings{PenaltyDAW: []string{"2"}, MACExemptDAW: []string{"1", "2", "7", "8"}, Retail90MinDays: 84},
	}
}

func plans() []config.Plan {
	return []config.Plan{
		plan(PlanPPO, "Commercial PPO", limit("250.00", "500.00"), limit("2000.00", "4000.00"), ppoCostShare()),
		plan(PlanHDHP, "High-deductible health plan", limit("1600.00", "3200.00"), limit("5000.00", "10000.00"), hdhpCostShare()),
	}
}
