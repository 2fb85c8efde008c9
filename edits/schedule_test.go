package edits

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

func dec(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

func TestScheduleCells(t *testing.T) {
	for _, tc := range []struct {
		cell, value string
		want        bool
	}{
		{"*", "anything", true},
		{"", "", true},
		{"retail", "RETAIL", true},
		{"RETAIL|MAIL", "MAIL", true},
		{"RETAIL|MAIL", "SPECIALTY", false},
		{"GENERIC*", "GENERIC_SINGLE_SOURCE", true},
		{"GENERIC*", "BRAND_SINGLE_SOURCE", false},
		{"34..", "34", true},
		{"34..", "33", false},
		{"1..33", "33", true},
		{"1..33", "x", false},
		{"..10.5", "10.5", true},
		{"RETAIL", "", false},
	} {
		c, err := parseCell(tc.cell)
		if err != nil {
			t.Fatalf("%q: %v", tc.cell, err)
		}
		if got := c.match(tc.value, true); got != tc.want {
			t.Errorf("cell %q on %q = %v, want %v", tc.cell, tc.value, got, tc.want)
		}
	}
	for _, bad := range []string{"..", "a..b", "9..1", "A*B*", "A||B", "A|B*"} {
		if _, err := parseCell(bad); err == nil {
			t.Errorf("cell %q: want an error", bad)
		}
	}
}

func TestScheduleLookup(t *testing.T) {
	s := &Schedule{ID: "FEES", Kind: RateSchedule, Columns: []string{"network_type", "brand_class"}, Lines: []ScheduleLine{
		{Values: []string{"*", "*"}, Amount: dec("1.00"), Range: domain.Range{From: domain.NewDate(2026, 1, 1)}},
		{Values: []string{"RETAIL", "*"}, Amount: dec("1.75"), Range: domain.Range{From: domain.NewDate(2026, 1, 1)}},
		{Values: []string{"RETAIL", "GENERIC*"}, Amount: dec("2.50"), Range: domain.Range{From: domain.NewDate(2026, 1, 1), To: domain.NewDate(2026, 6, 30)}},
		{Values: []string{"*", "GENERIC*"}, Amount: dec("2.00"), Range: domain.Range{From: domain.NewDate(2026, 1, 1)}},
		{Values: []string{"MAIL|RETAIL", "*"}, Amount: dec("9.99"), Range: domain.Range{From: domain.NewDate(2026, 1, 1)}},
	}}
	c, err := CompileSchedule(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	facts := func(nt, bc string) MapFacts { return MapFacts{"network_type": nt, "brand_class": bc} }
	for _, tc := range []struct {
		f    MapFacts
		day  domain.Date
		want int
	}{
		{facts("RETAIL", "GENERIC_MULTI_SOURCE"), domain.NewDate(2026, 2, 1), 2}, // most specific
		{facts("RETAIL", "GENERIC_MULTI_SOURCE"), domain.NewDate(2026, 7, 1), 1}, // line 2 ended; of lines 1 and 3, equally specific, the earlier
		{facts("RETAIL", "BRAND_SINGLE_SOURCE"), domain.NewDate(2026, 2, 1), 1},  // indexed line beats the later unindexed one on order
		{facts("MAIL", "BRAND_SINGLE_SOURCE"), domain.NewDate(2026, 2, 1), 4},
		{facts("SPECIALTY", "BRAND_SINGLE_SOURCE"), domain.NewDate(2026, 2, 1), 0},
		{facts("SPECIALTY", "BRAND_SINGLE_SOURCE"), domain.NewDate(2025, 12, 31), -1}, // nothing in effect yet
	} {
		if got := c.Lookup(tc.f, tc.day); got != tc.want {
			t.Errorf("%v on %s: line %d, want %d", tc.f, tc.day, got, tc.want)
		}
	}
}

// MapFacts is ScheduleFacts over a map.
type MapFacts map[string]string

func (m MapFacts) Fact(name string) (string, bool) { v, ok := m[name]; return v, ok }

func TestScheduleResolve(t *testing.T) {
	from := domain.Range{From: domain.NewDate(2026, 1, 1)}
	ss := Schedules{}
	for _, s := range []*Schedule{
		{ID: "FEE", Kind: RateSchedule, Columns: []string{}, Lines: []ScheduleLine{{Values: []string{}, Amount: dec("2.50"), Range: from}}},
		{ID: "PCT", Kind: AdjustmentSchedule, Columns: []string{"chain"}, Lines: []ScheduleLine{{Values: []string{"BIG"}, Percent: dec("-8"), Range: from}}},
		{ID: "ABS", Kind: AdjustmentSchedule, Columns: []string{}, Lines: []ScheduleLine{{Values: []string{}, Absolute: dec("0.50"), Range: from}}},
		{ID: "CUT", Kind: AdjustmentSchedule, Columns: []string{}, Lines: []ScheduleLine{{Values: []string{}, Absolute: dec("-5"), Range: from}}},
	} {
		c, err := CompileSchedule(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		ss[s.ID] = []ScheduleVersion{{CompiledSchedule: c, Version: 1}}
	}
	day := domain.NewDate(2026, 3, 1)
	big, small := MapFacts{"chain": "big"}, MapFacts{}
	for _, tc := range []struct {
		ref  ScheduleRef
		f    MapFacts
		want string
	}{
		{ScheduleRef{Schedule: "FEE"}, big, "2.5"},
		{ScheduleRef{Schedule: "FEE", Adjustments: []string{"ABS", "PCT"}}, big, "2.8"},                    // 2.50 + 0.50 - 0.20
		{ScheduleRef{Schedule: "FEE", Adjustments: []string{"ABS", "PCT"}, InSequence: true}, big, "2.76"}, // (2.50 + 0.50) x 0.92
		{ScheduleRef{Schedule: "FEE", Adjustments: []string{"ABS", "PCT"}}, small, "3"},                    // PCT has no line for the facts
		{ScheduleRef{Schedule: "FEE", Adjustments: []string{"CUT", "ABS"}}, small, "0"},                    // never below zero
	} {
		got, how, ok := ss.Resolve(&tc.ref, tc.f, day, Money)
		if !ok || got.String() != tc.want {
			t.Errorf("%+v: %s (%s), want %s", tc.ref, got, how, tc.want)
		}
	}
	if _, _, ok := ss.Resolve(&ScheduleRef{Schedule: "FEE"}, big, domain.NewDate(2025, 1, 1), Money); ok {
		t.Error("a rate schedule with no line in effect must not resolve")
	}
	// A second version of FEE from April: 3.00; the trace names it.
	v2, err := CompileSchedule(&Schedule{ID: "FEE", Kind: RateSchedule, Columns: []string{},
		Lines: []ScheduleLine{{Values: []string{}, Amount: dec("3"), Range: from}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	april := domain.NewDate(2026, 4, 1)
	ss["FEE"] = []ScheduleVersion{
		{CompiledSchedule: ss["FEE"][0].CompiledSchedule, Version: 1, Window: domain.Range{To: april.AddDays(-1)}},
		{CompiledSchedule: v2, Version: 2, Window: domain.Range{From: april}},
	}
	for _, tc := range []struct {
		day       domain.Date
		want, how string
	}{
		{day, "2.5", "FEE line 1 = 2.50"},
		{april, "3", "FEE v2 line 1 = 3.00"},
	} {
		if got, how, ok := ss.Resolve(&ScheduleRef{Schedule: "FEE"}, big, tc.day, Money); !ok || got.String() != tc.want || how != tc.how {
			t.Errorf("FEE on %s: %s (%s), %v; want %s (%s)", tc.day, got, how, ok, tc.want, tc.how)
		}
	}
	ss["GONE"] = nil // configured, no version in force
	if _, how, ok := ss.Resolve(&ScheduleRef{Schedule: "GONE"}, big, day, Money); ok || how != "no version of GONE is in force" {
		t.Errorf("a schedule with no version in force resolved: %q, %v", how, ok)
	}
	if err := ss.CheckRef(&ScheduleRef{Schedule: "GONE"}); err != nil {
		t.Errorf("a configured schedule with no version in force: %v", err)
	}
	if err := ss.CheckRef(&ScheduleRef{Schedule: "NONE"}); err == nil || err.Error() != `schedule "NONE" is not configured` {
		t.Errorf("an unknown schedule: %v", err)
	}
	if err := ss.CheckRef(&ScheduleRef{Schedule: "PCT"}); err == nil {
		t.Error("an adjustment rule used as a rate schedule must be refused")
	}
	if err := ss.CheckRef(&ScheduleRef{Schedule: "FEE", Adjustments: []string{"FEE"}}); err == nil {
		t.Error("a rate schedule used as an adjustment must be refused")
	}
}

func TestScheduleValidate(t *testing.T) {
	from := domain.Range{From: domain.NewDate(2026, 1, 1)}
	s := &Schedule{ID: "bad id", Kind: "RATES", Columns: []string{"a", "a", "zz"}, Lines: []ScheduleLine{
		{Values: []string{"1..", "x", "y"}, Amount: dec("1"), Range: from},
		{Values: []string{"1..", "X", "Y"}, Amount: dec("2"), Range: domain.Range{From: domain.NewDate(2026, 6, 1)}},
		{Values: []string{"*"}, Percent: dec("1"), Range: domain.Range{}},
	}}
	err := s.Validate(func(c string) bool { return c != "zz" })
	if err == nil {
		t.Fatal("want problems")
	}
	for _, want := range []string{
		`id: "bad id"`, `kind: "RATES"`, `columns[1]: "a" appears twice`, `columns[2]: "zz" is not a claim fact`,
		`lines[1].values: same conditions as line 0`, `lines[2].values: 1 values for 3 columns`, `lines[2].effective: effective date is required`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
}

// BenchmarkScheduleMACList looks a drug up in a MAC list of 20,000 NDCs
// with two dated prices each, plus a catch-all class line.
func BenchmarkScheduleMACList(b *testing.B) {
	s := &Schedule{ID: "MAC", Kind: RateSchedule, Columns: []string{"ndc", "drug_class"}}
	for i := range 20000 {
		ndc := fmt.Sprintf("%011d", i)
		s.Lines = append(s.Lines,
			ScheduleLine{Values: []string{ndc, "*"}, Amount: dec("0.10"), Range: domain.Range{From: domain.NewDate(2026, 1, 1), To: domain.NewDate(2026, 6, 30)}},
			ScheduleLine{Values: []string{ndc, "*"}, Amount: dec("0.08"), Range: domain.Range{From: domain.NewDate(2026, 7, 1)}})
	}
	s.Lines = append(s.Lines, ScheduleLine{Values: []string{"*", "3940*"}, Amount: dec("0.05"), Range: domain.Range{From: domain.NewDate(2026, 1, 1)}})
	c, err := CompileSchedule(s, nil)
	if err != nil {
		b.Fatal(err)
	}
	f := MapFacts{"ndc": "00000012345", "drug_class": "39400010"}
	day := domain.NewDate(2026, 8, 1)
	b.ReportAllocs()
	for b.Loop() {
		if c.Lookup(f, day) < 0 {
			b.Fatal("no line")
		}
	}
}
