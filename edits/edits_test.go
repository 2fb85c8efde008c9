package edits_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestDateRoundTrip(t *testing.T) {
	for _, s := range []string{
		"2026-04-01", "1970-01-01", "1970-01-02", "1969-12-30", "1900-01-01",
		"2000-02-29", "2024-02-29", "2026-12-31", "2099-12-31", "0001-01-01", "9999-12-31",
	} {
		d, err := domain.ParseDate(s)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", s, err)
			continue
		}
		if d.IsZero() {
			t.Errorf("ParseDate(%q) is the zero (unset) Date", s)
		}
		if got := d.String(); got != s {
			t.Errorf("ParseDate(%q).String() = %q", s, got)
		}
		if got := d.Time().Format("2006-01-02"); got != s {
			t.Errorf("ParseDate(%q).Time() = %s", s, got)
		}
		b, _ := d.MarshalText()
		var back domain.Date
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Errorf("text round trip of %s: got %v, %v", s, back, err)
		}
	}
	// Days counts from 1970-01-01 and consecutive days differ by one.
	if got := domain.MustDate("1970-01-01").Days(); got != 0 {
		t.Errorf("1970-01-01.Days() = %d, want 0", got)
	}
	if got := domain.MustDate("1970-01-11").Days(); got != 10 {
		t.Errorf("1970-01-11.Days() = %d, want 10", got)
	}
	if got := domain.MustDate("2026-02-28").AddDays(1); got != domain.MustDate("2026-03-01") {
		t.Errorf("2026-02-28 + 1 = %s", got)
	}
	if got := domain.MustDate("2024-02-28").AddDays(1); got != domain.MustDate("2024-02-29") {
		t.Errorf("2024-02-28 + 1 = %s", got)
	}
	// DateOf takes the calendar date in t's own location.
	loc := time.FixedZone("UTC-5", -5*3600)
	if got := domain.DateOf(time.Date(2026, 4, 1, 23, 30, 0, 0, loc)); got.String() != "2026-04-01" {
		t.Errorf("DateOf(2026-04-01 23:30 -05:00) = %s", got)
	}
	if got := domain.NewDate(2026, time.February, 29); got.String() != "2026-03-01" {
		t.Errorf("NewDate(2026, 2, 29) = %s, want normalised 2026-03-01", got)
	}
}

// TestDateDayBeforeEpoch: 1969-12-31 is an ordinary day (a member's date of
// birth, say), not the unset Date.
func TestDateDayBeforeEpoch(t *testing.T) {
	d, err := domain.ParseDate("1969-12-31")
	if err != nil {
		t.Fatal(err)
	}
	if d.IsZero() {
		t.Error(`ParseDate("1969-12-31") is the zero (unset) Date`)
	}
	if got := d.String(); got != "1969-12-31" {
		t.Errorf(`ParseDate("1969-12-31").String() = %q`, got)
	}
	if got := domain.MustDate("1970-01-01").AddDays(-1); got.String() != "1969-12-31" {
		t.Errorf("1970-01-01 - 1 day = %q, want 1969-12-31", got)
	}
	if got := domain.NewDate(1969, time.December, 31); got.IsZero() {
		t.Error("NewDate(1969, 12, 31) is the zero (unset) Date")
	}
	var back domain.Date
	b, _ := d.MarshalText()
	if err := back.UnmarshalText(b); err != nil || back.String() != "1969-12-31" {
		t.Errorf("text round trip of 1969-12-31: %q -> %q, %v", b, back, err)
	}
}

func TestDateOrder(t *testing.T) {
	a, b := domain.MustDate("2026-03-31"), domain.MustDate("2026-04-01")
	if !a.Before(b) || a.After(b) || !b.After(a) || b.Before(a) || a.Before(a) || a.After(a) {
		t.Errorf("Before/After wrong for %s, %s", a, b)
	}
	pre, post := domain.MustDate("1969-12-31"), domain.MustDate("1970-01-01")
	if !pre.Before(post) {
		t.Errorf("1969-12-31 is not before 1970-01-01")
	}
}

