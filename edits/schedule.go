package edits

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// ScheduleKind says what a schedule's lines yield.
type ScheduleKind string

// The schedule kinds (DOMAIN §9).
const (
	// RateSchedule lines give an amount: a dispensing fee, an AWP discount
	// rate, a MAC unit price, a copay.
	RateSchedule ScheduleKind = "RATE"
	// AdjustmentSchedule lines give a percentage or an absolute adjustment
	// of an amount a rate schedule gave.
	AdjustmentSchedule ScheduleKind = "ADJUSTMENT"
)

// Schedule is a reusable lookup table. Each line holds one value per
// condition column and what the line yields; of the lines in effect whose
// conditions all match a claim, the most specific (fewest "any" cells)
// applies, the earlier line on a tie. Columns name claim facts, so adding
// a column is configuration: any fact the engine knows, including the
// customer-defined attributes of drugs and pharmacies, can be a column.
type Schedule struct {
	ID      string         `json:"id"`
	Name    string         `json:"name,omitempty"`
	Kind    ScheduleKind   `json:"kind"`
	Columns []string       `json:"columns"`
	Lines   []ScheduleLine `json:"lines"`
}

// ScheduleLine is one line of a schedule. A cell is "*" or empty (any
// value), a value, values separated by "|" (any of them), a prefix ending
// in "*", or an inclusive numeric range "lo..hi" where either end may be
// left open ("84.." is 84 and more).
type ScheduleLine struct {
	Values []string `json:"values"`
	// Amount is what a RATE line yields.
	Amount *decimal.Decimal `json:"amount,omitempty"`
	// Percent (-10 is 10 % less) or Absolute (0.50 is fifty cents more) is
	// what an ADJUSTMENT line yields; exactly one is set.
	Percent      *decimal.Decimal `json:"percent,omitempty"`
	Absolute     *decimal.Decimal `json:"absolute,omitempty"`
	domain.Range `yaml:",inline"`
}

// ScheduleRef is how an edit takes an amount from schedules: the matching
// line of a RATE schedule, then the matching lines of ADJUSTMENT schedules,
// applied together (each to the scheduled amount, then summed) or, with
// InSequence, one after another in the order listed.
type ScheduleRef struct {
	Schedule    string   `json:"schedule"`
	Adjustments []string `json:"adjustments,omitempty"`
	InSequence  bool     `json:"in_sequence,omitempty"`
}

// ScheduleUnit is what a scheduled amount is: it sets the places each step
// rounds to and what a rate schedule's amounts must be.
type ScheduleUnit int

// The units.
const (
	Money        ScheduleUnit = iota // fees and copays: whole cents
	UnitPrice                        // a MAC unit price: 5 places
	DiscountRate                     // an AWP discount: below 1, 6 places
)

// Places is how many decimals each step of a resolution keeps.
func (u ScheduleUnit) Places() int32 {
	switch u {
	case UnitPrice:
		return 5
	case DiscountRate:
		return 6
	}
	return 2
}

func (u ScheduleUnit) check(amount decimal.Decimal) error {
	switch {
	case u == Money && !domain.WholeCents(amount):
		return fmt.Errorf("%s is not whole cents", amount)
	case u == DiscountRate && !amount.LessThan(decimal.NewFromInt(1)):
		return fmt.Errorf("%s is not a discount rate below 1", amount)
	}
	return nil
}

func (u ScheduleUnit) format(d decimal.Decimal) string {
	if u == Money {
		return d.StringFixed(2)
	}
	return d.String()
}

// ScheduleUse is where an edit reads a schedule: the reference, the
// edit's field that holds it, and the unit of the amount.
type ScheduleUse struct {
	Ref   *ScheduleRef
	Field string
	Unit  ScheduleUnit
}

// ScheduleFacts are the named values of a claim a schedule reads.
type ScheduleFacts interface {
	Fact(name string) (string, bool)
}

// cell is a parsed schedule cell.
type cell struct {
	any    bool
	values []string // upper-cased; one or more
	prefix string   // upper-cased, for "ABC*"
	lo, hi *decimal.Decimal
	ranged bool
}

