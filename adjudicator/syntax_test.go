package adjudicator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// luhnNPI is an independent implementation of the NPI check digit: the Luhn
// algorithm over "80840" followed by the first nine digits.
func luhnNPI(first9 string) byte {
	s := "80840" + first9
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 0 { // rightmost digit of the payload is doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func TestValidNPI(t *testing.T) {
	for _, s := range []string{"1234567893", "1000000012", "1245319599", "1000000020", "1000000038", "1000000046", "1000000053"} {
		if !domain.ValidNPI(s) {
			t.Errorf("ValidNPI(%q) = false", s)
		}
	}
	for _, s := range []string{
		"", "1234567890", "1234567894", "1000000013", "1245319598", "2234567893", "1234567839",
		"123456789", "12345678930", "123456789a", "abcdefghij", " 234567893", "1234567893 ", "-234567893",
	} {
		if domain.ValidNPI(s) {
			t.Errorf("ValidNPI(%q) = true", s)
		}
	}
	// Against the reference over random numbers: exactly one check digit fits.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		first9 := fmt.Sprintf("%09d", rng.IntN(1_000_000_000))
		want := luhnNPI(first9)
		for d := byte('0'); d <= '9'; d++ {
			if got := domain.ValidNPI(first9 + string(d)); got != (d == want) {
				t.Fatalf("ValidNPI(%s%c) = %v; the check digit is %c", first9, d, got, want)
			}
		}
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		s      string
		places int
		want   string
	}{
		{"0", 2, "0"},
		{"12.3", 2, "12.3"},
		{"12.34", 2, "12.34"},
		{"0.00", 2, "0"},
		{"007", 2, "7"},
		{"9999999999999.99", 2, "9999999999999.99"},
		{"12.345", 3, "12.345"},
		{"30", 3, "30"},
		{"0.5", 3, "0.5"},
		{"000000000000.500", 3, "0.5"},
		{"9999999999999999", 2, "9999999999999999"},
	} {
		got, ok := parseAmount(tc.s, tc.places)
		if !ok || !got.Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("parseAmount(%q, %d) = %s, %v; want %s", tc.s, tc.places, got, ok, tc.want)
		}
		// The same decimal as decimal.NewFromString, exponent included:
		// amounts are stored and formatted by coefficient and exponent.
		if std := decimal.RequireFromString(tc.s); got.Exponent() != std.Exponent() || got.Coefficient().Cmp(std.Coefficient()) != 0 {
			t.Errorf("parseAmount(%q) = %s×10^%d; NewFromString gives %s×10^%d", tc.s, got.Coefficient(), got.Exponent(), std.Coefficient(), std.Exponent())
		}
	}
	for _, tc := range []struct {
		s      string
		places int
	}{
		{"", 2}, {"-1", 2}, {"+1", 2}, {"1e3", 2}, {"1E3", 2}, {"12.345", 2}, {".5", 2}, {"5.", 2}, {"1,000", 2},
		{"1.2.3", 2}, {" 1", 2}, {"1 ", 2}, {"١٢", 2}, {"0x10", 2}, {"NaN", 2}, {"Inf", 2}, {"12.3456", 3},
		{"12345678901234567", 2}, {"1.", 3}, {".", 2}, {"..", 2}, {"1..2", 2}, {"12.3", 0},
	} {
		if got, ok := parseAmount(tc.s, tc.places); ok {
			t.Errorf("parseAmount(%q, %d) = %s, want rejection", tc.s, tc.places, got)
		}
	}
}