func TestDateZero(t *testing.T) {
	var z domain.Date
	if !z.IsZero() {
		t.Error("zero Date is not IsZero")
	}
	if z.String() != "" {
		t.Errorf("zero Date String() = %q, want empty", z.String())
	}
	if b, err := z.MarshalText(); err != nil || len(b) != 0 {
		t.Errorf("zero Date MarshalText = %q, %v", b, err)
	}
	d := domain.MustDate("2026-01-01")
	if err := d.UnmarshalText(nil); err != nil || !d.IsZero() {
		t.Errorf("UnmarshalText(empty) = %v, %v; want the zero Date", d, err)
	}
	if domain.MustDate("1970-01-01").IsZero() {
		t.Error("1970-01-01 is IsZero")
	}
}

func TestParseDateInvalid(t *testing.T) {
	for _, s := range []string{
		"", "2026-13-01", "2026-00-10", "2026-02-30", "2025-02-29", "2026-04-31", "2026-4-1", "20260401",
		"2026/04/01", " 2026-04-01", "2026-04-01 ", "2026-04-01T00:00:00Z", "26-04-01", "abcd-ef-gh", "2026-04-0x",
	} {
		if d, err := domain.ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %s, want an error", s, d)
		}
		var d domain.Date
		if s != "" {
			if err := d.UnmarshalText([]byte(s)); err == nil {
				t.Errorf("UnmarshalText(%q) succeeded", s)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustDate of an invalid date did not panic")
		}
	}()
	domain.MustDate("2026-02-30")
}

func TestPeriodStartEnd(t *testing.T) {
	for _, tc := range []struct {
		day   string
		month time.Month
		want  string
	}{
		{"2026-01-01", time.January, "2026-01-01"},
		{"2025-12-31", time.January, "2025-01-01"},
		{"2026-06-15", time.January, "2026-01-01"},
		{"2026-12-31", time.January, "2026-01-01"},
		{"2026-06-30", time.July, "2025-07-01"},
		{"2026-07-01", time.July, "2026-07-01"},
		{"2026-12-31", time.July, "2026-07-01"},
		{"2027-01-01", time.July, "2026-07-01"},
		{"2027-06-30", time.July, "2026-07-01"},
		{"2027-07-01", time.July, "2027-07-01"},
		{"2026-01-01", time.July, "2025-07-01"},
	} {
		if got := domain.PeriodStart(domain.MustDate(tc.day), tc.month); got.String() != tc.want {
			t.Errorf("PeriodStart(%s, %s) = %s, want %s", tc.day, tc.month, got, tc.want)
		}
	}
	for _, tc := range []struct{ start, want string }{
		{"2026-01-01", "2026-12-31"},
		{"2026-07-01", "2027-06-30"},
		{"2024-03-01", "2025-02-28"},
		{"2023-03-01", "2024-02-29"},
	} {
		if got := domain.PeriodEnd(domain.MustDate(tc.start)); got.String() != tc.want {
			t.Errorf("PeriodEnd(%s) = %s, want %s", tc.start, got, tc.want)
		}
	}
	// Every day of two years falls in [PeriodStart, PeriodEnd(PeriodStart)].
	for _, m := range []time.Month{time.January, time.July} {
		for d := domain.MustDate("2025-01-01"); d.Before(domain.MustDate("2027-01-01")); d = d.AddDays(1) {
			s := domain.PeriodStart(d, m)
			if e := domain.PeriodEnd(s); d.Before(s) || d.After(e) {
				t.Fatalf("day %s is outside its period %s..%s (start month %s)", d, s, e, m)
			}
		}
	}
}

