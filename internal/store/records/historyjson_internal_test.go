package records

import (
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// TestDecodeHistoryFastTakesEncodeHistory: what EncodeHistory writes for
// an ordinary entry, with and without its optional fields, is read by the
// fast reader, not by encoding/json (FuzzDecodeHistory checks it reads
// the same).
func TestDecodeHistoryFastTakesEncodeHistory(t *testing.T) {
	full := adjudicator.HistoryEntry{ClaimID: "0190a1b2c3d4e5f60718", DateOfService: domain.MustDate("2026-03-04"), PharmacyNPI: "1234567893",
		RxNumber: "77", NDC: "00093505698", Class: "39400010", DaysSupply: 30, Quantity: decimal.RequireFromString("30.5"),
		PlanPaid: decimal.RequireFromString("12.34"), Segment: domain.Segment{Type: domain.Retail90, Class: domain.InNetwork},
		Buckets: []string{"max_rx_count/", "max_dollars/PLAN-1"}, PriorAuths: []string{"QL1"}}
	bare := full
	bare.PharmacyNPI, bare.RxNumber, bare.Buckets, bare.PriorAuths = "", "", nil, nil
	for name, h := range map[string]adjudicator.HistoryEntry{"full": full, "bare": bare} {
		b, err := EncodeHistory(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeHistoryFast(b); !ok {
			t.Errorf("%s: %s is left to encoding/json", name, b)
		}
	}
}
