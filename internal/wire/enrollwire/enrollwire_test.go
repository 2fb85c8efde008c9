package enrollwire

import (
	"reflect"
	"testing"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// TestFamilyRoundTrip: a family survives the wire both ways.
func TestFamilyRoundTrip(t *testing.T) {
	f := domain.Family{CardholderID: "LDR001", GroupID: "GRP100", Members: []domain.Member{{
		PersonCode: "001", DateOfBirth: domain.MustDate("1970-05-05"), Gender: "F",
		Coverages: []domain.Coverage{{PlanID: "PPO-2026", Range: domain.Range{From: domain.MustDate("2026-01-01"), To: domain.MustDate("2026-09-30")}}},
	}}}
	back, err := FamilyFromProto(FamilyToProto(&f))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, f) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, f)
	}
}

// TestDrugRoundTrip: a drug survives the wire both ways, its brand/generic
// indicator and generic equivalent included.
func TestDrugRoundTrip(t *testing.T) {
	d := domain.Drug{NDC: "00378180001", Name: "levothyroxine 50 mcg tab", TherapeuticClass: "28100010", MultiSourceCode: "M",
		BrandGeneric: domain.Generic, GenericNDC: "00378180002", DEASchedule: "4", Attributes: map[string]string{"route": "oral"},
		Prices: []domain.DrugPrice{{Effective: domain.MustDate("2026-01-01"), AWP: decimal.RequireFromString("0.5"), MAC: decimal.RequireFromString("0.1")}}}
	back, err := DrugFromProto(DrugToProto(&d))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, d) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, d)
	}
}

// TestPrescriberRoundTrip: a prescriber survives the wire both ways, with
// and without a DEA registration.
func TestPrescriberRoundTrip(t *testing.T) {
	for _, p := range []domain.Prescriber{
		{NPI: "1000000053", Name: "Dr A", Range: domain.Range{From: domain.MustDate("2020-01-01"), To: domain.MustDate("2026-03-31")},
			DEA: "AB1234563", DEASchedules: []string{"2", "3"}, DEAExpires: domain.MustDate("2027-06-30")},
		{NPI: "1000000061", Range: domain.Range{From: domain.MustDate("2020-01-01")}, Excluded: true},
	} {
		back, err := PrescriberFromProto(PrescriberToProto(&p))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, p) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", back, p)
		}
	}
}

// TestFamilyFromProtoNamesBadField: a bad date names its field.
func TestFamilyFromProtoNamesBadField(t *testing.T) {
	p := FamilyToProto(&domain.Family{CardholderID: "X", Members: []domain.Member{{PersonCode: "001"}}})
	p.GetMembers()[0].DateOfBirth = "1970-13-01"
	if _, err := FamilyFromProto(p); err == nil {
		t.Fatal("a bad date of birth was accepted")
	}
}