func TestRange(t *testing.T) {
	from, to := domain.MustDate("2026-01-01"), domain.MustDate("2026-02-28")
	closed := domain.Range{From: from, To: to}
	open := domain.Range{From: from}
	for _, tc := range []struct {
		r    domain.Range
		day  string
		want bool
	}{
		{closed, "2025-12-31", false},
		{closed, "2026-01-01", true},
		{closed, "2026-02-01", true},
		{closed, "2026-02-28", true},
		{closed, "2026-03-01", false},
		{open, "2025-12-31", false},
		{open, "2026-01-01", true},
		{open, "2099-12-31", true},
		{domain.Range{From: from, To: from}, "2026-01-01", true},
		{domain.Range{From: from, To: from}, "2026-01-02", false},
	} {
		if got := tc.r.Contains(domain.MustDate(tc.day)); got != tc.want {
			t.Errorf("%v.Contains(%s) = %v, want %v", tc.r, tc.day, got, tc.want)
		}
	}
	for _, r := range []domain.Range{closed, open, {From: from, To: from}} {
		if err := r.Validate(); err != nil {
			t.Errorf("%v.Validate() = %v", r, err)
		}
	}
	for _, r := range []domain.Range{{}, {To: to}, {From: to, To: from}} {
		if err := r.Validate(); err == nil {
			t.Errorf("%v.Validate() = nil, want an error", r)
		}
	}
}

// TestBrandClassOf is the table of DOMAIN.md section 4: the multi-source
// code says single or multiple sources, the indicator brand or generic.
func TestBrandClassOf(t *testing.T) {
	for _, c := range []struct {
		code, indicator string
		want            domain.BrandClass
	}{
		{"N", "", domain.BrandSingleSource}, {"N", "B", domain.BrandSingleSource}, {"N", "G", domain.GenericSingleSource},
		{"M", "", domain.BrandSingleSource}, {"M", "B", domain.BrandSingleSource}, {"M", "G", domain.GenericSingleSource},
		{"O", "", domain.BrandMultiSource}, {"O", "B", domain.BrandMultiSource}, {"O", "G", domain.GenericMultiSource},
		{"Y", "", domain.GenericMultiSource}, {"Y", "B", domain.BrandMultiSource}, {"Y", "G", domain.GenericMultiSource},
	} {
		got, err := domain.BrandClassOf(c.code, c.indicator)
		if err != nil || got != c.want {
			t.Errorf("BrandClassOf(%q, %q) = %s, %v; want %s", c.code, c.indicator, got, err, c.want)
		}
	}
	for _, code := range []string{"", "X", "n", "y", "NN", " N"} {
		if got, err := domain.BrandClassOf(code, ""); err == nil {
			t.Errorf("BrandClassOf(%q) = %s, want an error", code, got)
		}
	}
	for _, ind := range []string{"b", "T", "BG", " "} {
		if got, err := domain.BrandClassOf("N", ind); err == nil {
			t.Errorf("BrandClassOf(N, %q) = %s, want an error", ind, got)
		}
	}
	for c, brand := range map[domain.BrandClass]bool{
		domain.BrandMultiSource: true, domain.BrandSingleSource: true,
		domain.GenericMultiSource: false, domain.GenericSingleSource: false, domain.BrandClassDefault: false,
	} {
		if c.IsBrand() != brand {
			t.Errorf("%s.IsBrand() = %v", c, !brand)
		}
		b, _ := c.MarshalText()
		var back domain.BrandClass = 99
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Errorf("text round trip of %s: %s, %v", c, back, err)
		}
	}
}

var (
	retailIn   = domain.Segment{Type: domain.Retail, Class: domain.InNetwork}
	retailOut  = domain.Segment{Type: domain.Retail, Class: domain.OutOfNetwork}
	r90In      = domain.Segment{Type: domain.Retail90, Class: domain.InNetwork}
	r90Out     = domain.Segment{Type: domain.Retail90, Class: domain.OutOfNetwork}
	mailIn     = domain.Segment{Type: domain.Mail, Class: domain.InNetwork}
	mailOut    = domain.Segment{Type: domain.Mail, Class: domain.OutOfNetwork}
	specIn     = domain.Segment{Type: domain.Specialty, Class: domain.InNetwork}
	specOut    = domain.Segment{Type: domain.Specialty, Class: domain.OutOfNetwork}
	allSegment = []domain.Segment{retailIn, retailOut, r90In, r90Out, mailIn, mailOut, specIn, specOut}
)

