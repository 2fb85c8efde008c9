package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// ClaimsWithoutTrace implements adjudicator.ClaimBatchReader: each record
// is decoded straight from Pebble's buffer, without its trace.
func (s *Store) ClaimsWithoutTrace(ctx context.Context, ids []string, fn func(*adjudicator.ClaimRecord) error) error {
	if err := s.health.err(); err != nil {
		return err
	}
	var key []byte // claimKey's, one buffer for every ID (Get keeps no key)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		key = append(append(key[:0], claimPrefix...), id...)
		v, closer, err := s.db.Get(key)
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		rec, err := records.DecodeClaimWithoutTrace(v) // copies what it keeps
		if cerr := closer.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("store: claim record %s: %w", id, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}
