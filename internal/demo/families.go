package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/rxclaims/rxclaims/domain"
)

// Enrollment facts of the generated families.
const (
	familyCount      = 150
	coverageStart    = "2026-01-01"
	midYearTerm      = "2026-06-30" // a few families leave mid-year
	futureStart      = "2026-12-01" // a few join late in the year (future coverage)
	oldestDependent  = "2001-01-01" // generated children stay under 26 through 2026
	demoGroupPrimary = DemoGroup
	demoGroupOther   = "GRP200"
)

// person is one member before coverage is attached.
type person struct {
	code, dob, gender string
	to                string // coverage end for this member alone, "" for the family's
}

// fixedFamilies are documented families; the first is DemoCardholder.
var fixedFamilies = []struct {
	id, group, plan, from, to string
	people                    []person
}{
	{DemoCardholder, DemoGroup, PlanPPO, DemoCoverageEffective, "", []person{
		{DemoSubscriberCode, DemoSubscriberDOB, "F", ""},
		{DemoSpouseCode, DemoSpouseDOB, "M", ""},
		{DemoChildCode, DemoChildDOB, "F", ""},
	}},
	// Child 003 turns 26 on 2026-08-19; coverage ends with that month.
	{"DEMO0002", DemoGroup, PlanPPO, coverageStart, "", []person{
		{"001", "1972-05-03", "M", ""},
		{"002", "1974-11-21", "F", ""},
		{"003", "2000-08-19", "M", "2026-08-31"},
		{"004", "2004-03-07", "F", ""},
	}},
	{"DEMO0003", demoGroupOther, PlanPPO, coverageStart, midYearTerm, []person{
		{"001", "1988-07-22", "M", ""},
	}},
	{"DEMO0004", demoGroupOther, PlanPPO, futureStart, "", []person{
		{"001", "1995-01-30", "F", ""},
		{"002", "1994-06-11", "M", ""},
	}},
	{"DEMO0005", demoGroupOther, PlanHDHP, coverageStart, "", []person{
		{"001", "1990-10-05", "F", ""},
		{"003", "2019-04-18", "M", ""},
	}},
}

// families returns the fixed families followed by generated ones up to
// DEMO0150, drawn from a fixed seed.
func families() []domain.Family {
	out := make([]domain.Family, 0, familyCount)
	for _, f := range fixedFamilies {
		out = append(out, family(f.id, f.group, f.plan, f.from, f.to, f.people))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := len(out) + 1; i <= familyCount; i++ {
		out = append(out, randomFamily(rng, fmt.Sprintf("DEMO%04d", i)))
	}
	return out
}

// family builds a family whose members share one coverage range.
func family(id, group, plan, from, to string, people []person) domain.Family {
	f := domain.Family{CardholderID: id, GroupID: group}
	for _, p := range people {
		r := domain.Range{From: date(from)}
		switch {
		case p.to != "":
			r.To = date(p.to)
		case to != "":
			r.To = date(to)
		}
		f.Members = append(f.Members, domain.Member{
			PersonCode:  p.code,
			DateOfBirth: date(p.dob),
			Gender:      p.gender,
			Coverages:   []domain.Coverage{{PlanID: plan, Range: r}},
		})
	}
	return f
}

// randomFamily draws a subscriber aged 22 to 64, a spouse for most adults
// and up to four children, with group, plan and coverage dates.
func randomFamily(rng *rand.Rand, id string) domain.Family {
	group, hdhpShare := demoGroupPrimary, 0.15
	if rng.Float64() < 0.4 {
		group, hdhpShare = demoGroupOther, 0.35
	}
	plan := PlanPPO
	if rng.Float64() < hdhpShare {
		plan = PlanHDHP
	}
	from, to := coverageStart, ""
	switch x := rng.Float64(); {
	case x < 0.04:
		to = midYearTerm
	case x < 0.07:
		from = futureStart
	}

	jan1 := date(coverageStart)
	yearsBefore := func(d domain.Date, years int) domain.Date { return d.AddDays(-years * 365) }
	between := func(lo, hi domain.Date) domain.Date { return lo.AddDays(rng.IntN(hi.Days() - lo.Days() + 1)) }
	gender := func() string { return [...]string{"M", "F"}[rng.IntN(2)] }
	opposite := map[string]string{"M": "F", "F": "M"}

	subDOB := between(yearsBefore(jan1, 64), yearsBefore(jan1, 22))
	subGender := gender()
	people := []person{{"001", subDOB.String(), subGender, ""}}

	age := (jan1.Days() - subDOB.Days()) / 365
	if age >= 25 && rng.Float64() < 0.6 {
		dob := subDOB.AddDays(rng.IntN(12*365+1) - 6*365)
		if latest := yearsBefore(jan1, 21); dob.After(latest) {
			dob = latest
		}
		g := opposite[subGender]
		if rng.Float64() < 0.08 {
			g = subGender
		}
		people = append(people, person{"002", dob.String(), g, ""})
	}

	if age >= 25 && age <= 60 {
		kids := []int{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 4}[rng.IntN(19)]
		lo := subDOB.AddDays(20 * 365)
		if oldest := date(oldestDependent); lo.Before(oldest) {
			lo = oldest
		}
		hi := subDOB.AddDays(45 * 365)
		if last := jan1.AddDays(-1); hi.After(last) {
			hi = last
		}
		var dobs []domain.Date
		for range kids {
			if !hi.Before(lo) {
				dobs = append(dobs, between(lo, hi))
			}
		}
		slices.SortFunc(dobs, func(a, b domain.Date) int { return a.Days() - b.Days() })
		for k, dob := range dobs { // oldest child first
			people = append(people, person{fmt.Sprintf("%03d", 3+k), dob.String(), gender(), ""})
		}
	}
	return family(id, group, plan, from, to, people)
}