func TestAccumulationValidate(t *testing.T) {
	valid := []edits.Accumulation{
		{},
		{Mode: edits.DefaultProcessing},
		{Mode: edits.PlanAccumulation},
		{Mode: edits.Advanced, NetworkTypes: []domain.NetworkType{domain.Mail}, Classes: []domain.NetworkClass{domain.InNetwork}},
		{Mode: edits.Advanced, NetworkTypes: domain.NetworkTypes, Classes: domain.NetworkClasses},
	}
	for _, a := range valid {
		if err := a.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v", a, err)
		}
	}
	invalid := []edits.Accumulation{
		{Mode: edits.Advanced},
		{Mode: edits.Advanced, NetworkTypes: []domain.NetworkType{domain.Mail}},
		{Mode: edits.Advanced, Classes: []domain.NetworkClass{domain.InNetwork}},
		{Mode: edits.Advanced, NetworkTypes: []domain.NetworkType{0}, Classes: []domain.NetworkClass{domain.InNetwork}},
		{Mode: edits.Advanced, NetworkTypes: []domain.NetworkType{domain.Specialty + 1}, Classes: []domain.NetworkClass{domain.InNetwork}},
		{Mode: edits.Advanced, NetworkTypes: []domain.NetworkType{domain.Mail}, Classes: []domain.NetworkClass{0}},
		{Mode: edits.Advanced, NetworkTypes: []domain.NetworkType{domain.Mail}, Classes: []domain.NetworkClass{3}},
		{Mode: edits.DefaultProcessing, NetworkTypes: []domain.NetworkType{domain.Mail}},
		{Mode: edits.DefaultProcessing, Classes: []domain.NetworkClass{domain.InNetwork}},
		{Mode: edits.PlanAccumulation, NetworkTypes: []domain.NetworkType{domain.Mail}},
		{Mode: edits.PlanAccumulation, Classes: []domain.NetworkClass{domain.OutOfNetwork}},
		{Mode: 3},
	}
	for _, a := range invalid {
		if err := a.Validate(); err == nil {
			t.Errorf("%+v.Validate() = nil, want an error", a)
		}
	}
	for _, m := range []edits.AccumulationMode{edits.DefaultProcessing, edits.Advanced, edits.PlanAccumulation} {
		b, _ := m.MarshalText()
		var back edits.AccumulationMode = 9
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("text round trip of %s: %s, %v", m, back, err)
		}
	}
	var m edits.AccumulationMode
	if err := m.UnmarshalText([]byte("SOMETIMES")); err == nil {
		t.Error("UnmarshalText(SOMETIMES) succeeded")
	}
}

func TestAccumulationReads(t *testing.T) {
	check := func(name string, a edits.Accumulation, claim domain.Segment, want func(stored domain.Segment) bool) {
		t.Helper()
		for _, stored := range allSegment {
			if got := a.Reads(stored, claim); got != want(stored) {
				t.Errorf("%s: Reads(stored %s, claim %s) = %v, want %v", name, stored, claim, got, !got)
			}
		}
	}
	for _, claim := range allSegment {
		check("DEFAULT", edits.Accumulation{}, claim, func(s domain.Segment) bool { return s == claim })
		check("PLAN", edits.Accumulation{Mode: edits.PlanAccumulation}, claim, func(domain.Segment) bool { return true })
		mailR90In := edits.Accumulation{Mode: edits.Advanced,
			NetworkTypes: []domain.NetworkType{domain.Mail, domain.Retail90}, Classes: []domain.NetworkClass{domain.InNetwork}}
		check("ADVANCED mail+retail90/in", mailR90In, claim, func(s domain.Segment) bool { return s == mailIn || s == r90In })
		specBoth := edits.Accumulation{Mode: edits.Advanced,
			NetworkTypes: []domain.NetworkType{domain.Specialty}, Classes: domain.NetworkClasses}
		check("ADVANCED specialty/in+out", specBoth, claim, func(s domain.Segment) bool { return s == specIn || s == specOut })
	}
}

