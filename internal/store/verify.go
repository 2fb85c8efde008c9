package store

import (
	"fmt"
	"slices"
	"sort"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

// Report is the outcome of Verify.
type Report struct {
	Claims, Paid, Reversed, Documents int
	// Problems lists every inconsistency found; empty means the store is sound.
	Problems []string
}

// Verify recomputes every accumulator document from the contributions of
// the paid claims and compares it with what is stored, and checks that each
// claim key has at most one paid claim and that the key index points at it.
// It reads the whole store; run it on a store no engine is writing to.
func (s *Store) Verify() (*Report, error) {
	return VerifyContents(Contents{
		ForEachClaim:    s.ForEachClaim,
		ForEachDocument: s.ForEachDocument,
		Index: func(key adjudicator.ClaimKey) (string, error) {
			id, err := s.get(indexKey(key))
			return string(id), err
		},
	})
}

// Contents is how VerifyContents reads a store of any kind.
type Contents struct {
	ForEachClaim    func(func(*adjudicator.ClaimRecord) error) error
	ForEachDocument func(func(StoredDocument) error) error
	// Index returns the claim ID the key index holds for key ("" if none).
	Index func(adjudicator.ClaimKey) (string, error)
}

// VerifyContents runs Verify's checks on the contents of any store.
func VerifyContents(s Contents) (*Report, error) {
	type docID struct {
		scope  accumulators.Scope
		id     string
		period domain.Date
	}
	r := &Report{}
	want := map[docID]*accumulators.Doc{}
	paidByKey := map[adjudicator.ClaimKey][]string{}
	err := s.ForEachClaim(func(rec *adjudicator.ClaimRecord) error {
		r.Claims++
		if !rec.Paid() {
			r.Reversed++
			return nil
		}
		r.Paid++
		paidByKey[rec.Key] = append(paidByKey[rec.Key], rec.ID)
		for _, c := range rec.Contributions {
			id := adjudicator.MemberID(rec.CardholderID, rec.PersonCode)
			if c.Scope == accumulators.Family {
				id = rec.CardholderID
			}
			k := docID{c.Scope, id, rec.Period}
			if want[k] == nil {
				want[k] = &accumulators.Doc{}
			}
			want[k].Add(c.Bucket(), c.Amount)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for key, ids := range paidByKey {
		if len(ids) > 1 {
			r.Problems = append(r.Problems, fmt.Sprintf("key %s has %d paid claims: %v", key, len(ids), ids))
		}
		idx, err := s.Index(key)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, idx) {
			r.Problems = append(r.Problems, fmt.Sprintf("key %s: index points at %q, not at its paid claim", key, idx))
		}
	}
	seen := map[docID]bool{}
	err = s.ForEachDocument(func(d StoredDocument) error {
		r.Documents++
		k := docID{d.Scope, d.ID, d.Period}
		seen[k] = true
		if diff := docDiff(want[k], d.Doc); diff != "" {
			r.Problems = append(r.Problems, fmt.Sprintf("%s %s %s: %s", d.Scope, d.ID, d.Period, diff))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, d := range want {
		if !seen[k] && len(d.Entries) > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%s %s %s: claims contribute but no document is stored", k.scope, k.id, k.period))
		}
	}
	sort.Strings(r.Problems)
	return r, nil
}

// docDiff describes how got differs from want (nil want is empty).
func docDiff(want, got *accumulators.Doc) string {
	if want == nil {
		want = &accumulators.Doc{}
	}
	for _, e := range want.Entries {
		if g := got.Get(e.Bucket); !g.Equal(e.Amount) {
			return fmt.Sprintf("%s %s: stored %s, claims sum to %s", e.Kind, e.Segment, g, e.Amount)
		}
	}
	for _, e := range got.Entries {
		if w := want.Get(e.Bucket); !w.Equal(e.Amount) {
			return fmt.Sprintf("%s %s: stored %s, claims sum to %s", e.Kind, e.Segment, e.Amount, w)
		}
	}
	return ""
}