func parseCell(s string) (cell, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || s == "*":
		return cell{any: true}, nil
	case strings.Contains(s, ".."):
		lo, hi, _ := strings.Cut(s, "..")
		c := cell{ranged: true}
		for _, end := range []struct {
			text string
			dst  **decimal.Decimal
		}{{lo, &c.lo}, {hi, &c.hi}} {
			if t := strings.TrimSpace(end.text); t != "" {
				d, err := decimal.NewFromString(t)
				if err != nil {
					return c, fmt.Errorf("%q is not a numeric range lo..hi", s)
				}
				*end.dst = &d
			}
		}
		if c.lo == nil && c.hi == nil {
			return c, fmt.Errorf("%q is a range with no ends; use * for any value", s)
		}
		if c.lo != nil && c.hi != nil && c.hi.LessThan(*c.lo) {
			return c, fmt.Errorf("range %q ends before it starts", s)
		}
		return c, nil
	case strings.HasSuffix(s, "*"):
		p := strings.ToUpper(strings.TrimSuffix(s, "*"))
		if strings.ContainsAny(p, "*|") {
			return cell{}, fmt.Errorf("%q: a prefix is text followed by one *", s)
		}
		return cell{prefix: p}, nil
	}
	var c cell
	for _, v := range strings.Split(s, "|") {
		v = strings.TrimSpace(v)
		if v == "" || strings.Contains(v, "*") {
			return c, fmt.Errorf("%q: each of the values separated by | must be a plain value", s)
		}
		c.values = append(c.values, strings.ToUpper(v))
	}
	return c, nil
}