func TestCostShareMatches(t *testing.T) {
	facts := edits.CostShareFacts{Tier: 2, BrandClass: domain.BrandSingleSource, Segment: mailIn, DaysSupply: 90}
	for _, tc := range []struct {
		name string
		line edits.CostShareLine
		want bool
		spec int
	}{
		{"empty", edits.CostShareLine{}, true, 0},
		{"tier hit", edits.CostShareLine{Tiers: []int{1, 2}}, true, 1},
		{"tier miss", edits.CostShareLine{Tiers: []int{1, 3}}, false, 1},
		{"brand hit", edits.CostShareLine{BrandClass: domain.BrandSingleSource}, true, 1},
		{"brand miss", edits.CostShareLine{BrandClass: domain.BrandMultiSource}, false, 1},
		{"network type hit", edits.CostShareLine{NetworkTypes: []domain.NetworkType{domain.Retail90, domain.Mail}}, true, 1},
		{"network type miss", edits.CostShareLine{NetworkTypes: []domain.NetworkType{domain.Retail}}, false, 1},
		{"class hit", edits.CostShareLine{NetworkClass: domain.InNetwork}, true, 1},
		{"class miss", edits.CostShareLine{NetworkClass: domain.OutOfNetwork}, false, 1},
		{"min days hit", edits.CostShareLine{MinDays: 90}, true, 1},
		{"min days miss", edits.CostShareLine{MinDays: 91}, false, 1},
		{"max days hit", edits.CostShareLine{MaxDays: 90}, true, 1},
		{"max days miss", edits.CostShareLine{MaxDays: 89}, false, 1},
		{"band hit", edits.CostShareLine{MinDays: 84, MaxDays: 100}, true, 1},
		{"all hit", edits.CostShareLine{Tiers: []int{2}, BrandClass: domain.BrandSingleSource,
			NetworkTypes: []domain.NetworkType{domain.Mail}, NetworkClass: domain.InNetwork, MinDays: 1, MaxDays: 90}, true, 5},
		{"all but one", edits.CostShareLine{Tiers: []int{2}, BrandClass: domain.BrandSingleSource,
			NetworkTypes: []domain.NetworkType{domain.Mail}, NetworkClass: domain.OutOfNetwork, MinDays: 1, MaxDays: 90}, false, 5},
	} {
		if got := tc.line.Matches(facts); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.name, got, tc.want)
		}
		if got := tc.line.Specificity(); got != tc.spec {
			t.Errorf("%s: Specificity = %d, want %d", tc.name, got, tc.spec)
		}
	}
}

