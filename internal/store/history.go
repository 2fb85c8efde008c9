package store

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// familyHistoryPrefix returns the key prefix of the claim history of a
// family's members.
func familyHistoryPrefix(cardholderID string) []byte {
	b := make([]byte, 0, 48)
	return append(append(append(b, "h\x00"...), cardholderID...), 0)
}

// historyPrefix returns the key prefix of one member's claim history. Keys
// continue with the date of service and the claim ID, so a member's
// history reads in date order.
func historyPrefix(cardholderID, personCode string) []byte {
	return append(append(familyHistoryPrefix(cardholderID), personCode...), 0)
}

func historyKey(cardholderID, personCode string, dos domain.Date, claimID string) []byte {
	b := append(historyPrefix(cardholderID, personCode), dos.String()...)
	return append(append(b, 0), claimID...)
}

// recordHistoryKey is the history key of a stored claim record.
func recordHistoryKey(r *adjudicator.ClaimRecord) ([]byte, error) {
	dos, err := domain.ParseDate(r.Key.DateOfService)
	if err != nil {
		return nil, fmt.Errorf("store: claim %s: %w", r.ID, err)
	}
	return historyKey(r.CardholderID, r.PersonCode, dos, r.ID), nil
}

// History returns a member's paid claims with dates of service from from
// to to, oldest first.
func (s *Store) History(_ context.Context, cardholderID, personCode string, from, to domain.Date) ([]adjudicator.HistoryEntry, error) {
	p := historyPrefix(cardholderID, personCode)
	lower := append(append([]byte(nil), p...), from.String()...)
	upper := append(append(append([]byte(nil), p...), to.String()...), 1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []adjudicator.HistoryEntry
	for it.First(); it.Valid(); it.Next() {
		h, err := records.DecodeHistory(it.Value())
		if err != nil {
			return nil, fmt.Errorf("store: history entry: %w", err)
		}
		out = append(out, h)
	}
	return out, it.Error()
}

// MemberClaims returns a member's paid claim records with dates of service
// from from to to, oldest first.
func (s *Store) MemberClaims(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]*adjudicator.ClaimRecord, error) {
	hist, err := s.History(ctx, cardholderID, personCode, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]*adjudicator.ClaimRecord, 0, len(hist))
	for _, h := range hist {
		rec, err := s.Claim(h.ClaimID)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, fmt.Errorf("store: history names claim %s, which is not stored", h.ClaimID)
		}
		out = append(out, rec)
	}
	return out, nil
}

// writeHistory adds a commit's history changes to its batch: the new paid
// claim's entry, and the removal of every reversed claim's.
func writeHistory(b *pebble.Batch, c *adjudicator.Commit) error {
	for _, r := range c.Records {
		if r.Reversal == nil {
			continue
		}
		k, err := recordHistoryKey(r)
		if err != nil {
			return err
		}
		if err := b.Delete(k, nil); err != nil {
			return err
		}
	}
	if h := c.History; h != nil && c.Index != nil {
		v, err := records.EncodeHistory(h)
		if err != nil {
			return err
		}
		if err := b.Set(historyKey(c.Index.CardholderID, c.Index.PersonCode, h.DateOfService, h.ClaimID), v, nil); err != nil {
			return err
		}
	}
	return nil
}
