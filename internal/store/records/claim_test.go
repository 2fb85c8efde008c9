package records_test

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/rxclaims/rxclaims/internal/store/records"
	"github.com/shopspring/decimal"
)

func fullResponse(id string) *adjudicator.Response {
	d := decimal.RequireFromString
	return &adjudicator.Response{
		ClaimID: id, Status: adjudicator.Paid, Rejects: []ncpdp.RejectCode{ncpdp.RejectRefillTooSoon}, Message: "m",
		IngredientCostPaid: d("1.01"), DispensingFeePaid: d("1.02"), TotalAllowed: d("1.03"), PlanPaid: d("1.04"),
		PatientPay: d("1.05"), Deductible: d("1.06"), Copay: d("1.07"), Coinsurance: d("1.08"), ProductSelection: d("1.09"),
		ExceedingBenefitMax: d("1.10"), AccumulatedDeductible: d("1.11"), RemainingDeductible: d("1.12"),
		RemainingBenefit:     decimal.NullDecimal{Decimal: d("1.13"), Valid: true},
		RemainingOutOfPocket: decimal.NullDecimal{Decimal: d("1.14"), Valid: true},
		BasisOfReimbursement: "07", DURAlerts: []adjudicator.DURAlert{{Reason: "DD", Message: "interaction"}},
		PlanID: "P", NetworkType: "MAIL", NetworkClass: "IN", Tier: 2, BrandClass: "BRAND_MULTI_SOURCE",
		Trace: []adjudicator.TraceStep{{Step: "s", Rule: "r", Reject: ncpdp.RejectRefillTooSoon, Format: "%s %d %s %s %s", Text: "o",
			Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgText, Text: "a"}, {Kind: adjudicator.ArgInt, Int: -3},
				{Kind: adjudicator.ArgDecimal, Dec: d("1.500")}, {Kind: adjudicator.ArgCents, Dec: d("2.5")}, {Kind: adjudicator.ArgDate, Int: 20000}}}},
		ReversedClaimID: "x",
	}
}

func fullRecord() *adjudicator.ClaimRecord {
	return &adjudicator.ClaimRecord{
		ID: "c1", Transaction: adjudicator.TxRebill, Hash: "h",
		Key:          adjudicator.ClaimKey{PharmacyNPI: "1234567893", RxNumber: "7", FillNumber: 2, DateOfService: "2026-03-04"},
		CardholderID: "SMITH01", PersonCode: "002", Period: domain.MustDate("2026-01-01"),
		Claim: &adjudicator.Claim{
			BIN: "610999", PCN: "P", GroupID: "G", CardholderID: "SMITH01", PersonCode: "002", DateOfBirth: "1980-01-01",
			PatientGender: "2", DateOfService: "2026-03-04", RxNumber: "7", FillNumber: 2, ProductID: "00093505698",
			Quantity: "30", DaysSupply: 30, DAW: "1", IngredientCostSubmitted: "1.00", DispensingFeeSubmitted: "2.00",
			UsualAndCustomary: "3.00", GrossAmountDue: "4.00", PharmacyNPI: "1234567893", PrescriberNPI: "1000000053",
			SubmissionClarificationCodes: []string{"3"}, DUR: []adjudicator.DURService{{Reason: "DD", Professional: "M0", Result: "1B"}},
			PriorAuthorizationNumber: "PA1",
		},
		Response: fullResponse("c1"),
		Contributions: []accumulators.Contribution{{
			Scope: accumulators.Family, Kind: accumulators.OutOfPocket, Level: "EXC-1",
			Segment: domain.Segment{Type: domain.Mail, Class: domain.OutOfNetwork}, Amount: decimal.RequireFromString("12.34"),
		}},
		Reversal:      &adjudicator.ReversalRecord{Transaction: adjudicator.TxReverse, Hash: "rh", Response: fullResponse("r1"), ReplacedBy: "c2"},
		ConfigVersion: 7,
		TraceVersion:  2,
		PriorAuths: []domain.PriorAuth{{CardholderID: "C1", PersonCode: "001", Number: "QL1", Type: domain.PAQuantity,
			DrugRef: domain.DrugRef{ClassPrefix: "3940"}, Range: domain.Range{From: domain.MustDate("2026-01-01")},
			MaxQuantity: decimal.RequireFromString("90"), MaxFills: 3}},
	}
}