func TestMemberShare(t *testing.T) {
	for _, tc := range []struct {
		name              string
		line              edits.CostShareLine
		base              string
		copay, coinsurace string
	}{
		{"copay below base", edits.CostShareLine{Kind: edits.Copay, Amount: dec("10.00")}, "30.00", "10.00", "0"},
		{"copay capped at base", edits.CostShareLine{Kind: edits.Copay, Amount: dec("10.00")}, "4.56", "4.56", "0"},
		{"copay zero base", edits.CostShareLine{Kind: edits.Copay, Amount: dec("10.00")}, "0", "0", "0"},
		{"coinsurance half-up", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.25")}, "93.50", "0", "23.38"},
		{"coinsurance rounds down", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.25")}, "93.49", "0", "23.37"},
		{"coinsurance exact", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.20")}, "100.00", "0", "20.00"},
		{"coinsurance 1/3 cent", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.333")}, "10.01", "0", "3.33"},
		{"coinsurance min", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.25"), Min: dec("30.00"), Max: dec("100.00")}, "80.00", "0", "30.00"},
		{"coinsurance min capped at base", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.25"), Min: dec("30.00")}, "12.00", "0", "12.00"},
		{"coinsurance max", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.25"), Min: dec("30.00"), Max: dec("100.00")}, "1000.00", "0", "100.00"},
		{"coinsurance between", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.25"), Min: dec("30.00"), Max: dec("100.00")}, "200.00", "0", "50.00"},
		{"coinsurance 100%", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("1")}, "42.42", "0", "42.42"},
		{"coinsurance zero base", edits.CostShareLine{Kind: edits.Coinsurance, Rate: dec("0.5"), Min: dec("5")}, "0", "0", "0"},
	} {
		copay, coins := tc.line.MemberShare(dec(tc.base))
		if !copay.Equal(dec(tc.copay)) || !coins.Equal(dec(tc.coinsurace)) {
			t.Errorf("%s: MemberShare(%s) = copay %s, coinsurance %s; want %s, %s", tc.name, tc.base, copay, coins, tc.copay, tc.coinsurace)
		}
		if copay.Add(coins).GreaterThan(dec(tc.base)) {
			t.Errorf("%s: member share %s exceeds base %s", tc.name, copay.Add(coins), tc.base)
		}
		if !copay.Equal(copay.Round(2)) || !coins.Equal(coins.Round(2)) {
			t.Errorf("%s: amounts %s, %s are not whole cents", tc.name, copay, coins)
		}
		if tc.line.Describe() == "" {
			t.Errorf("%s: empty Describe", tc.name)
		}
	}
	// Exhaustive over a small grid: never more than base, never negative, whole cents.
	lines := []edits.CostShareLine{
		{Kind: edits.Copay, Amount: dec("7.50")},
		{Kind: edits.Coinsurance, Rate: dec("0.15"), Min: dec("2.00"), Max: dec("9.99")},
		{Kind: edits.Coinsurance, Rate: dec("0.5")},
	}
	for cents := int64(0); cents <= 3000; cents += 7 {
		base := decimal.New(cents, -2)
		for i := range lines {
			c, k := lines[i].MemberShare(base)
			if s := c.Add(k); s.GreaterThan(base) || c.IsNegative() || k.IsNegative() || !s.Equal(s.Round(2)) {
				t.Fatalf("line %d on %s: copay %s coinsurance %s", i, base, c, k)
			}
		}
	}
}

func TestCents(t *testing.T) {
	for in, want := range map[string]string{"23.375": "23.38", "23.374": "23.37", "0.005": "0.01", "0.004": "0", "1": "1", "2.5050": "2.51"} {
		if got := edits.Cents(dec(in)); !got.Equal(dec(want)) {
			t.Errorf("Cents(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCostShareValidate(t *testing.T) {
	valid := []edits.CostShareLine{
		{Kind: edits.Copay, Amount: dec("10")},
		{Kind: edits.Copay},
		{Kind: edits.Coinsurance, Rate: dec("0.25"), Min: dec("30"), Max: dec("100")},
		{Kind: edits.Coinsurance, Rate: dec("0")},
		{Kind: edits.Coinsurance, Rate: dec("1")},
		{Kind: edits.Coinsurance, Rate: dec("0.2"), Min: dec("5")},
		{Kind: edits.Coinsurance, Rate: dec("0.2"), Min: dec("5"), Max: dec("5")},
		{Kind: edits.Copay, Amount: dec("10"), MinDays: 84, MaxDays: 90},
		{Kind: edits.Copay, Amount: dec("10"), MinDays: 84},
	}
	for i := range valid {
		if err := valid[i].Validate(); err != nil {
			t.Errorf("valid line %d: %v", i, err)
		}
	}
	invalid := map[string]edits.CostShareLine{
		"no kind":               {Amount: dec("10")},
		"unknown kind":          {Kind: "DISCOUNT", Amount: dec("10")},
		"negative copay":        {Kind: edits.Copay, Amount: dec("-0.01")},
		"copay with rate":       {Kind: edits.Copay, Amount: dec("10"), Rate: dec("0.1")},
		"rate above 1":          {Kind: edits.Coinsurance, Rate: dec("1.01")},
		"negative rate":         {Kind: edits.Coinsurance, Rate: dec("-0.1")},
		"coinsurance amount":    {Kind: edits.Coinsurance, Rate: dec("0.1"), Amount: dec("5")},
		"negative min":          {Kind: edits.Coinsurance, Rate: dec("0.1"), Min: dec("-1")},
		"negative max":          {Kind: edits.Coinsurance, Rate: dec("0.1"), Max: dec("-1")},
		"max below min":         {Kind: edits.Coinsurance, Rate: dec("0.1"), Min: dec("30"), Max: dec("20")},
		"negative min days":     {Kind: edits.Copay, Amount: dec("10"), MinDays: -1},
		"negative max days":     {Kind: edits.Copay, Amount: dec("10"), MaxDays: -1},
		"max days below min":    {Kind: edits.Copay, Amount: dec("10"), MinDays: 90, MaxDays: 30},
		"lowercase copay kind":  {Kind: "copay", Amount: dec("10")},
		"coinsurance rate of 2": {Kind: edits.Coinsurance, Rate: dec("2")},
	}
	for name, l := range invalid {
		if err := l.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", name)
		}
	}
}

func TestLimitValidate(t *testing.T) {
	valid := []edits.Limit{
		{},
		{Individual: dec("100"), Family: dec("150")},
		{Individual: dec("100")},
		{Individual: dec("100"), Family: dec("100")},
		{Individual: dec("100"), Accumulation: edits.Accumulation{Mode: edits.PlanAccumulation}},
	}
	for _, l := range valid {
		if err := l.Validate(); err != nil {
			t.Errorf("%+v: %v", l, err)
		}
	}
	invalid := []edits.Limit{
		{Individual: dec("-1")},
		{Individual: dec("100"), Family: dec("-1")},
		{Individual: dec("100"), Family: dec("99.99")},
		{Individual: dec("100"), Accumulation: edits.Accumulation{Mode: edits.Advanced}},
	}
	for _, l := range invalid {
		if err := l.Validate(); err == nil {
			t.Errorf("%+v: Validate() = nil, want an error", l)
		}
	}
}

func TestNetworkText(t *testing.T) {
	for _, nt := range domain.NetworkTypes {
		b, _ := nt.MarshalText()
		var back domain.NetworkType
		if err := back.UnmarshalText(b); err != nil || back != nt {
			t.Errorf("round trip of %s: %s, %v", nt, back, err)
		}
	}
	for _, nc := range domain.NetworkClasses {
		b, _ := nc.MarshalText()
		var back domain.NetworkClass
		if err := back.UnmarshalText(b); err != nil || back != nc {
			t.Errorf("round trip of %s: %s, %v", nc, back, err)
		}
	}
	var nt domain.NetworkType
	if err := nt.UnmarshalText([]byte("retail")); err == nil {
		t.Error(`NetworkType.UnmarshalText("retail") succeeded`)
	}
	for _, s := range allSegment {
		if !s.Valid() || !strings.Contains(s.String(), "/") {
			t.Errorf("%v: Valid %v, String %q", s, s.Valid(), s)
		}
	}
	for _, s := range []domain.Segment{{}, {Type: domain.Retail}, {Class: domain.InNetwork}, {Type: 5, Class: domain.InNetwork}, {Type: domain.Mail, Class: 3}} {
		if s.Valid() {
			t.Errorf("%v is Valid", s)
		}
	}
}

func TestMoneySettingsMustBeWholeCents(t *testing.T) {
	d := decimal.RequireFromString
	if err := (edits.Limit{Individual: d("100.005")}).Validate(); err == nil {
		t.Error("a limit of 100.005 was accepted")
	}
	if err := (edits.Limit{Individual: d("100.00"), Family: d("200.10")}).Validate(); err != nil {
		t.Errorf("whole-cent limit refused: %v", err)
	}
	for _, l := range []edits.CostShareLine{
		{Kind: edits.Copay, Amount: d("35.005")},
		{Kind: edits.Coinsurance, Rate: d("0.2"), Min: d("1.001")},
		{Kind: edits.Coinsurance, Rate: d("0.2"), Max: d("99.999")},
	} {
		if err := l.Validate(); err == nil {
			t.Errorf("line %+v with fractions of a cent was accepted", l)
		}
	}
	// Rates are not money: any precision is fine.
	if err := (&edits.CostShareLine{Kind: edits.Coinsurance, Rate: d("0.125")}).Validate(); err != nil {
		t.Errorf("rate 0.125 refused: %v", err)
	}
}

// TestBenefitMaxValidate: a maximum takes a member amount, a family amount
// or both (the family's not below the member's), over one of four periods.
func TestBenefitMaxValidate(t *testing.T) {
	edit := func(kind edits.Kind, b edits.BenefitMax) edits.Edit {
		return edits.Edit{ID: "M", Version: 1, Status: edits.Draft, Kind: kind, Level: edits.Level{Kind: edits.PBMLevel},
			Range: domain.Range{From: domain.MustDate("2026-01-01")}, BenefitMax: &b}
	}
	for _, b := range []edits.BenefitMax{
		{Amount: dec("2"), Period: edits.PlanYear},
		{FamilyAmount: dec("3"), Period: edits.Lifetime},
		{Amount: dec("2"), FamilyAmount: dec("3"), Period: edits.RollingDays, Days: 90},
	} {
		if e := edit(edits.KindMaxRxCount, b); e.Validate() != nil {
			t.Errorf("%+v: %v", b, e.Validate())
		}
	}
	for want, c := range map[string]struct {
		kind edits.Kind
		b    edits.BenefitMax
	}{
		"give a positive amount":      {edits.KindMaxRxCount, edits.BenefitMax{Period: edits.PlanYear}},
		"is below the member's":       {edits.KindMaxRxCount, edits.BenefitMax{Amount: dec("3"), FamilyAmount: dec("2"), Period: edits.PlanYear}},
		"must be whole cents":         {edits.KindMaxDollars, edits.BenefitMax{FamilyAmount: dec("1.005"), Period: edits.PlanYear}},
		"must not be negative":        {edits.KindMaxUnits, edits.BenefitMax{Amount: dec("5"), FamilyAmount: dec("-1"), Period: edits.PlanYear}},
		"only a ROLLING_DAYS":         {edits.KindMaxRxCount, edits.BenefitMax{Amount: dec("1"), Period: edits.Lifetime, Days: 30}},
		"ROLLING_DAYS or LIFETIME":    {edits.KindMaxRxCount, edits.BenefitMax{Amount: dec("1"), Period: "FOREVER"}},
		"an Rx count must be a whole": {edits.KindMaxRxCount, edits.BenefitMax{FamilyAmount: dec("1.5"), Period: edits.PlanYear}},
	} {
		e := edit(c.kind, c.b)
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: got %v, want %q", c.b, err, want)
		}
	}
}

// TestRefQuotesInvisibleID: an edit refused for an ID with a zero-width
// or control character names it quoted, so the character is shown, not
// echoed; a printable ID reads as it always did.
func TestRefQuotesInvisibleID(t *testing.T) {
	for id, want := range map[string]string{
		"BAD\u200bID":   `"BAD\u200bID" v1`,
		"BAD\x1b[2JID":  `"BAD\x1b[2JID" v1`,
		"QTY-STATINS":   "QTY-STATINS v1",
		"PPO 2026.fees": "PPO 2026.fees v1", // not a plain ID, but printable: as before
	} {
		e := &edits.Edit{ID: id, Version: 1}
		if got := e.Ref(); got != want {
			t.Errorf("Ref of %q = %s; want %s", id, got, want)
		}
		err := (&edits.ValidationError{Ref: e.Ref(), Problems: []edits.Problem{{Field: "id", Message: "bad"}}}).Error()
		if strings.ContainsAny(err, "\u200b\x1b") {
			t.Errorf("the error of %q echoes the character: %q", id, err)
		}
	}
}
