package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// appendAudit appends e (when not nil) to the trail in q's transaction: it
// locks the head row, so appends of all instances form one chain, writes
// the entry and moves the head. done, called once the transaction is
// committed, gives e its Seq, Time, Prev and Hash.
//
// Entries keep time order: one dated before the head takes the head's
// time.
func appendAudit(ctx context.Context, q querier, e *adjudicator.AuditEntry) (done func(), err error) {
	if e == nil {
		return func() {}, nil
	}
	var seq uint64
	var prev []byte
	var headNS int64
	if err := q.QueryRow(ctx, `SELECT seq, hash, at_ns FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&seq, &prev, &headNS); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	next := *e
	next.Seq = seq + 1
	copy(next.Prev[:], prev)
	if next.Time.IsZero() {
		next.Time = time.Now()
	}
	next.Time = next.Time.Round(0).UTC()
	if head := time.Unix(0, headNS).UTC(); seq > 0 && next.Time.Before(head) {
		next.Time = head
	}
	v := records.EncodeAudit(&next)
	next.Hash = records.AuditHashOf(v)
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO audit (seq, at_ns, entry) VALUES ($1, $2, $3)`, next.Seq, next.Time.UnixNano(), v)
	b.Queue(`UPDATE audit_head SET seq = $1, hash = $2, at_ns = $3 WHERE id = 1`, next.Seq, next.Hash[:], next.Time.UnixNano())
	if err := runBatch(ctx, q, b); err != nil {
		return nil, err
	}
	return func() { *e = next }, nil
}

// AuditHead returns the sequence number and hash of the last entry (0 and
// zeros when the trail is empty).
func (s *Store) AuditHead() (uint64, adjudicator.AuditHash) {
	var seq uint64
	var hash []byte
	var h adjudicator.AuditHash
	if err := s.pool.QueryRow(context.Background(), `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return 0, h
	}
	copy(h[:], hash)
	return seq, h
}

// AppendAudit implements adjudicator.AuditLog: e alone, in its own transaction.
func (s *Store) AppendAudit(ctx context.Context, e *adjudicator.AuditEntry) error {
	var done func()
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		done, err = appendAudit(ctx, tx, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: append audit entry: %w", err)
	}
	done()
	return nil
}

// ReadAudit implements adjudicator.AuditLog: a time range reads by time,
// otherwise the trail from q.AfterSeq on.
func (s *Store) ReadAudit(ctx context.Context, q adjudicator.AuditQuery) ([]adjudicator.AuditEntry, error) {
	var rows pgx.Rows
	var err error
	switch {
	case !q.From.IsZero() || !q.To.IsZero():
		to := int64(1<<63 - 1)
		if !q.To.IsZero() {
			to = q.To.UnixNano()
		}
		rows, err = s.pool.Query(ctx, `SELECT entry FROM audit WHERE at_ns >= $1 AND at_ns < $2 ORDER BY at_ns, seq`, q.From.UnixNano(), to)
	default:
		rows, err = s.pool.Query(ctx, `SELECT entry FROM audit WHERE seq > $1 ORDER BY seq`, q.AfterSeq)
	}
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []adjudicator.AuditEntry
	for rows.Next() && (q.Limit == 0 || len(out) < q.Limit) {
		var v []byte
		if err := rows.Scan(&v); err != nil {
			return nil, classify(err)
		}
		e, err := records.DecodeAudit(v)
		if err != nil {
			return nil, fmt.Errorf("pgstore: audit entry: %w", err)
		}
		if q.Match(&e) {
			out = append(out, e)
		}
	}
	return out, classify(rows.Err())
}

// VerifyAudit checks the trail: entries numbered 1, 2, 3… with no gap,
// each holding the hash of the one before, and the head naming the last.
// (The time index is the table's own index: it cannot disagree.)
func (s *Store) VerifyAudit(ctx context.Context) (*store.AuditReport, error) {
	r := &store.AuditReport{}
	rows, err := s.pool.Query(ctx, `SELECT seq, entry FROM audit ORDER BY seq`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq uint64
		var v []byte
		if err := rows.Scan(&seq, &v); err != nil {
			return nil, classify(err)
		}
		r.Add(seq, v)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	r.CheckHead(s.AuditHead())
	return r, nil
}
