package demo

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// marshal marshals cfg or fails the test.
func marshal(t *testing.T, cfg *config.Config) []byte {
	t.Helper()
	b, err := config.Marshal(cfg)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	want := marshal(t, Config())
	parsed, err := config.Parse(want)
	if err == nil {
		err = adjudicator.Validate(parsed)
	}
	if err != nil {
		t.Fatalf("Parse of the marshalled demo bundle: %v", err)
	}
	// Validate compiles the bundle (which fills plan defaults in), so
	// equal bytes also show the demo writes every default out explicitly.
	if got := marshal(t, parsed); !bytes.Equal(got, want) {
		t.Errorf("bundle changed in the round trip:\n%s", firstDiff(string(want), string(got)))
	}
	cfg := Config()
	if len(parsed.Families) != len(cfg.Families) || len(parsed.Drugs) != len(cfg.Drugs) ||
		len(parsed.Pharmacies) != len(cfg.Pharmacies) || len(parsed.Plans) != len(cfg.Plans) {
		t.Errorf("round trip lost records")
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + al[i] + "\n  vs " + bl[i]
		}
	}
	return "lengths differ"
}

func TestDeterministic(t *testing.T) {
	if !bytes.Equal(marshal(t, Config()), marshal(t, Config())) {
		t.Fatal("two calls of Config marshal differently")
	}
}

func TestConfigIsFresh(t *testing.T) {
	a := Config()
	a.Plans[0].CostShare[0].Tiers[0] = 9
	a.Plans[0].Formulary[0].Tier = 9
	a.Families[0].Members[0].Coverages[0].PlanID = "X"
	if !bytes.Equal(marshal(t, Config()), marshal(t, Config())) || Config().Plans[1].CostShare[0].Tiers[0] != 1 {
		t.Fatal("editing one Config result changed another")
	}
	b := Config()
	if b.Plans[0].CostShare[0].Tiers[0] != 1 || b.Plans[0].Formulary[0].Tier != 1 || b.Families[0].Members[0].Coverages[0].PlanID != PlanPPO {
		t.Fatal("Config results share memory")
	}
}

