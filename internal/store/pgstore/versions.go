package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// queueVersion adds a configuration version to b (SaveConfig has checked
// that it is the one after the latest).
func queueVersion(b *pgx.Batch, v *adjudicator.ConfigVersion) error {
	enc, err := records.EncodeConfigVersion(v)
	if err != nil {
		return err
	}
	b.Queue(`INSERT INTO config_versions (number, record) VALUES ($1, $2)`, int64(v.Number), enc)
	return nil
}

// ConfigVersion implements adjudicator.ConfigHistory.
func (s *Store) ConfigVersion(ctx context.Context, n uint64) (*adjudicator.ConfigVersion, error) {
	return s.readVersion(ctx, `SELECT record FROM config_versions WHERE number = $1`, int64(n))
}

// LatestConfigVersion implements adjudicator.ConfigHistory.
func (s *Store) LatestConfigVersion(ctx context.Context) (*adjudicator.ConfigVersion, error) {
	return s.readVersion(ctx, `SELECT record FROM config_versions ORDER BY number DESC LIMIT 1`)
}

func (s *Store) readVersion(ctx context.Context, sql string, args ...any) (*adjudicator.ConfigVersion, error) {
	var v []byte
	if err := classify(noRows(s.pool.QueryRow(ctx, sql, args...).Scan(&v))); err != nil || v == nil {
		return nil, err
	}
	cv, err := records.DecodeConfigVersion(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: configuration version: %w", err)
	}
	return cv, nil
}

// ForEachClaim implements adjudicator.ClaimScanner: every claim record,
// reversed ones too, in claim ID order.
func (s *Store) ForEachClaim(fn func(*adjudicator.ClaimRecord) error) error {
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, `SELECT record FROM claims ORDER BY id`)
	if err != nil {
		return classify(err)
	}
	return classify(forEachRow(rows, func(v []byte) error {
		rec, err := decodeClaim(v)
		if err != nil {
			return err
		}
		return fn(rec)
	}))
}

// PriorAuths implements adjudicator.PriorAuthStore. Inside a claim
// transaction it reads under the family's row lock, so the fills a PA has
// served and the PA itself are read together.
func (s *Store) PriorAuths(ctx context.Context, cardholderID string) ([]domain.PriorAuth, error) {
	var out []domain.PriorAuth
	err := s.with(ctx, func(q querier, t *claimTx) error {
		if err := lockFamily(ctx, q, t, cardholderID); err != nil {
			return err
		}
		decode := func(v []byte) error {
			pa, err := records.DecodePriorAuth(v)
			if err != nil {
				return fmt.Errorf("pgstore: prior authorization: %w", err)
			}
			out = append(out, pa)
			return nil
		}
		if t != nil { // read with the lock
			for _, v := range t.families[cardholderID].pas {
				if err := decode(v); err != nil {
					return err
				}
			}
			return nil
		}
		rows, err := q.Query(ctx, `SELECT record FROM prior_auths WHERE cardholder_id = $1 ORDER BY person_code, number`, cardholderID)
		if err != nil {
			return err
		}
		return forEachRow(rows, decode)
	})
	return out, err
}

// PutPriorAuths implements adjudicator.PriorAuthStore: the records and
// audit (when not nil) in one transaction.
func (s *Store) PutPriorAuths(ctx context.Context, pas []domain.PriorAuth, audit *adjudicator.AuditEntry) error {
	var done func()
	err := s.write(ctx, func(tx pgx.Tx) error {
		if err := putPriorAuths(ctx, tx, pas); err != nil {
			return err
		}
		var err error
		done, err = appendAudit(ctx, tx, audit)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: write prior authorizations: %w", err)
	}
	done()
	return nil
}

// putPriorAuths writes the records in q, each replacing the one with its key.
func putPriorAuths(ctx context.Context, q querier, pas []domain.PriorAuth) error {
	if len(pas) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for i := range pas {
		v, err := records.EncodePriorAuth(&pas[i])
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO prior_auths (cardholder_id, person_code, number, record) VALUES ($1, $2, $3, $4)
			ON CONFLICT (cardholder_id, person_code, number) DO UPDATE SET record = excluded.record`,
			pas[i].CardholderID, pas[i].PersonCode, pas[i].Number, v)
	}
	return runBatch(ctx, q, b)
}

// ForEachFamilyHistory implements adjudicator.HistoryScanner: the history
// table in primary key order (cardholder ID, person code, date of
// service, claim ID), a page at a time by keyset pagination, so it holds
// one page (Options.HistoryPageRows) and the family being gathered. Each
// page is a query of its own: a claim committed during the scan may or may
// not be among them. Families come in the database collation's order of
// cardholder IDs (byte order under the C collation).
func (s *Store) ForEachFamilyHistory(to domain.Date, fn func(cardholderID string, members map[string][]adjudicator.HistoryEntry) error) error {
	const (
		columns = `SELECT cardholder_id, person_code, date_of_service, claim_id, entry FROM history WHERE date_of_service <= $1 `
		order   = ` ORDER BY cardholder_id, person_code, date_of_service, claim_id LIMIT $2`
		first   = columns + order
		next    = columns + `AND (cardholder_id, person_code, date_of_service, claim_id) > ($3, $4, $5, $6)` + order
	)
	ctx := context.Background()
	type row struct {
		cardholder, person, dos, claim string
		entry                          []byte
	}
	var (
		family  string
		members map[string][]adjudicator.HistoryEntry
		page    = make([]row, 0, s.historyPage)
	)
	flush := func() error {
		if len(members) == 0 {
			return nil
		}
		m := members
		members = nil
		return fn(family, m)
	}
	for {
		var rows pgx.Rows
		var err error
		if len(page) == 0 {
			rows, err = s.pool.Query(ctx, first, to.String(), s.historyPage)
		} else {
			last := page[len(page)-1] // the cursor
			rows, err = s.pool.Query(ctx, next, to.String(), s.historyPage, last.cardholder, last.person, last.dos, last.claim)
		}
		if err != nil {
			return classify(err)
		}
		page = page[:0]
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.cardholder, &r.person, &r.dos, &r.claim, &r.entry); err != nil {
				rows.Close()
				return classify(err)
			}
			page = append(page, r)
		}
		if err := rows.Err(); err != nil {
			return classify(err)
		}
		for _, r := range page {
			if r.cardholder != family {
				if err := flush(); err != nil {
					return err
				}
				family = r.cardholder
			}
			h, err := records.DecodeHistory(r.entry)
			if err != nil {
				return fmt.Errorf("pgstore: history entry: %w", err)
			}
			if members == nil {
				members = map[string][]adjudicator.HistoryEntry{}
			}
			members[r.person] = append(members[r.person], h)
		}
		if len(page) < s.historyPage {
			return flush()
		}
	}
}