func (c *cell) match(v string, ok bool) bool {
	if c.any {
		return true
	}
	if !ok || v == "" {
		return false
	}
	switch {
	case c.ranged:
		d, err := decimal.NewFromString(v)
		return err == nil && (c.lo == nil || !d.LessThan(*c.lo)) && (c.hi == nil || !d.GreaterThan(*c.hi))
	case c.prefix != "" || len(c.values) == 0:
		return len(v) >= len(c.prefix) && strings.EqualFold(v[:len(c.prefix)], c.prefix)
	}
	for _, w := range c.values {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

// Validate checks the schedule; known reports whether a column names a
// fact the engine provides. Every problem is listed with its field path.
func (s *Schedule) Validate(known func(string) bool) error {
	var c checker
	add := c.add
	if !ValidID(s.ID) {
		add("id", "%q must be 1 to 64 letters, digits, '.', '-' or '_'", s.ID)
	}
	if s.Kind != RateSchedule && s.Kind != AdjustmentSchedule {
		add("kind", "%q: want RATE or ADJUSTMENT", s.Kind)
	}
	seen := map[string]bool{}
	for i, c := range s.Columns {
		switch {
		case known != nil && !known(c):
			add(fmt.Sprintf("columns[%d]", i), "%q is not a claim fact", c)
		case seen[c]:
			add(fmt.Sprintf("columns[%d]", i), "%q appears twice", c)
		}
		seen[c] = true
	}
	if len(s.Lines) == 0 {
		add("lines", "a schedule needs at least one line")
	}
	prior := map[string][]int{}
	for i := range s.Lines {
		l := &s.Lines[i]
		at := func(f string) string { return fmt.Sprintf("lines[%d].%s", i, f) }
		if len(l.Values) != len(s.Columns) {
			add(at("values"), "%d values for %d columns", len(l.Values), len(s.Columns))
		}
		for j, x := range l.Values {
			if _, err := parseCell(x); err != nil {
				add(at(fmt.Sprintf("values[%d]", j)), "%v", err)
			}
		}
		if err := l.Range.Validate(); err != nil {
			add(at("effective"), "%v", err)
		}
		switch s.Kind {
		case RateSchedule:
			if l.Amount == nil || l.Percent != nil || l.Absolute != nil {
				add(at("amount"), "a RATE line gives an amount, and no percent or absolute")
			} else if l.Amount.IsNegative() {
				add(at("amount"), "%s is negative", l.Amount)
			}
		case AdjustmentSchedule:
			if (l.Percent == nil) == (l.Absolute == nil) || l.Amount != nil {
				add(at("percent"), "an ADJUSTMENT line gives a percent or an absolute amount, not both, and no amount")
			}
		}
		// Two lines with the same cells in effect on the same day would
		// leave the choice to their order: refuse it.
		norm := strings.ToUpper(strings.Join(l.Values, "\x00"))
		for _, k := range prior[norm] {
			if overlap(s.Lines[k].Range, l.Range) {
				add(at("values"), "same conditions as line %d over overlapping dates", k)
			}
		}
		prior[norm] = append(prior[norm], i)
	}
	if len(c.problems) > 0 {
		return &ValidationError{What: "schedule", Ref: s.ID, Problems: c.problems}
	}
	return nil
}

func overlap(a, b domain.Range) bool {
	return (a.To.IsZero() || !a.To.Before(b.From)) && (b.To.IsZero() || !b.To.Before(a.From))
}

// CompiledSchedule is a validated schedule ready for lookups. Lines whose
// first cell is one plain value are indexed by it, so a MAC list keyed by
// NDC costs one map read and a scan of the few lines for that NDC.
type CompiledSchedule struct {
	*Schedule
	cells   [][]cell
	spec    []int
	byFirst map[string][]int
	rest    []int
}

// CompileSchedule validates s and builds its lookup form.
func CompileSchedule(s *Schedule, known func(string) bool) (*CompiledSchedule, error) {
	if err := s.Validate(known); err != nil {
		return nil, err
	}
	c := &CompiledSchedule{Schedule: s, cells: make([][]cell, len(s.Lines)), spec: make([]int, len(s.Lines)), byFirst: map[string][]int{}}
	for i := range s.Lines {
		for _, x := range s.Lines[i].Values {
			cl, _ := parseCell(x)
			c.cells[i] = append(c.cells[i], cl)
			if !cl.any {
				c.spec[i]++
			}
		}
		if len(c.cells[i]) > 0 && len(c.cells[i][0].values) == 1 {
			k := c.cells[i][0].values[0]
			c.byFirst[k] = append(c.byFirst[k], i)
		} else {
			c.rest = append(c.rest, i)
		}
	}
	return c, nil
}

// Lookup returns the index of the line that applies to f on day, or -1.
func (c *CompiledSchedule) Lookup(f ScheduleFacts, day domain.Date) int {
	best := -1
	try := func(i int) {
		l := &c.Lines[i]
		if !l.Range.Contains(day) || (best >= 0 && (c.spec[i] < c.spec[best] || c.spec[i] == c.spec[best] && i > best)) {
			return
		}
		for j, col := range c.Columns {
			v, ok := f.Fact(col)
			if !c.cells[i][j].match(v, ok) {
				return
			}
		}
		best = i
	}
	if len(c.Columns) > 0 {
		v, _ := f.Fact(c.Columns[0])
		for _, i := range c.byFirst[strings.ToUpper(v)] {
			try(i)
		}
	}
	for _, i := range c.rest {
		try(i)
	}
	return best
}

// ScheduleVersion is a compiled version of a schedule with the dates it
// is in force (a later version takes over from its effective date).
type ScheduleVersion struct {
	*CompiledSchedule
	Version int
	Window  domain.Range
}

// Schedules are the compiled schedules of a configuration, by ID: each
// schedule's Active versions with their windows (none when no version is
// in force on any date).
type Schedules map[string][]ScheduleVersion

// On returns the version of schedule id in force on day, or nil.
func (ss Schedules) On(id string, day domain.Date) *ScheduleVersion {
	vs := ss[id]
	for i := range vs {
		if vs[i].Window.Contains(day) {
			return &vs[i]
		}
	}
	return nil
}

// name is how a trace names the version: its ID, and its number from
// version 2 on (a schedule of one version reads as it always did).
func (v *ScheduleVersion) name() string {
	if v.Version > 1 {
		return v.ID + " v" + strconv.Itoa(v.Version)
	}
	return v.ID
}

// CheckUse reports what is wrong with a use: what CheckRef finds, or a
// rate schedule amount unfit for the unit in any version.
func (ss Schedules) CheckUse(u ScheduleUse) error {
	if err := ss.CheckRef(u.Ref); err != nil {
		return err
	}
	for _, v := range ss[u.Ref.Schedule] {
		for n, l := range v.Lines {
			if err := u.Unit.check(*l.Amount); err != nil {
				return fmt.Errorf("schedule %s line %d: %w", v.name(), n+1, err)
			}
		}
	}
	return nil
}

// CheckRef reports what is wrong with ref: an unknown schedule, or one of
// the wrong kind.
func (ss Schedules) CheckRef(ref *ScheduleRef) error {
	if err := ss.checkKind(ref.Schedule, RateSchedule, "schedule", "a RATE schedule"); err != nil {
		return err
	}
	for _, id := range ref.Adjustments {
		if err := ss.checkKind(id, AdjustmentSchedule, "adjustment rule", "an ADJUSTMENT rule"); err != nil {
			return err
		}
	}
	return nil
}

// checkKind reports a schedule not configured, or a version of it not of
// kind.
func (ss Schedules) checkKind(id string, kind ScheduleKind, noun, want string) error {
	vs, ok := ss[id]
	if !ok {
		return fmt.Errorf("%s %q is not configured", noun, id)
	}
	for _, v := range vs {
		if v.Kind != kind {
			article := "a"
			if v.Kind == AdjustmentSchedule {
				article = "an"
			}
			return fmt.Errorf("schedule %s is %s %s schedule, not %s", v.name(), article, v.Kind, want)
		}
	}
	return nil
}

// Resolve returns the amount ref gives for f on day, each step rounded
// half away from zero to the unit's places and never below zero, with an
// account of the lines used; ok is false when no line of the rate schedule
// applies.
func (ss Schedules) Resolve(ref *ScheduleRef, f ScheduleFacts, day domain.Date, unit ScheduleUnit) (amount decimal.Decimal, how string, ok bool) {
	rate := ss.On(ref.Schedule, day)
	if rate == nil {
		return decimal.Zero, "no version of " + ref.Schedule + " is in force", false
	}
	i := rate.Lookup(f, day)
	if i < 0 {
		return decimal.Zero, "no line of " + rate.name() + " applies", false
	}
	places, show := unit.Places(), unit.format
	base := rate.Lines[i].Amount.Round(places)
	var b strings.Builder
	b.WriteString(rate.name() + " line " + strconv.Itoa(i+1) + " = " + show(base))
	adjusted := false
	amount = base
	sum, hundred := decimal.Zero, decimal.NewFromInt(100)
	for _, id := range ref.Adjustments {
		adj := ss.On(id, day)
		j := -1
		if adj != nil {
			j = adj.Lookup(f, day)
		}
		if j < 0 {
			continue
		}
		l := &adj.Lines[j]
		on := base
		if ref.InSequence {
			on = amount
		}
		var delta decimal.Decimal
		if l.Percent != nil {
			delta = on.Mul(*l.Percent).Div(hundred).Round(places)
			b.WriteString("; " + adj.name() + " line " + strconv.Itoa(j+1) + " " + l.Percent.String() + "% = " + show(delta))
		} else {
			delta = l.Absolute.Round(places)
			b.WriteString("; " + adj.name() + " line " + strconv.Itoa(j+1) + " " + show(delta))
		}
		adjusted = true
		if ref.InSequence {
			amount = decimal.Max(decimal.Zero, amount.Add(delta))
		} else {
			sum = sum.Add(delta)
		}
	}
	if !ref.InSequence {
		amount = decimal.Max(decimal.Zero, base.Add(sum))
	}
	if adjusted {
		if ref.InSequence {
			b.WriteString(", in sequence")
		}
		b.WriteString(" → " + show(amount))
	}
	return amount, b.String(), true
}
