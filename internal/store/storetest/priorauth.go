package storetest

import (
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

// testPriorAuths checks a store that keeps prior authorization records
// (adjudicator.PriorAuthStore; others skip it): records are kept by key,
// survive a reopen, are read back by family in person code then number
// order, are written with their audit entry, and are never touched by
// family writes (PutFamilies, SaveConfig's Families, RemoveFamily).
func testPriorAuths(t *testing.T, open Open) {
	s, reopen := open(t)
	ps, ok := s.(adjudicator.PriorAuthStore)
	if !ok {
		t.Skip("the store keeps no prior authorization records")
	}
	pa := func(person, number, to string) domain.PriorAuth {
		p := domain.PriorAuth{CardholderID: "PAFAM", PersonCode: person, Number: number, Type: domain.PADrug,
			DrugRef: domain.DrugRef{ClassPrefix: "6627"}, Range: domain.Range{From: domain.MustDate("2026-01-01")}}
		if to != "" {
			p.To = domain.MustDate(to)
		}
		return p
	}
	putFamilies(t, s, Family("PAFAM", "1980-01-01"))
	e := entry("pam", "CreatePriorAuth", 1, "prior authorization B2")
	if err := ps.PutPriorAuths(ctx, []domain.PriorAuth{pa("002", "B2", ""), pa("001", "Z9", ""), pa("001", "A1", "")}, e); err != nil {
		t.Fatal(err)
	}
	if e.Seq == 0 {
		t.Fatal("the audit entry was not appended with the records")
	}
	if err := ps.PutPriorAuths(ctx, []domain.PriorAuth{pa("001", "A1", "2026-03-31")}, nil); err != nil {
		t.Fatal(err)
	}
	other := pa("001", "A1", "")
	other.CardholderID = "PAFAM2"
	if err := ps.PutPriorAuths(ctx, []domain.PriorAuth{other}, nil); err != nil {
		t.Fatal(err)
	}
	putFamilies(t, s, Family("PAFAM", "1980-01-01"))
	if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{Families: []domain.Family{Family("PAFAM", "1980-01-01")}}); err != nil {
		t.Fatal(err)
	}
	s = reopen()
	got, err := s.(adjudicator.PriorAuthStore).PriorAuths(ctx, "PAFAM")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range got {
		to := "open"
		if !p.To.IsZero() {
			to = p.To.String()
		}
		keys = append(keys, p.PersonCode+"/"+p.Number+"/"+to)
	}
	if want := []string{"001/A1/2026-03-31", "001/Z9/open", "002/B2/open"}; !slices.Equal(keys, want) {
		t.Fatalf("prior authorizations %v, want %v", keys, want)
	}
	if none, err := s.(adjudicator.PriorAuthStore).PriorAuths(ctx, "PAFA"); err != nil || len(none) != 0 {
		t.Fatalf("a cardholder ID that is a prefix of another reads %v (%v)", none, err)
	}
}
