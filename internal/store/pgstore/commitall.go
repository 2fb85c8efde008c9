package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/adjudicator"
)

// CommitAll implements adjudicator.BatchCommitter: the statements of each
// of cs in turn (commitBatch), in one database transaction. In a claim
// transaction (Begin) they go with its COMMIT in one round trip, under the
// row locks its reads took, as Commit's do; a claim or key a commit writes
// is then one the later ones update. Without one, they run in a
// SERIALIZABLE transaction of their own, retried on a serialization
// failure.
func (s *Store) CommitAll(ctx context.Context, cs []*adjudicator.Commit) error {
	for _, c := range cs {
		if c.Audit != nil {
			return errors.New("pgstore: commit: a batch of commits carries no audit entry")
		}
	}
	t, _ := ctx.Value(txKey{}).(*claimTx)
	if t == nil {
		var batches []*pgx.Batch
		for _, c := range cs {
			b, err := commitBatch(c, nil)
			if err != nil {
				return err
			}
			batches = append(batches, b)
		}
		err := s.write(ctx, func(tx pgx.Tx) error {
			for _, b := range batches {
				if err := runBatch(ctx, tx, b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("pgstore: commit: %w", err)
		}
		return nil
	}
	err := s.with(ctx, func(q querier, t *claimTx) error {
		all := &pgx.Batch{}
		for _, c := range cs {
			b, err := commitBatch(c, t)
			if err != nil {
				return err
			}
			all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
			for _, r := range c.Records { // written now: a later commit updates it
				t.claims[r.ID] = []byte{}
			}
			if c.Index != nil {
				t.keys[c.Index.Key] = c.Index.ID
			}
		}
		queueLastID(all, t, cs...)
		return sendAndCommit(ctx, q, t, all)
	})
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
	if err != nil {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	return nil
}