// validNPI is the NPI check written independently of the engine: the Luhn
// check over 80840 followed by the ten digits.
func validNPI(s string) bool {
	if len(s) != 10 {
		return false
	}
	digits := "80840" + s
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if (len(digits)-1-i)%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func TestNPIs(t *testing.T) {
	for _, s := range []string{DemoPharmacyNPI, DemoPrescriberNPI, DemoMailPharmacyNPI, DemoSpecialtyPharmacyNPI, DemoOutOfNetworkNPI, DemoTerminatedPharmacyNPI} {
		if !validNPI(s) {
			t.Errorf("constant NPI %s is not valid", s)
		}
	}
	if got := npi("123456789"); got != "1234567893" {
		t.Errorf("npi(123456789) = %s, want 1234567893", got)
	}
	if validNPI("1234567890") {
		t.Error("validNPI accepts a wrong check digit")
	}
	cfg := Config()
	if len(cfg.Pharmacies) < 10 {
		t.Errorf("%d pharmacies, want about 12", len(cfg.Pharmacies))
	}
	for _, p := range cfg.Pharmacies {
		if !validNPI(p.NPI) {
			t.Errorf("pharmacy %s %q: invalid NPI", p.NPI, p.Name)
		}
	}
}

// lookup helpers over a Config.

func findPharmacy(cfg *config.Config, npi string) *domain.Pharmacy {
	for i := range cfg.Pharmacies {
		if cfg.Pharmacies[i].NPI == npi {
			return &cfg.Pharmacies[i]
		}
	}
	return nil
}

func findDrug(cfg *config.Config, ndc string) *domain.Drug {
	for i := range cfg.Drugs {
		if cfg.Drugs[i].NDC == ndc {
			return &cfg.Drugs[i]
		}
	}
	return nil
}

func findPlan(cfg *config.Config, id string) *config.Plan {
	for i := range cfg.Plans {
		if cfg.Plans[i].ID == id {
			return &cfg.Plans[i]
		}
	}
	return nil
}

func findNetwork(cfg *config.Config, id string) *domain.Network {
	for i := range cfg.Networks {
		if cfg.Networks[i].ID == id {
			return &cfg.Networks[i].Network
		}
	}
	return nil
}

// classOf returns a plan's classification of a network, or 0 if unused.
func classOf(p *config.Plan, networkID string) domain.NetworkClass {
	for _, n := range p.Networks {
		if n.Network == networkID {
			return n.Classification
		}
	}
	return 0
}

// tierOf resolves a drug's tier as the engine does: NDC first, then the
// longest class prefix; excluded drugs report excluded.
func tierOf(p *config.Plan, d *domain.Drug) (tier int, onFormulary, excluded bool) {
	for _, x := range p.Exclusions {
		if x.NDC == d.NDC || (x.ClassPrefix != "" && strings.HasPrefix(d.TherapeuticClass, x.ClassPrefix)) {
			excluded = true
		}
	}
	best := -1
	for _, f := range p.Formulary {
		switch {
		case f.NDC != "" && f.NDC == d.NDC:
			return f.Tier, true, excluded
		case f.ClassPrefix != "" && strings.HasPrefix(d.TherapeuticClass, f.ClassPrefix) && len(f.ClassPrefix) > best:
			best, tier, onFormulary = len(f.ClassPrefix), f.Tier, true
		}
	}
	return tier, onFormulary, excluded
}

// cost-share line selection as the engine does it: the first matching line
// of the highest specificity; tie reports whether another matching line has
// that specificity too.
func costShareLine(p *config.Plan, f edits.CostShareFacts) (line *edits.CostShareLine, tie bool) {
	for i := range p.CostShare {
		l := &p.CostShare[i]
		if !l.Matches(f) {
			continue
		}
		switch {
		case line == nil || l.Specificity() > line.Specificity():
			line, tie = l, false
		case l.Specificity() == line.Specificity():
			tie = true
		}
	}
	return line, tie
}

func TestFixedFamily(t *testing.T) {
	cfg := Config()
	f := &cfg.Families[0]
	if f.CardholderID != DemoCardholder || f.GroupID != DemoGroup || DemoGroup != "GRP100" {
		t.Fatalf("first family is %s/%s, want %s/GRP100", f.CardholderID, f.GroupID, DemoCardholder)
	}
	want := map[string]string{"001": "1980-04-12", "002": "1982-09-30", "003": "2012-02-14"}
	if len(f.Members) != len(want) {
		t.Fatalf("%s has %d members, want 3", DemoCardholder, len(f.Members))
	}
	for code, dob := range want {
		m := f.Member(code)
		if m == nil {
			t.Fatalf("%s has no member %s", DemoCardholder, code)
		}
		if m.DateOfBirth.String() != dob {
			t.Errorf("member %s born %s, want %s", code, m.DateOfBirth, dob)
		}
		if len(m.Coverages) != 1 || m.Coverages[0].PlanID != PlanPPO || m.Coverages[0].From.String() != "2026-01-01" || !m.Coverages[0].To.IsZero() {
			t.Errorf("member %s coverage %+v, want PPO-2026 from 2026-01-01 open-ended", code, m.Coverages)
		}
	}
	if DemoSubscriberDOB != want[DemoSubscriberCode] || DemoSpouseDOB != want[DemoSpouseCode] || DemoChildDOB != want[DemoChildCode] {
		t.Error("documented date-of-birth constants disagree with the family")
	}
}

func TestFixedPharmacy(t *testing.T) {
	cfg := Config()
	p := findPharmacy(cfg, DemoPharmacyNPI)
	if p == nil || p.Name != "Main Street Pharmacy" || DemoPharmacyNPI != "1234567893" {
		t.Fatalf("pharmacy %s: %+v", DemoPharmacyNPI, p)
	}
	var nets []string
	for _, pt := range p.Participations {
		if pt.From != date("2020-01-01") || !pt.To.IsZero() {
			t.Errorf("Main Street %s contract %s to %s, want 2020-01-01 open-ended", pt.Network, pt.From, pt.To)
		}
		nets = append(nets, pt.Network)
	}
	if !slices.Equal(nets, []string{NetRetailPref, NetRetail90}) {
		t.Errorf("Main Street networks %v, want RETAIL-PREF and RETAIL90-NET", nets)
	}
	if findPharmacy(cfg, DemoPrescriberNPI) != nil {
		t.Error("the prescriber NPI is also a pharmacy")
	}
}

func TestFixedDrugs(t *testing.T) {
	cfg := Config()
	for _, c := range []struct {
		ndc, code, awp, mac string
		tier                int
	}{
		{DemoGenericNDC, "Y", "1.20", "0.09", 1},
		{DemoBrandNDC, "O", "13.50", "0.09", 2},
		{DemoSingleSourceBrandNDC, "N", "10.35", "0", 2},
		{DemoSpecialtyNDC, "N", "4153.50", "0", 4},
	} {
		d := findDrug(cfg, c.ndc)
		if d == nil {
			t.Fatalf("drug %s missing", c.ndc)
		}
		p := d.Prices[0]
		if d.MultiSourceCode != c.code || !p.AWP.Equal(dec(c.awp)) || !p.MAC.Equal(dec(c.mac)) || p.Effective.String() != "2025-01-01" {
			t.Errorf("%s %s: code %s awp %s mac %s from %s; want %s %s %s from 2025-01-01", d.NDC, d.Name, d.MultiSourceCode, p.AWP, p.MAC, p.Effective, c.code, c.awp, c.mac)
		}
		for _, id := range []string{PlanPPO, PlanHDHP} {
			if tier, ok, excl := tierOf(findPlan(cfg, id), d); !ok || excl || tier != c.tier {
				t.Errorf("%s on %s: tier %d (on formulary %v, excluded %v), want %d", d.Name, id, tier, ok, excl, c.tier)
			}
		}
	}
	if !strings.HasPrefix(findDrug(cfg, DemoGenericNDC).Name, "Atorvastatin") || !strings.HasPrefix(findDrug(cfg, DemoBrandNDC).Name, "Lipitor") {
		t.Error("documented NDCs name the wrong drugs")
	}
	if _, ok, _ := tierOf(findPlan(cfg, PlanPPO), findDrug(cfg, DemoNonFormularyNDC)); ok {
		t.Error("the non-formulary drug is on the formulary")
	}
	if _, _, excl := tierOf(findPlan(cfg, PlanPPO), findDrug(cfg, DemoExcludedNDC)); !excl {
		t.Error("the excluded drug is not excluded")
	}
}

func TestDrugCatalog(t *testing.T) {
	cfg := Config()
	if len(cfg.Drugs) < 35 {
		t.Errorf("%d drugs, want about 40", len(cfg.Drugs))
	}
	codes := map[string]int{}
	increases := 0
	for _, d := range cfg.Drugs {
		codes[d.MultiSourceCode]++
		if len(d.NDC) != 11 || strings.Trim(d.NDC, "0123456789") != "" {
			t.Errorf("%s: NDC is not 11 digits", d.NDC)
		}
		if len(d.TherapeuticClass) != 14 {
			t.Errorf("%s: class %q is not a 14-digit GPI", d.Name, d.TherapeuticClass)
		}
		if len(d.Prices) == 2 {
			increases++
			if d.Prices[1].Effective.String() != "2026-07-01" || !d.Prices[1].AWP.GreaterThan(d.Prices[0].AWP) {
				t.Errorf("%s: second price %+v is not a 2026-07-01 increase", d.Name, d.Prices[1])
			}
		}
		// Multi-source products carry a MAC; single-source brands do not.
		if hasMAC := d.Prices[0].MAC.IsPositive(); hasMAC != (d.MultiSourceCode != "N") {
			t.Errorf("%s (%s): MAC %s", d.Name, d.MultiSourceCode, d.Prices[0].MAC)
		}
		// A multi-source brand has a generic of the same class and MAC.
		if d.MultiSourceCode == "O" {
			found := false
			for _, g := range cfg.Drugs {
				found = found || (g.MultiSourceCode != "O" && g.MultiSourceCode != "N" && g.TherapeuticClass == d.TherapeuticClass && g.Prices[0].MAC.Equal(d.Prices[0].MAC))
			}
			if !found {
				t.Errorf("%s: no generic with the same class and MAC", d.Name)
			}
		}
	}
	for _, c := range []string{"N", "O", "M", "Y"} {
		if codes[c] == 0 {
			t.Errorf("no drug with multi-source code %s", c)
		}
	}
	if increases < 2 {
		t.Errorf("%d drugs with a 2026-07-01 price, want at least 2", increases)
	}
}

func TestFormulary(t *testing.T) {
	cfg := Config()
	// Brands placed on tier 2 (preferred); every other brand outside the
	// specialty classes is tier 3, every generic tier 1.
	preferred := map[string]bool{DemoBrandNDC: true, "00074455290": true, "00173069700": true, DemoSingleSourceBrandNDC: true,
		"00006027731": true, "00597015230": true, "00088221905": true, "00169413212": true}
	specialty := map[string]bool{DemoSpecialtyNDC: true, "58406003204": true}
	for _, id := range []string{PlanPPO, PlanHDHP} {
		p := findPlan(cfg, id)
		excluded, off := 0, 0
		for i := range cfg.Drugs {
			d := &cfg.Drugs[i]
			tier, ok, excl := tierOf(p, d)
			switch {
			case excl:
				excluded++
				continue
			case !ok:
				off++
				if d.NDC != DemoNonFormularyNDC {
					t.Errorf("%s: %s is unexpectedly not on the formulary", id, d.Name)
				}
				continue
			}
			want := 3
			switch {
			case specialty[d.NDC]:
				want = 4
			case d.MultiSourceCode == "Y" || d.MultiSourceCode == "M":
				want = 1
			case preferred[d.NDC]:
				want = 2
			}
			if tier != want {
				t.Errorf("%s: %s (%s) on tier %d, want %d", id, d.Name, d.MultiSourceCode, tier, want)
			}
		}
		if excluded < 1 || off != 1 {
			t.Errorf("%s: %d excluded and %d off-formulary drugs, want ≥ 1 and 1", id, excluded, off)
		}
	}
}

func TestNetworks(t *testing.T) {
	cfg := Config()
	for _, id := range []string{PlanPPO, PlanHDHP} {
		p := findPlan(cfg, id)
		dos := date("2026-03-02")
		for _, typ := range domain.NetworkTypes {
			for _, class := range domain.NetworkClasses {
				found := false
				for _, ph := range cfg.Pharmacies {
					for _, pt := range ph.Participations {
						found = found || (findNetwork(cfg, pt.Network).Type == typ && classOf(p, pt.Network) == class && pt.Contains(dos))
					}
				}
				if !found {
					t.Errorf("%s: no %s %s pharmacy on %s", id, class, typ, dos)
				}
			}
		}
		if classOf(p, NetRetailOpen) != domain.OutOfNetwork {
			t.Errorf("%s: RETAIL-OPEN is not out of network", id)
		}
	}
	for _, n := range cfg.Networks {
		classes := map[domain.BrandClass]bool{}
		for _, pt := range n.Pricing {
			classes[pt.BrandClass] = true
		}
		if !classes[domain.BrandClassDefault] || !classes[domain.GenericMultiSource] || !classes[domain.GenericSingleSource] {
			t.Errorf("network %s: pricing terms %v", n.ID, classes)
		}
	}

	// The special pharmacies.
	ppo := findPlan(cfg, PlanPPO)
	active := func(npi string, dos string) (in, out bool) {
		for _, pt := range findPharmacy(cfg, npi).Participations {
			if pt.Contains(date(dos)) {
				in = in || classOf(ppo, pt.Network) == domain.InNetwork
				out = out || classOf(ppo, pt.Network) == domain.OutOfNetwork
			}
		}
		return in, out
	}
	for _, c := range []struct {
		npi, dos string
		in, out  bool
	}{
		{DemoPharmacyNPI, "2026-03-02", true, false},
		{DemoMailPharmacyNPI, "2026-03-02", true, false},
		{DemoSpecialtyPharmacyNPI, "2026-03-02", true, false},
		{DemoOutOfNetworkNPI, "2026-03-02", false, true},
		{DemoTerminatedPharmacyNPI, "2025-12-31", true, false},
		{DemoTerminatedPharmacyNPI, "2026-01-01", false, false},
	} {
		if in, out := active(c.npi, c.dos); in != c.in || out != c.out {
			t.Errorf("pharmacy %s on %s: in network %v, out of network %v; want %v, %v", c.npi, c.dos, in, out, c.in, c.out)
		}
	}
	if findNetwork(cfg, findPharmacy(cfg, DemoMailPharmacyNPI).Participations[0].Network).Type != domain.Mail ||
		findNetwork(cfg, findPharmacy(cfg, DemoSpecialtyPharmacyNPI).Participations[0].Network).Type != domain.Specialty {
		t.Error("mail or specialty pharmacy is in the wrong network type")
	}
}

func TestCostShare(t *testing.T) {
	cfg := Config()
	type want struct {
		kind       edits.CostShareKind
		amount     string // copay, or coinsurance rate
		min, max   string
		tierOrNone int
	}
	ppo := func(tier int, _ domain.BrandClass, typ domain.NetworkType, class domain.NetworkClass, days int) want {
		if class == domain.OutOfNetwork {
			return want{edits.Coinsurance, "0.40", "0", "0", 0}
		}
		extended := typ == domain.Retail90 || typ == domain.Mail || (typ == domain.Retail && days >= 35)
		switch tier {
		case 1, 2:
			short, long := map[int]string{1: "10", 2: "40"}[tier], map[int]string{1: "25", 2: "100"}[tier]
			if extended {
				return want{edits.Copay, long, "0", "0", 0}
			}
			return want{edits.Copay, short, "0", "0", 0}
		case 3:
			return want{edits.Coinsurance, "0.30", "50", "150", 0}
		default:
			return want{edits.Coinsurance, "0.20", "0", "250", 0}
		}
	}
	hdhp := func(_ int, bc domain.BrandClass, typ domain.NetworkType, class domain.NetworkClass, _ int) want {
		switch {
		case class == domain.OutOfNetwork:
			return want{edits.Coinsurance, "0.40", "0", "0", 0}
		case bc.IsBrand() || typ == domain.Specialty:
			return want{edits.Coinsurance, "0.20", "0", "0", 0}
		case typ == domain.Retail:
			return want{edits.Copay, "10", "0", "0", 0}
		default:
			return want{edits.Copay, "20", "0", "0", 0}
		}
	}
	for id, expect := range map[string]func(int, domain.BrandClass, domain.NetworkType, domain.NetworkClass, int) want{PlanPPO: ppo, PlanHDHP: hdhp} {
		p := findPlan(cfg, id)
		for tier := 1; tier <= 4; tier++ {
			for _, bc := range []domain.BrandClass{domain.BrandMultiSource, domain.BrandSingleSource, domain.GenericMultiSource, domain.GenericSingleSource} {
				for _, typ := range domain.NetworkTypes {
					for _, class := range domain.NetworkClasses {
						for _, days := range []int{1, 30, 34, 35, 60, 84, 90, 180} {
							f := edits.CostShareFacts{Tier: tier, BrandClass: bc, Segment: domain.Segment{Type: typ, Class: class}, DaysSupply: days}
							l, tie := costShareLine(p, f)
							if l == nil || tie {
								t.Errorf("%s %+v: line %v, tie %v", id, f, l, tie)
								continue
							}
							w := expect(tier, bc, typ, class, days)
							got := l.Amount
							if l.Kind == edits.Coinsurance {
								got = l.Rate
							}
							if l.Kind != w.kind || !got.Equal(dec(w.amount)) || !l.Min.Equal(dec(w.min)) || !l.Max.Equal(dec(w.max)) {
								t.Errorf("%s tier %d %s %s %s %d days: %s, want %s %s min %s max %s", id, tier, bc, typ, class, days, l.Describe(), w.kind, w.amount, w.min, w.max)
							}
						}
					}
				}
			}
		}
	}
	for _, c := range []struct {
		id                             string
		dedInd, dedFam, oopInd, oopFam string
	}{
		{PlanPPO, "250", "500", "2000", "4000"},
		{PlanHDHP, "1600", "3200", "5000", "10000"},
	} {
		p := findPlan(cfg, c.id)
		if !p.Deductible.Individual.Equal(dec(c.dedInd)) || !p.Deductible.Family.Equal(dec(c.dedFam)) ||
			!p.OutOfPocket.Individual.Equal(dec(c.oopInd)) || !p.OutOfPocket.Family.Equal(dec(c.oopFam)) ||
			p.Deductible.Accumulation.Mode != edits.PlanAccumulation || p.OutOfPocket.Accumulation.Mode != edits.PlanAccumulation ||
			p.PeriodStartMonth != 1 {
			t.Errorf("%s limits: %+v / %+v", c.id, p.Deductible, p.OutOfPocket)
		}
	}
}

func TestFamilies(t *testing.T) {
	cfg := Config()
	if len(cfg.Families) != 150 {
		t.Errorf("%d families, want 150", len(cfg.Families))
	}
	members, hdhp, termed, future, agedOut := 0, 0, 0, 0, 0
	groups := map[string]int{}
	endOf2026 := date("2026-12-31")
	for i, f := range cfg.Families {
		if want := "DEMO" + pad4(i+1); f.CardholderID != want {
			t.Errorf("family %d is %s, want %s", i, f.CardholderID, want)
		}
		groups[f.GroupID]++
		if f.Members[0].PersonCode != "001" {
			t.Errorf("%s: first member is %s, not the subscriber", f.CardholderID, f.Members[0].PersonCode)
		}
		for _, m := range f.Members {
			members++
			age := func(on domain.Date) int { return yearsBetween(m.DateOfBirth, on) }
			cov := m.Coverages[0]
			if a := age(date("2026-01-01")); a < 0 || a > 80 || (m.PersonCode == "001" && a < 18) {
				t.Errorf("%s/%s: age %d", f.CardholderID, m.PersonCode, a)
			}
			if m.Gender != "M" && m.Gender != "F" {
				t.Errorf("%s/%s: gender %q", f.CardholderID, m.PersonCode, m.Gender)
			}
			if cov.PlanID == PlanHDHP {
				hdhp++
			}
			switch {
			case cov.From == date("2026-12-01"):
				future++
			case cov.To == date("2026-06-30"):
				termed++
			}
			// Children lose coverage at 26: by the end of the month they turn 26.
			if m.PersonCode >= "003" {
				end := cov.To
				if end.IsZero() {
					end = endOf2026
				}
				if age(end) >= 26 {
					b26 := m.DateOfBirth.Time().AddDate(26, 0, 0)
					limit := domain.DateOf(b26.AddDate(0, 1, -b26.Day()))
					if cov.To.IsZero() || cov.To.After(limit) {
						t.Errorf("%s/%s: born %s, covered to %s past age 26", f.CardholderID, m.PersonCode, m.DateOfBirth, cov.To)
					}
					agedOut++
				}
			}
		}
	}
	if members < 300 {
		t.Errorf("%d members, want at least 300", members)
	}
	if hdhp == 0 || hdhp > members/2 || termed < 2 || future < 2 || agedOut != 1 || groups["GRP100"] == 0 || groups["GRP200"] == 0 {
		t.Errorf("members %d: HDHP %d, terminated mid-year %d, future %d, aged out %d, groups %v", members, hdhp, termed, future, agedOut, groups)
	}
	t.Logf("%d families, %d members, %d on HDHP, %d terminated 2026-06-30, %d starting 2026-12-01, groups %v", len(cfg.Families), members, hdhp, termed, future, groups)
}

func pad4(n int) string { return fmt.Sprintf("%04d", n) }

// yearsBetween is the age in whole years on day of someone born dob.
func yearsBetween(dob, day domain.Date) int {
	b, d := dob.Time(), day.Time()
	years := d.Year() - b.Year()
	if d.Month() < b.Month() || (d.Month() == b.Month() && d.Day() < b.Day()) {
		years--
	}
	return years
}

// TestPrescribers checks the demo prescriber file: valid records, the
// documented prescriber on file with every DEA schedule, and every
// prescriber the bench sends on file, so prescriber_validation ON still
// pays them.
func TestPrescribers(t *testing.T) {
	cfg := Config()
	byNPI := map[string]domain.Prescriber{}
	for _, p := range cfg.Prescribers {
		if err := p.Validate(); err != nil {
			t.Errorf("prescriber %s: %v", p.NPI, err)
		}
		byNPI[p.NPI] = p
	}
	p, ok := byNPI[DemoPrescriberNPI]
	if !ok || !p.Contains(date("2026-11-20")) || p.DEA != DemoPrescriberDEA || !slices.Equal(p.DEASchedules, domain.DEASchedules) {
		t.Errorf("prescriber %s: %+v, want active with DEA %s for schedules 2 to 5", DemoPrescriberNPI, p, DemoPrescriberDEA)
	}
	for i := range 50 {
		if npi := NPI(fmt.Sprintf("2%08d", i)); byNPI[npi].NPI == "" {
			t.Errorf("bench prescriber %s is not on file", npi)
		}
	}
}
