package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// SaveConfig writes the change in one transaction: the base (when not
// nil), the edit versions, the configuration version, the families and
// their prior authorization records, the pending import proposed or
// resolved, and the audit entry. A configuration version is written only
// if it is the one after the latest (config_version holds its number),
// else the write fails with adjudicator.ErrStaleConfig: of two instances
// changing the configuration at once, the second is refused.
func (s *Store) SaveConfig(ctx context.Context, w adjudicator.ConfigWrite) error {
	b := &pgx.Batch{}
	if w.Base != nil {
		v, err := records.EncodeConfig(w.Base)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO config_base (id, record) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET record = excluded.record`, v)
	}
	for i := range w.Versions {
		v, err := records.EncodeEdit(&w.Versions[i])
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO edit_versions (edit_id, version, record) VALUES ($1, $2, $3)
			ON CONFLICT (edit_id, version) DO UPDATE SET record = excluded.record`, w.Versions[i].ID, w.Versions[i].Version, v)
	}
	if w.Propose != nil {
		v, err := records.EncodePendingImport(w.Propose)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO pending_imports (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record`, w.Propose.ID, v)
	}
	if w.Version != nil {
		if err := queueVersion(b, w.Version); err != nil {
			return err
		}
	}
	if w.Resolve != "" {
		b.Queue(`DELETE FROM pending_imports WHERE id = $1`, w.Resolve)
	}
	var done func()
	err := s.write(ctx, func(tx pgx.Tx) error {
		if v := w.Version; v != nil {
			// The compare-and-set: the change was made from the latest
			// version, else another instance's change came first.
			tag, err := tx.Exec(ctx, `UPDATE config_version SET version = $1 WHERE id = 1 AND version = $2`, int64(v.Number), int64(v.Number)-1)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return adjudicator.ErrStaleConfig
			}
		}
		if err := putFamilies(ctx, tx, w.FamiliesAt, w.Families); err != nil {
			return err
		}
		if err := putPriorAuths(ctx, tx, w.PriorAuths); err != nil {
			return err
		}
		if err := runBatch(ctx, tx, b); err != nil {
			return err
		}
		var err error
		done, err = appendAudit(ctx, tx, w.Audit)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: write configuration: %w", err)
	}
	done()
	if w.Version != nil {
		s.configVersion.Store(int64(w.Version.Number))
		// Wake the other instances now; they poll too (CockroachDB has no NOTIFY).
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify('`+configChannel+`', '')`); err != nil {
			s.log.Debug("configuration change not notified; the other instances' poll finds it", "error", err)
		}
	}
	return nil
}

// PendingImports implements adjudicator.ConfigStore.
func (s *Store) PendingImports(ctx context.Context) ([]adjudicator.PendingImport, error) {
	var out []adjudicator.PendingImport
	rows, err := s.pool.Query(ctx, `SELECT record FROM pending_imports ORDER BY id`)
	if err != nil {
		return nil, classify(err)
	}
	err = forEachRow(rows, func(v []byte) error {
		p, err := records.DecodePendingImport(v)
		if err != nil {
			return fmt.Errorf("pgstore: pending import: %w", err)
		}
		out = append(out, p)
		return nil
	})
	return out, classify(err)
}

// LoadConfig reads the stored configuration; ok is false when none was
// saved.
func (s *Store) LoadConfig() (cfg *config.Config, ok bool, err error) {
	ctx := context.Background()
	var version int64
	err = s.write(ctx, func(tx pgx.Tx) error { // one snapshot: the base and its edits together
		var v []byte
		if err := tx.QueryRow(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&version); err != nil {
			return err
		}
		if err := noRows(tx.QueryRow(ctx, `SELECT record FROM config_base WHERE id = 1`).Scan(&v)); err != nil || v == nil {
			cfg = nil
			return err
		}
		if cfg, err = records.DecodeConfig(v); err != nil {
			return fmt.Errorf("pgstore: configuration: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT record FROM edit_versions ORDER BY edit_id, version`)
		if err != nil {
			return err
		}
		return forEachRow(rows, func(v []byte) error {
			e, err := records.DecodeEdit(v)
			if err != nil {
				return fmt.Errorf("pgstore: edit: %w", err)
			}
			cfg.Edits = append(cfg.Edits, e)
			return nil
		})
	})
	if err == nil {
		s.configVersion.Store(version)
	}
	return cfg, cfg != nil, err
}
