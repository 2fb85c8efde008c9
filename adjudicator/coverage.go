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

// costShareGaps checks the plans an edit at level lv reaches, on day. The
// members of a group see its client's and its own edits: an edit at a
// client is checked for each of the client's groups with cost-share edits
// of their own, and once for all the others, which one of them stands for.
func (s *snapshot) costShareGaps(lv edits.Level, day domain.Date) []string {
	type reach struct{ group, label string }
	reaches := []reach{{}}
	switch lv.Kind {
	case edits.GroupLevel:
		reaches = []reach{{lv.ID, "group " + lv.ID}}
	case edits.ClientLevel:
		reaches = nil
		rep := ""
		for _, id := range slices.Sorted(maps.Keys(s.groups)) {
			switch {
			case s.groups[id].ClientID != lv.ID:
			case s.edits.Has(edits.Level{Kind: edits.GroupLevel, ID: id}, edits.KindCostShare):
				reaches = append(reaches, reach{id, "group " + id})
			case rep == "":
				rep = id
			}
		}
		if rep != "" {
			reaches = append(reaches, reach{rep, "the other groups of client " + lv.ID})
		}
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(s.plans)) {
		if lv.Kind == edits.PlanLevel && lv.ID != id {
			continue
		}
		for _, r := range reaches {
			if p, _ := s.planOn(id, day); p != nil {
				out = append(out, s.planGaps(p, r.group, r.label, day)...)
			}
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
func (s *snapshot) planGaps(p *compiledPlan, group, label string, day domain.Date) []string {
	path := s.pathFor(p, group, day)
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
	if label != "" {
		where += " (" + label + ")"
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
		for _, n := range s.networks[name] {
			if seg := (domain.Segment{Type: n.Version.Type, Class: class}); !slices.Contains(segs, seg) {
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
// which no line of the cost-share edit w matches f; all of them when w is
// nil. Coverage changes only where a line's days-supply band starts or
// ends, so it is tested there.
func uncoveredDays(w *edits.Compiled, f edits.CostShareFacts) [][2]int {
	if w == nil {
		return [][2]int{{1, maxDaysSupply}}
	}
	cuts := []int{1, maxDaysSupply + 1}
	for _, l := range w.CostShare {
		for _, d := range []int{l.MinDays, l.MaxDays + 1} {
			if d > 1 && d <= maxDaysSupply && !slices.Contains(cuts, d) {
				cuts = append(cuts, d)
			}
		}
	}
	slices.Sort(cuts)
	var out [][2]int
	for i, from := range cuts[:len(cuts)-1] {
		to := cuts[i+1] - 1
		f.DaysSupply = from
		if slices.ContainsFunc(w.CostShare, func(l edits.CostShareLine) bool { return l.Matches(f) }) {
			continue
		}
		if len(out) > 0 && out[len(out)-1][1] == from-1 {
			out[len(out)-1][1] = to
		} else {
			out = append(out, [2]int{from, to})
		}
	}
	return out
}
