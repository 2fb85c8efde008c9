package adjudicator

import (
	"strconv"
	"strings"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// scheduleFacts are the claim facts a schedule column may name, each with
// how it is read from a claim under adjudication. Drug and pharmacy
// attributes ("drug.<name>", "pharmacy.<name>") are facts too, so a new
// column over a new attribute is data in the catalog and the schedule.
var scheduleFacts = map[string]func(a *adjudication) string{
	"network":           func(a *adjudication) string { return a.network.ID },
	"network_type":      func(a *adjudication) string { return a.segment.Type.String() },
	"network_class":     func(a *adjudication) string { return a.segment.Class.String() },
	"pharmacy":          func(a *adjudication) string { return a.claim.PharmacyNPI },
	"ndc":               func(a *adjudication) string { return a.drug.NDC },
	"drug_class":        func(a *adjudication) string { return a.drug.TherapeuticClass },
	"multi_source_code": func(a *adjudication) string { return a.drug.MultiSourceCode },
	"brand_class":       func(a *adjudication) string { return a.drug.brandClass.String() },
	"tier":              func(a *adjudication) string { return strconv.Itoa(a.resp.Tier) },
	"days_supply":       func(a *adjudication) string { return strconv.Itoa(a.claim.DaysSupply) },
	"quantity":          func(a *adjudication) string { return a.claim.qty.String() },
	"fill_number":       func(a *adjudication) string { return strconv.Itoa(a.claim.FillNumber) },
	"daw":               func(a *adjudication) string { return a.claim.daw },
	"plan":              func(a *adjudication) string { return a.plan.ID },
	"group":             func(a *adjudication) string { return a.family.GroupID },
	"client":            func(a *adjudication) string { return a.path.levels[2].ID },
	"age":               func(a *adjudication) string { return strconv.Itoa(a.facts.Age) },
	"gender":            func(a *adjudication) string { return a.facts.Gender },
}

// claimFacts exposes the claim under adjudication to schedules.
type claimFacts struct{ a *adjudication }

// Fact implements edits.ScheduleFacts.
func (f claimFacts) Fact(name string) (string, bool) {
	if get, ok := scheduleFacts[name]; ok {
		return get(f.a), true
	}
	if attr, ok := strings.CutPrefix(name, edits.DrugAttributePrefix); ok {
		v, ok := f.a.drug.Attributes[attr]
		return v, ok
	}
	if attr, ok := strings.CutPrefix(name, edits.PharmacyAttributePrefix); ok {
		if p := f.a.snap.pharmacies[f.a.claim.PharmacyNPI]; p != nil {
			v, ok := p.Attributes[attr]
			return v, ok
		}
	}
	return "", false
}

// schedule resolves ref for the claim: an amount in unit, a trace of the
// lines used, and whether a line applied.
func (a *adjudication) schedule(ref *edits.ScheduleRef, unit edits.ScheduleUnit) (decimal.Decimal, string, bool) {
	return a.snap.schedules.Resolve(ref, claimFacts{a}, a.claim.dos, unit)
}

// compileSchedules validates and compiles the configuration's schedule
// versions and keeps, for each schedule, its Active versions with the
// dates they are in force (config.VersionsInForce: they hand over by
// date, and inactivating a later one never re-extends an earlier one).
func compileSchedules(cfg *config.Config) (edits.Schedules, error) {
	var ps domain.Problems
	compiled := make(map[*config.Schedule]*edits.CompiledSchedule, len(cfg.Schedules))
	for i := range cfg.Schedules {
		s := &cfg.Schedules[i]
		if err := s.Validate(); err != nil {
			ps.Wrap(domain.Index("schedules", i), s.Ref(), err)
			continue
		}
		c, err := edits.CompileSchedule(&s.Schedule, edits.IsScheduleColumn)
		if err != nil {
			ps.Add("", err)
			continue
		}
		compiled[s] = c
	}
	ps.Add("", cfg.CheckScheduleVersions())
	if len(ps) > 0 {
		return nil, ps
	}
	inForce := config.VersionsInForce(cfg.Schedules)
	out := make(edits.Schedules, len(inForce))
	for id, vs := range inForce {
		out[id] = make([]edits.ScheduleVersion, 0, len(vs))
		for _, v := range vs {
			out[id] = append(out[id], edits.ScheduleVersion{CompiledSchedule: compiled[v.Version], Version: v.Version.Version, Window: v.Window})
		}
	}
	return out, nil
}

// checkScheduleRefs checks that the schedules an edit reads exist, are of
// the right kind, and that a rate schedule's amounts suit their use.
func (s *snapshot) checkScheduleRefs(e *edits.Edit) error {
	for _, u := range e.ScheduleUses() {
		if err := s.schedules.CheckUse(u); err != nil {
			return &edits.ValidationError{Ref: e.Ref(), Problems: []edits.Problem{{Field: u.Field, Message: err.Error()}}}
		}
	}
	return nil
}
