package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// Verify runs the Pebble store's consistency checks (store.VerifyContents)
// on the database, all reads in one snapshot, so it may run while
// instances serve: every balance equals its paid claims' contributions,
// and each claim key has at most one paid claim, which the index names.
func (s *Store) Verify(ctx context.Context) (*store.Report, error) {
	var rep *store.Report
	err := classify(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		rep, err = store.VerifyContents(store.Contents{
			ForEachClaim: func(fn func(*adjudicator.ClaimRecord) error) error {
				rows, err := tx.Query(ctx, `SELECT record FROM claims ORDER BY id`)
				if err != nil {
					return err
				}
				return forEachRow(rows, func(v []byte) error {
					rec, err := decodeClaim(v)
					if err != nil {
						return err
					}
					return fn(rec)
				})
			},
			ForEachDocument: func(fn func(store.StoredDocument) error) error {
				return forEachDocument(ctx, tx, fn)
			},
			Index: func(k adjudicator.ClaimKey) (string, error) {
				var id string
				err := noRows(tx.QueryRow(ctx, `SELECT claim_id FROM claim_index
					WHERE pharmacy_npi = $1 AND rx_number = $2 AND fill_number = $3 AND date_of_service = $4`,
					k.PharmacyNPI, k.RxNumber, k.FillNumber, k.DateOfService).Scan(&id))
				return id, err
			},
		})
		return err
	}))
	return rep, err
}

func forEachDocument(ctx context.Context, q querier, fn func(store.StoredDocument) error) error {
	rows, err := q.Query(ctx, `SELECT scope, owner_id, period, doc FROM documents ORDER BY scope, period, owner_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var scope int16
		var id, period string
		var v []byte
		if err := rows.Scan(&scope, &id, &period, &v); err != nil {
			return err
		}
		p, err := domain.ParseDate(period)
		if err != nil {
			return fmt.Errorf("pgstore: document period: %w", err)
		}
		d, err := records.DecodeDocument(v)
		if err != nil {
			return fmt.Errorf("pgstore: %s document for period %s: %w", accumulators.Scope(scope), period, err)
		}
		if err := fn(store.StoredDocument{Scope: accumulators.Scope(scope), ID: id, Period: p, Doc: d}); err != nil {
			return err
		}
	}
	return rows.Err()
}
