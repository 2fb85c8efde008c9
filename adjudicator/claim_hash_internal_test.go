package adjudicator

import "testing"

// TestClaimHashPinned pins the digest of a claim with every field sent:
// stored claims keep it, so the text it hashes must not change.
func TestClaimHashPinned(t *testing.T) {
	c := &Claim{BIN: "610014", PCN: "RXC", GroupID: "G1", CardholderID: "C123", PersonCode: "01",
		DateOfBirth: "1980-01-02", PatientGender: "F", DateOfService: "2026-11-20", RxNumber: "0001234",
		FillNumber: 2, ProductID: "00000000001", Quantity: "30", DaysSupply: 30, DAW: "0",
		IngredientCostSubmitted: "12.50", DispensingFeeSubmitted: "1.75", UsualAndCustomary: "20.00",
		GrossAmountDue: "14.25", PharmacyNPI: "1234567893", PrescriberNPI: "1679576722",
		PriorAuthorizationNumber: "PA1", SubmissionClarificationCodes: []string{"07", "08"},
		DatePrescriptionWritten: "2026-11-01", RefillsAuthorized: "5", QuantityPrescribed: "90",
		OtherCoverageCode: "1", DUR: []DURService{{Reason: "DD", Professional: "M0", Result: "1B"}, {Reason: "TD"}}}
	const want = "22448423fc75e9564e3f66c61ad0ab13"
	if got := c.hash(); got != want {
		t.Errorf("hash = %s, want %s", got, want)
	}
	plain := &Claim{BIN: "610014", RxNumber: "12", DateOfService: "2026-11-20"}
	const wantPlain = "ef7b9f2d52d8fa9934784aa14cf702a8"
	if got := plain.hash(); got != wantPlain {
		t.Errorf("hash of a claim without the optional fields = %s, want %s", got, wantPlain)
	}
}