// requireAllSet fails for every zero field of a struct, so that a field
// added later must be added to the fixture, and so to the round trip.
func requireAllSet(t *testing.T, name string, v any) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if rv.Type().Field(i).Tag.Get("json") == "-" {
			continue // not stored
		}
		if rv.Field(i).IsZero() {
			t.Errorf("fixture %s.%s is not set: set it so the round trip covers it", name, rv.Type().Field(i).Name)
		}
	}
}

func TestClaimRoundTrip(t *testing.T) {
	rec := fullRecord()
	// The prescription fields came after the golden record (which has none
	// and must still decode: TestClaimGolden).
	rec.Claim.DatePrescriptionWritten, rec.Claim.RefillsAuthorized = "2026-03-01", "2"
	rec.Claim.QuantityPrescribed, rec.Claim.OtherCoverageCode = "30", "1"
	requireAllSet(t, "ClaimRecord", rec)
	requireAllSet(t, "Claim", rec.Claim)
	requireAllSet(t, "Response", rec.Response)
	requireAllSet(t, "ReversalRecord", rec.Reversal)
	requireAllSet(t, "Contribution", &rec.Contributions[0])

	b, err := records.EncodeClaim(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := records.DecodeClaim(b)
	if err != nil {
		t.Fatal(err)
	}
	equalDecimals := cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })
	if diff := cmp.Diff(rec, got, equalDecimals, cmpopts.EquateComparable(domain.Date{})); diff != "" {
		t.Errorf("round trip changed the record (-want +got):\n%s", diff)
	}
}

func TestDecodeClaimRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{{0xff, 0xff, 0xff}, []byte("not a record")} {
		if _, err := records.DecodeClaim(b); err == nil {
			t.Errorf("records.DecodeClaim(%q) succeeded", b)
		}
	}
}

// TestHistoryWithoutPrescription: a history entry written before entries
// named their prescription (pharmacy and Rx number) still decodes, with
// neither; a new one keeps both.
func TestHistoryWithoutPrescription(t *testing.T) {
	old := []byte(`{"claim_id":"c1","date_of_service":"2026-03-04","ndc":"00093505698","class":"39400010","days_supply":30,` +
		`"quantity":"30","plan_paid":"4","segment":{"type":"RETAIL","class":"IN"}}`)
	h, err := records.DecodeHistory(old)
	if err != nil {
		t.Fatal(err)
	}
	if h.ClaimID != "c1" || h.PharmacyNPI != "" || h.RxNumber != "" || !h.Quantity.Equal(decimal.NewFromInt(30)) {
		t.Errorf("old entry decoded as %+v", h)
	}
	h.PharmacyNPI, h.RxNumber = "1234567893", "7"
	b, err := records.EncodeHistory(&h)
	if err != nil {
		t.Fatal(err)
	}
	back, err := records.DecodeHistory(b)
	if err != nil || back.PharmacyNPI != "1234567893" || back.RxNumber != "7" {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

// TestHistorySummaryRoundTrip: every field of a history entry survives
// the summary's encoding, by the full and by the appending path.
func TestHistorySummaryRoundTrip(t *testing.T) {
	h := adjudicator.HistoryEntry{ClaimID: "c1", DateOfService: domain.MustDate("2026-03-04"), PharmacyNPI: "1234567893",
		RxNumber: "77", NDC: "00093505698", Class: "3940", DaysSupply: 30, Quantity: decimal.RequireFromString("30.5"),
		PlanPaid: decimal.RequireFromString("12.34"), Segment: domain.Segment{Type: domain.Mail, Class: domain.OutOfNetwork},
		Buckets: []string{"max_rx_count/"}, PriorAuths: []string{"QL1"}}
	requireAllSet(t, "HistoryEntry", &h)
	since := domain.MustDate("2026-01-01")
	enc := records.EncodeHistorySummary(&records.HistorySummary{Since: since})
	enc, ok := records.AppendHistorySummary(enc, &h, since, 10)
	if !ok {
		t.Fatal("append refused")
	}
	later := h
	later.ClaimID = "b2"
	if _, ok := records.AppendHistorySummary(enc, &later, since, 1); ok {
		t.Error("append to a summary at its cap of entries accepted")
	}
	for _, b := range [][]byte{enc, records.EncodeHistorySummary(&records.HistorySummary{Since: since, Entries: []adjudicator.HistoryEntry{h}})} {
		got, err := records.DecodeHistorySummary(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]adjudicator.HistoryEntry{h}, got.Entries, cmpOpts...); diff != "" {
			t.Errorf("summary round trip (-want +got):\n%s", diff)
		}
	}
}
