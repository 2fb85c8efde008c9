package edits

import (
	"slices"
	"strconv"

	"github.com/rxclaims/rxclaims/domain"
)

// Index is the compiled form of the Active edits: for each hierarchy level,
// the edits that name no drugs, and the ones that do by NDC and by
// therapeutic-class prefix. A claim looks up only its own levels, NDC and
// class prefixes, so its cost does not grow with the number of edits that
// cannot match it. An Index is read-only and safe for concurrent use.
type Index struct {
	levels map[Level]*levelIndex
	size   int
}

type levelIndex struct {
	general []*Compiled
	byNDC   map[string][]*Compiled
	byClass map[string][]*Compiled
}

// Compiled is one Active version in the index, with the window in which it
// applies: its own effective range, cut short where a later Active version
// of the same edit takes over.
type Compiled struct {
	*Edit
	Window    domain.Range
	ref       string // Edit.Ref, made once
	selected  string // selectedText, made once
	exception bool
	spec      int
	depth     int
	kind      int
}

// Ref is the edit's Ref, made when the edit was compiled.
func (c *Compiled) Ref() string {
	if c.ref == "" { // not made by Compile
		return c.Edit.Ref()
	}
	return c.ref
}

// Compile indexes the Active versions among all (other statuses are
// ignored). Versions of one edit hand over by date: version n applies
// until the day before the effective date of any later version that was
// ever activated, so a claim uses the version effective on its date of
// service. Inactivating a later version never re-extends an earlier one
// over the dates the later one took: what claims of those dates saw is
// not rewritten (a new version brings a rule back).
func Compile(all []Edit) *Index {
	x := &Index{levels: map[Level]*levelIndex{}}
	byID := map[string][]*Edit{}
	for i := range all {
		if e := &all[i]; WasActivated(e.Status, e.Audit) {
			byID[e.ID] = append(byID[e.ID], e)
		}
	}
	for _, vs := range byID {
		slices.SortFunc(vs, func(a, b *Edit) int { return a.Version - b.Version })
		for i, e := range vs {
			if e.Status != Active {
				continue
			}
			var later []domain.Date
			for _, l := range vs[i+1:] {
				later = append(later, l.From)
			}
			if w, ok := HandOver(e.Range, later); ok {
				c := &Compiled{Edit: e, Window: w, ref: e.Ref(), exception: e.Criteria.Exception(), spec: e.Criteria.Specificity(),
					depth: e.Level.Kind.depth(), kind: KindIndex(e.Kind)}
				c.selected = c.selectedText()
				x.add(c)
			}
		}
	}
	return x
}

func (x *Index) add(c *Compiled) {
	l := x.levels[c.Level]
	if l == nil {
		l = &levelIndex{byNDC: map[string][]*Compiled{}, byClass: map[string][]*Compiled{}}
		x.levels[c.Level] = l
	}
	x.size++
	if len(c.Criteria.Drugs) == 0 {
		l.general = append(l.general, c)
		return
	}
	for _, d := range c.Criteria.Drugs {
		if d.NDC != "" {
			l.byNDC[d.NDC] = appendOnce(l.byNDC[d.NDC], c)
		} else {
			l.byClass[d.ClassPrefix] = appendOnce(l.byClass[d.ClassPrefix], c)
		}
	}
}

func appendOnce(list []*Compiled, c *Compiled) []*Compiled {
	if slices.Contains(list, c) {
		return list
	}
	return append(list, c)
}

// Has reports whether any Active version of kind k is attached at level l.
func (x *Index) Has(l Level, k Kind) bool {
	li := x.levels[l]
	if li == nil {
		return false
	}
	has := func(list []*Compiled) bool {
		return slices.ContainsFunc(list, func(c *Compiled) bool { return c.Kind == k })
	}
	if has(li.general) {
		return true
	}
	for _, m := range []map[string][]*Compiled{li.byNDC, li.byClass} {
		for _, list := range m {
			if has(list) {
				return true
			}
		}
	}
	return false
}

// Len is the number of Active versions indexed.
func (x *Index) Len() int { return x.size }

