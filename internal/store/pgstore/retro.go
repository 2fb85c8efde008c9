package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// CreateRetroJob implements adjudicator.RetroStore: the job, its status
// and audit in one transaction, unless a job with its ID is stored.
func (s *Store) CreateRetroJob(ctx context.Context, job *adjudicator.RetroJob, audit *adjudicator.AuditEntry) (bool, error) {
	v, err := records.EncodeRetroJob(job)
	if err != nil {
		return false, err
	}
	st := &adjudicator.RetroJobStatus{JobID: job.ID, State: adjudicator.RetroJobRunning, At: job.Created}
	sv, err := records.EncodeRetroJobStatus(st)
	if err != nil {
		return false, err
	}
	created := false
	var done func()
	err = s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO retro_jobs (id, record) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, job.ID, v)
		if err != nil {
			return err
		}
		if created = tag.RowsAffected() == 1; !created {
			done = func() {}
			return nil
		}
		if err := putRetroJobStatus(ctx, tx, st, sv); err != nil {
			return err
		}
		done, err = appendAudit(ctx, tx, audit)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("pgstore: write retro job: %w", err)
	}
	done()
	return created, nil
}

func putRetroJobStatus(ctx context.Context, tx pgx.Tx, st *adjudicator.RetroJobStatus, v []byte) error {
	_, err := tx.Exec(ctx, `INSERT INTO retro_job_status (job_id, state, record) VALUES ($1, $2, $3)
		ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, record = excluded.record`, st.JobID, string(st.State), v)
	return err
}

// SetRetroJobStatus implements adjudicator.RetroStore.
func (s *Store) SetRetroJobStatus(ctx context.Context, st *adjudicator.RetroJobStatus, audit *adjudicator.AuditEntry) error {
	v, err := records.EncodeRetroJobStatus(st)
	if err != nil {
		return err
	}
	var done func()
	err = s.write(ctx, func(tx pgx.Tx) error {
		if err := putRetroJobStatus(ctx, tx, st, v); err != nil {
			return err
		}
		done, err = appendAudit(ctx, tx, audit)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: write retro job status: %w", err)
	}
	done()
	return nil
}

// SetRetroJobClaims implements adjudicator.RetroStore.
func (s *Store) SetRetroJobClaims(ctx context.Context, job *adjudicator.RetroJob, audit *adjudicator.AuditEntry) error {
	v, err := records.EncodeRetroJob(job)
	if err != nil {
		return err
	}
	var done func()
	err = s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE retro_jobs SET record = $2 WHERE id = $1`, job.ID, v); err != nil {
			return err
		}
		done, err = appendAudit(ctx, tx, audit)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: write retro job claims: %w", err)
	}
	done()
	return nil
}

// RetroJobStatus implements adjudicator.RetroStore.
func (s *Store) RetroJobStatus(ctx context.Context, id string) (*adjudicator.RetroJobStatus, error) {
	var v []byte
	err := s.with(ctx, func(q querier, _ *claimTx) error {
		return noRows(q.QueryRow(ctx, `SELECT record FROM retro_job_status WHERE job_id = $1`, id).Scan(&v))
	})
	if err != nil || v == nil {
		return nil, err
	}
	st, err := records.DecodeRetroJobStatus(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: retro job status %s: %w", id, err)
	}
	return st, nil
}

// RunningRetroJobs implements adjudicator.RetroStore.
func (s *Store) RunningRetroJobs(ctx context.Context) ([]string, error) {
	var out []string
	err := s.with(ctx, func(q querier, _ *claimTx) error {
		rows, err := q.Query(ctx, `SELECT j.id FROM retro_jobs j LEFT JOIN retro_job_status s ON s.job_id = j.id
			WHERE s.state = $1 OR s.job_id IS NULL ORDER BY j.id`, string(adjudicator.RetroJobRunning))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	return out, err
}

// RetroJob implements adjudicator.RetroStore.
func (s *Store) RetroJob(ctx context.Context, id string) (*adjudicator.RetroJob, error) {
	var v []byte
	err := s.with(ctx, func(q querier, _ *claimTx) error {
		return noRows(q.QueryRow(ctx, `SELECT record FROM retro_jobs WHERE id = $1`, id).Scan(&v))
	})
	if err != nil || v == nil {
		return nil, err
	}
	job, err := records.DecodeRetroJob(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: retro job %s: %w", id, err)
	}
	return job, nil
}

// RetroProgress implements adjudicator.RetroStore.
func (s *Store) RetroProgress(ctx context.Context, id string) ([]adjudicator.RetroProgress, error) {
	var out []adjudicator.RetroProgress
	err := s.with(ctx, func(q querier, _ *claimTx) error {
		rows, err := q.Query(ctx, `SELECT record FROM retro_progress WHERE job_id = $1 ORDER BY idx`, id)
		if err != nil {
			return err
		}
		return forEachRow(rows, func(v []byte) error {
			p, err := records.DecodeRetroProgress(v)
			if err != nil {
				return fmt.Errorf("pgstore: retro progress record: %w", err)
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// queueRetroProgress adds a commit's progress record, if any, to b.
func queueRetroProgress(b *pgx.Batch, p *adjudicator.RetroProgress) error {
	if p == nil {
		return nil
	}
	v, err := records.EncodeRetroProgress(p)
	if err != nil {
		return err
	}
	b.Queue(`INSERT INTO retro_progress (job_id, idx, record) VALUES ($1, $2, $3)
		ON CONFLICT (job_id, idx) DO UPDATE SET record = excluded.record`, p.JobID, p.Index, v)
	return nil
}

// LockRetroJob implements adjudicator.RetroLocker: the job's row in
// retro_locks, locked FOR UPDATE NOWAIT in a transaction held open on a
// connection of its own until release.
func (s *Store) LockRetroJob(ctx context.Context, id string) (func(), error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO retro_locks (job_id) VALUES ($1) ON CONFLICT (job_id) DO NOTHING`, id); err != nil {
		return nil, fmt.Errorf("pgstore: retro job lock: %w", classify(err))
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: retro job lock: %w", classify(err))
	}
	tx, err := conn.Begin(ctx)
	if err == nil {
		var held string
		err = tx.QueryRow(ctx, `SELECT job_id FROM retro_locks WHERE job_id = $1 FOR UPDATE NOWAIT`, id).Scan(&held)
	}
	if err != nil {
		if tx != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
		conn.Release()
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			return nil, fmt.Errorf("%w: retro job %s is running on another instance; retry when it ends", adjudicator.ErrBusy, id)
		}
		return nil, fmt.Errorf("pgstore: retro job lock: %w", classify(err))
	}
	return func() {
		_ = tx.Rollback(context.Background())
		conn.Release()
	}, nil
}