func TestNormalizePersonCode(t *testing.T) {
	for in, want := range map[string]string{"1": "001", "01": "001", "001": "001", "12": "012", "123": "123", "0": "000", "999": "999"} {
		if got, ok := normalizePersonCode(in); !ok || got != want {
			t.Errorf("normalizePersonCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0001", "1234", "1a", "-1", " 1", "1 ", "a", "+12"} {
		if got, ok := normalizePersonCode(in); ok {
			t.Errorf("normalizePersonCode(%q) = %q, want rejection", in, got)
		}
	}
}

func validClaim() *Claim {
	return &Claim{
		BIN: "610999", PCN: "RXCLAIMS", CardholderID: "SMITH01", PersonCode: "001", DateOfBirth: "1980-01-01",
		DateOfService: "2026-04-01", RxNumber: "700001", FillNumber: 0, ProductID: "00093505698", Quantity: "30",
		DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: "1234567893", PrescriberNPI: "1000000053",
	}
}

// TestParseClaimFields breaks one field at a time and expects exactly that
// field's M/I reject code.
func TestParseClaimFields(t *testing.T) {
	today := domain.MustDate("2026-12-31")
	p, rejects := parseClaim(validClaim(), today)
	if len(rejects) != 0 {
		t.Fatalf("valid claim rejected: %v", rejects)
	}
	if p.personCode != "001" || p.ndc != "00093505698" || p.dos.String() != "2026-04-01" || !p.qty.Equal(decimal.NewFromInt(30)) {
		t.Errorf("parsed claim: %+v", p)
	}
	if p, r := parseClaim(func() *Claim { c := validClaim(); c.ProductID = "00093-5056-98"; c.PersonCode = "1"; return c }(), today); len(r) != 0 || p.ndc != "00093505698" || p.personCode != "001" {
		t.Errorf("hyphenated NDC / short person code: %v %q %q", r, p.ndc, p.personCode)
	}
	for _, tc := range []struct {
		name   string
		break_ func(c *Claim)
		want   ncpdp.RejectCode
	}{
		{"bin", func(c *Claim) { c.BIN = "61099" }, ncpdp.RejectMIIINNumber},
		{"pcn", func(c *Claim) { c.PCN = "" }, ncpdp.RejectMIProcessorControlNumber},
		{"group", func(c *Claim) { c.GroupID = "G-1" }, ncpdp.RejectMIGroupID},
		{"cardholder", func(c *Claim) { c.CardholderID = "" }, ncpdp.RejectMICardholderID},
		{"person", func(c *Claim) { c.PersonCode = "1234" }, ncpdp.RejectMIPersonCode},
		{"date of service", func(c *Claim) { c.DateOfService = "2026-02-30" }, ncpdp.RejectMIDateOfService15},
		{"date of birth", func(c *Claim) { c.DateOfBirth = "19800101" }, ncpdp.RejectMIDateOfBirth},
		{"born after service", func(c *Claim) { c.DateOfBirth = "2026-04-02" }, ncpdp.RejectMIDateOfBirth},
		{"gender", func(c *Claim) { c.PatientGender = "M" }, ncpdp.RejectMIPatientGenderCode},
		{"rx number", func(c *Claim) { c.RxNumber = "RX1" }, ncpdp.RejectMIPrescriptionServiceReferenceNumber},
		{"fill number", func(c *Claim) { c.FillNumber = 100 }, ncpdp.RejectMIFillNumber17},
		{"negative fill", func(c *Claim) { c.FillNumber = -1 }, ncpdp.RejectMIFillNumber17},
		{"ndc", func(c *Claim) { c.ProductID = "0009350569" }, ncpdp.RejectMIProductServiceID},
		{"quantity", func(c *Claim) { c.Quantity = "0" }, ncpdp.RejectMIQuantityDispensed},
		{"quantity places", func(c *Claim) { c.Quantity = "1.2345" }, ncpdp.RejectMIQuantityDispensed},
		{"days", func(c *Claim) { c.DaysSupply = 0 }, ncpdp.RejectMIDaysSupply},
		{"days high", func(c *Claim) { c.DaysSupply = 366 }, ncpdp.RejectMIDaysSupply},
		{"daw", func(c *Claim) { c.DAW = "X" }, ncpdp.RejectMIDispenseAsWrittenDAWProductSelectionCode},
		{"ingredient", func(c *Claim) { c.IngredientCostSubmitted = "-1" }, ncpdp.RejectMIIngredientCostSubmitted},
		{"fee", func(c *Claim) { c.DispensingFeeSubmitted = "1.234" }, ncpdp.RejectMIDispensingFeeSubmitted},
		{"u&c", func(c *Claim) { c.UsualAndCustomary = "" }, ncpdp.RejectMIUsualAndCustomaryCharge},
		{"gross", func(c *Claim) { c.GrossAmountDue = "1e3" }, ncpdp.RejectMIGrossAmountDue},
		{"pharmacy", func(c *Claim) { c.PharmacyNPI = "1234567890" }, ncpdp.RejectMIServiceProviderNumber},
		{"prescriber", func(c *Claim) { c.PrescriberNPI = "1000000054" }, ncpdp.RejectMIPrescriberID},
		{"post-dated", func(c *Claim) { c.DateOfService = "2027-01-01" }, ncpdp.RejectClaimIsPostDated},
	} {
		c := validClaim()
		tc.break_(c)
		if _, r := parseClaim(c, today); !slices.Equal(r, []ncpdp.RejectCode{tc.want}) {
			t.Errorf("%s: rejects %v, want [%s]", tc.name, r, tc.want)
		}
	}
	// Every error is reported (the response keeps the first five).
	all := &Claim{FillNumber: -1, DAW: "X"}
	if _, r := parseClaim(all, today); len(r) < 10 {
		t.Errorf("an empty claim reports only %v", r)
	}
}

func TestCanonicalRxNumber(t *testing.T) {
	for in, want := range map[string]string{
		"5550001": "5550001", "05550001": "5550001", "0005550001": "5550001",
		"0": "0", "000000000000": "0", "100": "100", "000000000100": "100",
	} {
		if got := canonicalRxNumber(in); got != want {
			t.Errorf("canonicalRxNumber(%q) = %q; want %q", in, got, want)
		}
	}
	if got := legacyKeys(ClaimKey{RxNumber: "5550001"}); len(got) != 5 || got[0].RxNumber != "05550001" || got[4].RxNumber != "000005550001" {
		t.Errorf("legacyKeys(5550001) = %v; want 05550001 to 000005550001", got)
	}
}