// Evaluation is one edit a claim looked at and what the selection decided.
type Evaluation struct {
	Edit    *Compiled
	Outcome string
}

// Selection is the outcome of Select: the winning edit of each kind (nil
// when none applies) and every candidate evaluated, in evaluation order.
type Selection struct {
	Winners   [NumKinds]*Compiled
	Evaluated []Evaluation
	// Quiet, set before Select, keeps no Evaluated: for a caller that
	// traces nothing (a dry run), whose outcome texts were a tenth of the
	// allocations of re-adjudicating a claim.
	Quiet bool
}

// Winner returns the winning edit of kind k, or nil.
func (s *Selection) Winner(k Kind) *Compiled {
	if i := KindIndex(k); i >= 0 {
		return s.Winners[i]
	}
	return nil
}

// Select finds, for each kind, the edit that applies to a claim with facts
// f whose hierarchy path is levels. An exception (an edit with criteria)
// that matches wins over a default rule; among several, the most specific
// wins, then the one at the lower level (plan over group over client over
// PBM), then the higher priority, then the ID.
func (x *Index) Select(levels []Level, f *Facts, s *Selection) {
	var buf [32]*Compiled // a claim's candidates, most often, without an allocation
	cands := buf[:0]
	for _, lv := range levels {
		l := x.levels[lv]
		if l == nil {
			continue
		}
		cands = append(cands, l.general...)
		cands = append(cands, l.byNDC[f.NDC]...)
		for i := len(f.Class); i > 0; i-- {
			cands = append(cands, l.byClass[f.Class[:i]]...)
		}
	}
	slices.SortFunc(cands, func(a, b *Compiled) int {
		if a.kind != b.kind {
			return a.kind - b.kind
		}
		return -a.outranks(b)
	})
	cands = slices.Compact(cands)
	if !s.Quiet {
		s.Evaluated = slices.Grow(s.Evaluated, len(cands)) // one Evaluation each
	}
	for _, c := range cands {
		var why func() string // the outcome's text, built only to be kept
		switch {
		case !c.Window.Contains(f.DateOfService):
			why = func() string { return "not effective on " + f.DateOfService.String() }
		case c.Criteria.mismatch(f) != "":
			why = func() string { return "criteria not met: " + c.Criteria.mismatch(f) }
		case s.Winners[c.kind] != nil:
			why = func() string { return "matches; outranked by " + s.Winners[c.kind].Ref() }
		default:
			s.Winners[c.kind] = c
			why = c.selectedText
		}
		if !s.Quiet {
			s.Evaluated = append(s.Evaluated, Evaluation{c, why()})
		}
	}
}

// outranks compares two edits of one kind: 1 if a wins, -1 if b does.
func (a *Compiled) outranks(b *Compiled) int {
	switch {
	case a == b:
		return 0
	case a.exception != b.exception:
		return boolCmp(a.exception)
	case a.spec != b.spec:
		return intCmp(a.spec, b.spec)
	case a.depth != b.depth:
		return intCmp(a.depth, b.depth)
	case a.Priority != b.Priority:
		return intCmp(a.Priority, b.Priority)
	case a.ID != b.ID:
		if a.ID < b.ID {
			return 1
		}
		return -1
	}
	return intCmp(a.Version, b.Version)
}

func boolCmp(a bool) int {
	if a {
		return 1
	}
	return -1
}

func intCmp(a, b int) int {
	if a > b {
		return 1
	}
	return -1
}

// selectedText is the outcome of a selected edit: "selected (" and its
// rank, which depends only on the edit.
func (c *Compiled) selectedText() string {
	if c.selected != "" {
		return c.selected
	}
	return "selected (" + c.rank() + ")"
}

func (c *Compiled) rank() string {
	r := "default rule"
	if c.exception {
		r = "exception, specificity " + strconv.Itoa(c.spec)
	}
	r += ", " + c.Level.String()
	if c.Priority != 0 {
		r += ", priority " + strconv.Itoa(c.Priority)
	}
	return r
}
