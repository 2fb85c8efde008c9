package adjudicator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// CheckEdit checks an edit as ValidateEdit does and returns its problems
// (none: it is valid) and, for a valid edit, its warnings (CostShareWarnings).
func (e *Engine) CheckEdit(_ context.Context, ed edits.Edit) ([]edits.Problem, []string, error) {
	err := e.ValidateEdit(ed)
	var ve *edits.ValidationError
	switch {
	case err == nil:
		return nil, e.CostShareWarnings(ed), nil
	case errors.As(err, &ve):
		return ve.Problems, nil, nil
	}
	return nil, nil, err
}

// CostShareWarnings lists, for a COST_SHARE edit, the claims that would find
// no cost-share line with the edit in force: the tier × brand class ×
// network segment × days-supply combinations of the plans it reaches that
// no line covers, on the day it takes effect (today once that is past). A
// claim in such a combination is flagged NO_COST_SHARE, and pays no copay
// or rejects as the plan's no_cost_share setting says. Edits of other kinds,
// and edits that do not compile, get none: their problems are errors.
//
// Edits that name drugs, ages or genders are left out: the check reads the
// cost share a claim matching only tier, brand class and network gets.
func (e *Engine) CostShareWarnings(ed edits.Edit) []string {
	if ed.Kind != edits.KindCostShare {
		return nil
	}
	e.adminMu.Lock()
	cfg, err := snapshotCopy(e.cfg)
	e.adminMu.Unlock()
	if err != nil {
		return nil
	}
	ed.Status = edits.Active
	i := slices.IndexFunc(cfg.Edits, func(x edits.Edit) bool { return x.ID == ed.ID && x.Version == ed.Version })
	switch {
	case ed.Version == 0:
		for _, x := range cfg.Edits {
			if x.ID == ed.ID {
				ed.Version = max(ed.Version, x.Version)
			}
		}
		ed.Version++
		cfg.Edits = append(cfg.Edits, ed)
	case i >= 0:
		cfg.Edits[i] = ed
	default:
		cfg.Edits = append(cfg.Edits, ed)
	}
	snap, err := compile(cfg)
	if err != nil {
		return nil
	}
	day := ed.From
	if today := e.today(); day.Before(today) && (ed.To.IsZero() || !ed.To.Before(today)) {
		day = today
	}
	return snap.costShareGaps(ed.Level, day)
}

// costShareGaps checks the plans an edit at level lv reaches, on day.
func (s *snapshot) costShareGaps(lv edits.Level, day domain.Date) []string {
	groups := []string{""}
	switch lv.Kind {
	case edits.GroupLevel:
		groups = []string{lv.ID}
	case edits.ClientLevel:
		groups = nil
		for id, g := range s.groups {
			if g.ClientID == lv.ID {
				groups = append(groups, id)
			}
		}
		slices.Sort(groups)
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(s.plans)) {
		if lv.Kind == edits.PlanLevel && lv.ID != id {
			continue
		}
		for _, g := range groups {
			out = append(out, s.planGaps(s.plans[id], g, day)...)
		}
	}
	return out
}

var brandClasses = []domain.BrandClass{domain.BrandMultiSource, domain.BrandSingleSource, domain.GenericMultiSource, domain.GenericSingleSource}

// gapKey is one uncovered combination, less its brand classes.
type gapKey struct {
	seg      domain.Segment
	tier     int
	from, to int
}

// planGaps lists what no cost-share line covers for members of group on
// plan p, one line per segment, tier and days-supply range, naming the
// brand classes.
func (s *snapshot) planGaps(p *compiledPlan, group string, day domain.Date) []string {
	path := s.pathFor(p, group)
	gaps := map[gapKey][]domain.BrandClass{}
	var keys []gapKey
	for _, seg := range s.planSegments(p) {
		for _, bc := range brandClasses {
			var sel edits.Selection
			s.edits.Select(path.levels[:], &edits.Facts{DateOfService: day, BrandClass: bc, Segment: seg}, &sel)
			w := sel.Winner(edits.KindCostShare)
			for _, tier := range p.tiers() {
				for _, r := range uncoveredDays(w, edits.CostShareFacts{Tier: tier, BrandClass: bc, Segment: seg}) {
					k := gapKey{seg, tier, r[0], r[1]}
					if gaps[k] == nil {
						keys = append(keys, k)
					}
					gaps[k] = append(gaps[k], bc)
				}
			}
		}
	}
	slices.SortFunc(keys, func(a, b gapKey) int {
		if c := segmentOrder(a.seg) - segmentOrder(b.seg); c != 0 {
			return c
		}
		if a.tier != b.tier {
			return a.tier - b.tier
		}
		return a.from - b.from
	})
	where := "plan " + p.ID
	if group != "" {
		where += " (group " + group + ")"
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		classes := "any brand class"
		if len(gaps[k]) < len(brandClasses) {
			names := make([]string, len(gaps[k]))
			for i, bc := range gaps[k] {
				names[i] = bc.String()
			}
			classes = strings.Join(names, ", ")
		}
		out = append(out, fmt.Sprintf("%s: no cost-share line for tier %d, %s, %s, days supply %d to %d", where, k.tier, classes, k.seg, k.from, k.to))
	}
	return out
}

// planSegments lists the segments of the plan's networks, in order.
func (s *snapshot) planSegments(p *compiledPlan) []domain.Segment {
	var segs []domain.Segment
	for name, class := range p.networks {
		if n := s.networks[name]; n != nil {
			if seg := (domain.Segment{Type: n.Type, Class: class}); !slices.Contains(segs, seg) {
				segs = append(segs, seg)
			}
		}
	}
	slices.SortFunc(segs, func(a, b domain.Segment) int { return segmentOrder(a) - segmentOrder(b) })
	return segs
}

func segmentOrder(s domain.Segment) int { return int(s.Type)*4 + int(s.Class) }

// tiers lists the formulary's tiers, in order.
func (p *compiledPlan) tiers() []int {
	var ts []int
	for _, m := range []map[string]int{p.formularyNDC, p.formularyClass} {
		for _, t := range m {
			if !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
	}
	slices.Sort(ts)
	return ts
}

// uncoveredDays returns the days-supply ranges (1 to maxDaysSupply) in
// which no line of the cost-share edit w matches f; all of them when w is nil.
func uncoveredDays(w *edits.Compiled, f edits.CostShareFacts) [][2]int {
	var out [][2]int
	for d := 1; d <= maxDaysSupply; d++ {
		f.DaysSupply = d
		covered := w != nil && slices.ContainsFunc(w.CostShare, func(l edits.CostShareLine) bool { return l.Matches(f) })
		switch {
		case covered:
		case len(out) > 0 && out[len(out)-1][1] == d-1:
			out[len(out)-1][1] = d
		default:
			out = append(out, [2]int{d, d})
		}
	}
	return out
}
