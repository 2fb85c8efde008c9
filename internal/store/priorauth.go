package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// Prior authorizations are records of their own under
// "r\x00<cardholder ID>\x00<person code>\x00<number>", apart from the
// family records, so that enrollment writes never touch them.

// priorAuthFamilyPrefix is the key prefix of a family's prior authorizations.
func priorAuthFamilyPrefix(cardholderID string) []byte {
	return append(append([]byte("r\x00"), cardholderID...), 0)
}

func priorAuthKey(k domain.PriorAuthKey) []byte {
	b := append(priorAuthFamilyPrefix(k.CardholderID), k.PersonCode...)
	return append(append(b, 0), k.Number...)
}

// PriorAuths implements adjudicator.PriorAuthStore.
func (s *Store) PriorAuths(_ context.Context, cardholderID string) ([]domain.PriorAuth, error) {
	if err := s.health.err(); err != nil {
		return nil, err
	}
	if _, ok := s.priorAuthFamilies.Load(cardholderID); !ok {
		return nil, nil
	}
	p := priorAuthFamilyPrefix(cardholderID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: append(p[:len(p)-1:len(p)-1], 1)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []domain.PriorAuth
	for it.First(); it.Valid(); it.Next() {
		pa, err := records.DecodePriorAuth(it.Value())
		if err != nil {
			return nil, fmt.Errorf("store: prior authorization record: %w", err)
		}
		out = append(out, pa)
	}
	return out, it.Error()
}

// PutPriorAuths implements adjudicator.PriorAuthStore.
func (s *Store) PutPriorAuths(_ context.Context, pas []domain.PriorAuth, audit *adjudicator.AuditEntry) error {
	b := s.newBatch()
	defer b.Close()
	if err := setPriorAuths(b.Batch, pas); err != nil {
		return err
	}
	if err := s.commitAudited(b, audit); err != nil {
		return fmt.Errorf("store: write prior authorizations: %w", err)
	}
	s.notePriorAuths(pas)
	return nil
}

// notePriorAuths records, once written, which families have records.
func (s *Store) notePriorAuths(pas []domain.PriorAuth) {
	for i := range pas {
		s.priorAuthFamilies.Store(pas[i].CardholderID, struct{}{})
	}
}

// loadPriorAuthFamilies reads, at open, which families have records: one
// pass over the records' keys (a PBM holds far fewer PAs than claims).
func (s *Store) loadPriorAuthFamilies() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte("r\x00"), UpperBound: []byte("r\x01")})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		id, _, ok := bytes.Cut(it.Key()[2:], []byte{0})
		if !ok {
			return errors.New("store: malformed prior authorization key")
		}
		s.priorAuthFamilies.Store(string(id), struct{}{})
	}
	return it.Error()
}

// setPriorAuths adds the records to b.
func setPriorAuths(b *pebble.Batch, pas []domain.PriorAuth) error {
	for i := range pas {
		v, err := records.EncodePriorAuth(&pas[i])
		if err != nil {
			return err
		}
		if err := b.Set(priorAuthKey(pas[i].Key()), v, nil); err != nil {
			return err
		}
	}
	return nil
}
