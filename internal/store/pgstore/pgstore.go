// Package pgstore keeps the engine's durable state in a PostgreSQL
// database, so that several adjudicator processes can share it: the same
// storage contract as internal/store (adjudicator/store.go), the same
// record encodings (internal/store/records), one table per kind of record.
//
// Every claim transaction runs in one SERIALIZABLE database transaction
// (adjudicator.Transactor): its reads and its commit see one state, and a
// commit that lost a race with another instance fails with
// adjudicator.ErrConflict and writes nothing, so the engine adjudicates
// the claim again from fresh reads. The claim key index has one row per
// key, so two instances racing one claim cannot both pay it. Other writes
// (families, configuration, the audit trail) are transactions of their
// own, retried a bounded number of times on a serialization failure.
//
// The store caches nothing: every read sees what any instance last
// committed. A lost connection, a database that restarts or refuses
// connections answers adjudicator.ErrUnavailable; the pool reconnects on
// its own.
//
// The SQL stays within what CockroachDB and YugabyteDB accept: no
// sequences, no advisory locks, no stored procedures (DESIGN.md).
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

//go:embed migrations/*.sql
var migrations embed.FS

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a directory.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Options configure a Store.
type Options struct {
	DSN string // required: postgres://user@host:port/db?...
	// MaxConns bounds the connection pool; default pgxpool's (4, or the
	// number of CPUs if more), or pool_max_conns in the DSN.
	MaxConns int32
	Logger   *slog.Logger
}

// Store implements the storage contract over PostgreSQL.
type Store struct {
	pool       *pgxpool.Pool
	log        *slog.Logger
	paddedKeys bool
	// configVersion is the configuration version this instance holds
	// (config.go, follow.go).
	configVersion atomic.Int64
}

// Open connects to the database, brings its schema up to date (under a
// lock table, so instances starting together migrate once) and returns the
// store.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.DSN == "" {
		return nil, errors.New("pgstore: Options.DSN is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgstore: the DSN: %w", err) // pgx redacts the password
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	// Unnamed statements with cached descriptions: no server-side prepared
	// statement outlives a failed transaction (nor trips a pooler).
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, log: o.Logger}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM claim_index WHERE rx_number LIKE '0_%')`).Scan(&s.paddedKeys); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", classify(err))
	}
	return s, nil
}

// migrate applies the embedded migrations not yet applied. goose's
// table locker (a row in goose_lock) serializes concurrent starts without
// advisory locks.
func (s *Store) migrate(ctx context.Context) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	locker, err := lock.NewPostgresTableLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(migrations, "migrations"),
		goose.WithLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("pgstore: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrating the schema: %w", classify(err))
	}
	for _, r := range res {
		s.log.Info("database schema migrated", "migration", r.Source.Path, "duration", r.Duration.String())
	}
	return nil
}

// mustSub is the embedded directory dir.
func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers: readiness.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgstore: %w", classify(err))
	}
	return nil
}

// HasZeroPaddedKeys implements adjudicator.PaddedKeyReporter.
func (s *Store) HasZeroPaddedKeys() bool { return s.paddedKeys }

// classify wraps a database error: a lost race as adjudicator.ErrConflict,
// a database that cannot serve (connection lost or refused, shutting
// down, out of connections) as adjudicator.ErrUnavailable. Context errors
// and other database errors are returned as they are.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%w: %w", adjudicator.ErrUnavailable, err) // no answer from the database
	}
	switch {
	case pe.Code == "40001", pe.Code == "40P01", pe.Code == "23505":
		return fmt.Errorf("%w: %w", adjudicator.ErrConflict, err)
	case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57"), strings.HasPrefix(pe.Code, "53"):
		return fmt.Errorf("%w: %w", adjudicator.ErrUnavailable, err)
	}
	return err
}

// querier is what reads and writes run on: the pool, or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// claimTx is a claim transaction (Begin): begun on its first statement,
// so the in-process locks the engine takes before reading come first.
type claimTx struct {
	mu   sync.Mutex
	tx   pgx.Tx
	done bool // committed, failed or ended: nothing more runs in it
}

type txKey struct{}

// Begin implements adjudicator.Transactor.
func (s *Store) Begin(ctx context.Context) (context.Context, func(), error) {
	t := &claimTx{}
	end := func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.tx != nil { // after a commit, a no-op; after a failure, it returns the connection to the pool
			_ = t.tx.Rollback(context.WithoutCancel(ctx))
		}
		t.done = true
	}
	return context.WithValue(ctx, txKey{}, t), end, nil
}

// with runs fn on ctx's claim transaction, if any, else on the pool.
func (s *Store) with(ctx context.Context, fn func(q querier) error) error {
	t, _ := ctx.Value(txKey{}).(*claimTx)
	if t == nil {
		return classify(fn(s.pool))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("pgstore: the transaction has ended")
	}
	if t.tx == nil {
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
		if err != nil {
			return classify(err)
		}
		t.tx = tx
	}
	return classify(fn(t.tx))
}

// txAttempts bounds the attempts of a write that keeps failing to serialize.
const txAttempts = 10

// write runs fn in a SERIALIZABLE transaction of its own and commits it,
// again (a bounded number of times) when it fails to serialize; after
// commits, when not nil, runs once the transaction is committed.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := classify(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn))
		if !errors.Is(err, adjudicator.ErrConflict) || attempt == txAttempts {
			return err
		}
		time.Sleep(time.Duration(attempt) * time.Millisecond)
	}
}

// Family returns the family with the cardholder ID, or nil.
func (s *Store) Family(ctx context.Context, cardholderID string) (*domain.Family, error) {
	var v []byte
	err := s.with(ctx, func(q querier) error {
		return noRows(q.QueryRow(ctx, `SELECT record FROM families WHERE cardholder_id = $1`, cardholderID).Scan(&v))
	})
	if err != nil || v == nil {
		return nil, err
	}
	f, err := records.DecodeFamily(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: family record: %w", err)
	}
	return f, nil
}

// noRows turns pgx.ErrNoRows into nil: absent is not an error.
func noRows(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}

// PutFamilies writes families, replacing any with the same cardholder ID,
// with audit (when not nil) appended in the same transaction.
func (s *Store) PutFamilies(ctx context.Context, fams []domain.Family, audit *adjudicator.AuditEntry) error {
	var done func()
	err := s.write(ctx, func(tx pgx.Tx) error {
		if err := putFamilies(ctx, tx, fams); err != nil {
			return err
		}
		var err error
		done, err = appendAudit(ctx, tx, audit)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: write families: %w", err)
	}
	done()
	return nil
}

func putFamilies(ctx context.Context, q querier, fams []domain.Family) error {
	b := &pgx.Batch{}
	for i := range fams {
		v, err := records.EncodeFamily(&fams[i])
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO families (cardholder_id, record) VALUES ($1, $2)
			ON CONFLICT (cardholder_id) DO UPDATE SET record = excluded.record`, fams[i].CardholderID, v)
	}
	return runBatch(ctx, q, b)
}

// runBatch sends b and reads every result.
func runBatch(ctx context.Context, q querier, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return q.SendBatch(ctx, b).Close()
}

// RemoveFamily deletes a family, refused with
// adjudicator.ErrFamilyHasClaims when a member has a paid claim; an absent
// family is a no-op that writes nothing (no audit entry either).
func (s *Store) RemoveFamily(ctx context.Context, cardholderID string, audit *adjudicator.AuditEntry) error {
	var done func()
	err := s.write(ctx, func(tx pgx.Tx) error {
		done = func() {}
		var paid bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM history WHERE cardholder_id = $1)`, cardholderID).Scan(&paid); err != nil {
			return err
		}
		if paid {
			return adjudicator.ErrFamilyHasClaims
		}
		tag, err := tx.Exec(ctx, `DELETE FROM families WHERE cardholder_id = $1`, cardholderID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		done, err = appendAudit(ctx, tx, audit)
		return err
	})
	if errors.Is(err, adjudicator.ErrFamilyHasClaims) {
		return err
	}
	if err != nil {
		return fmt.Errorf("pgstore: remove family: %w", err)
	}
	done()
	return nil
}

// ClaimByKey returns the record the key index points to, or nil.
func (s *Store) ClaimByKey(ctx context.Context, key adjudicator.ClaimKey) (*adjudicator.ClaimRecord, error) {
	var v []byte
	err := s.with(ctx, func(q querier) error {
		return noRows(q.QueryRow(ctx, `SELECT c.record FROM claim_index i JOIN claims c ON c.id = i.claim_id
			WHERE i.pharmacy_npi = $1 AND i.rx_number = $2 AND i.fill_number = $3 AND i.date_of_service = $4`,
			key.PharmacyNPI, key.RxNumber, key.FillNumber, key.DateOfService).Scan(&v))
	})
	if err != nil || v == nil {
		return nil, err
	}
	return decodeClaim(v)
}

func decodeClaim(v []byte) (*adjudicator.ClaimRecord, error) {
	rec, err := records.DecodeClaim(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim record: %w", err)
	}
	return rec, nil
}

// Claim returns the claim record with the ID, or nil.
func (s *Store) Claim(id string) (*adjudicator.ClaimRecord, error) {
	var v []byte
	ctx := context.Background()
	err := classify(noRows(s.pool.QueryRow(ctx, `SELECT record FROM claims WHERE id = $1`, id).Scan(&v)))
	if err != nil || v == nil {
		return nil, err
	}
	return decodeClaim(v)
}

// Accumulators returns the caller's own copy of a document, empty if none.
func (s *Store) Accumulators(ctx context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	var v []byte
	err := s.with(ctx, func(q querier) error {
		return noRows(q.QueryRow(ctx, `SELECT doc FROM documents WHERE scope = $1 AND owner_id = $2 AND period = $3`,
			int16(scope), id, period.String()).Scan(&v))
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return &accumulators.Doc{}, nil
	}
	d, err := records.DecodeDocument(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s document for period %s: %w", scope, period, err)
	}
	return d, nil
}

// History returns a member's paid claims with dates of service from from
// to to, oldest first, claims of one day in claim ID order.
func (s *Store) History(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]adjudicator.HistoryEntry, error) {
	var out []adjudicator.HistoryEntry
	err := s.with(ctx, func(q querier) error {
		out = out[:0]
		rows, err := q.Query(ctx, `SELECT entry FROM history WHERE cardholder_id = $1 AND person_code = $2
			AND date_of_service >= $3 AND date_of_service <= $4 ORDER BY date_of_service, claim_id`,
			cardholderID, personCode, from.String(), to.String())
		if err != nil {
			return err
		}
		return forEachRow(rows, func(v []byte) error {
			h, err := records.DecodeHistory(v)
			if err != nil {
				return fmt.Errorf("pgstore: history entry: %w", err)
			}
			out = append(out, h)
			return nil
		})
	})
	return out, err
}

// forEachRow calls fn with the one bytea column of every row.
func forEachRow(rows pgx.Rows, fn func([]byte) error) error {
	defer rows.Close()
	for rows.Next() {
		var v []byte
		if err := rows.Scan(&v); err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Commit writes c. With a claim transaction (Begin) it commits that
// transaction, failing with adjudicator.ErrConflict when a concurrent one
// changed what it read; without, it is a transaction of its own.
func (s *Store) Commit(ctx context.Context, c *adjudicator.Commit) error {
	b, err := commitBatch(c)
	if err != nil {
		return err
	}
	t, _ := ctx.Value(txKey{}).(*claimTx)
	if t == nil {
		var done func()
		err := s.write(ctx, func(tx pgx.Tx) error {
			if err := runBatch(ctx, tx, b); err != nil {
				return err
			}
			done, err = appendAudit(ctx, tx, c.Audit)
			return err
		})
		if err != nil {
			return fmt.Errorf("pgstore: commit: %w", err)
		}
		done()
		return nil
	}
	var done func()
	err = s.with(ctx, func(q querier) error {
		if err := runBatch(ctx, q, b); err != nil {
			return err
		}
		done, err = appendAudit(ctx, q, c.Audit)
		if err != nil {
			return err
		}
		return t.tx.Commit(ctx)
	})
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
	if err != nil {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	done()
	return nil
}

// commitBatch is c as statements, in the contract's order: records, index,
// history removals, history, documents.
func commitBatch(c *adjudicator.Commit) (*pgx.Batch, error) {
	b := &pgx.Batch{}
	for _, r := range c.Records {
		v, err := records.EncodeClaim(r)
		if err != nil {
			return nil, fmt.Errorf("pgstore: encode claim %s: %w", r.ID, err)
		}
		b.Queue(`INSERT INTO claims (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record`, r.ID, v)
	}
	if i := c.Index; i != nil {
		b.Queue(`INSERT INTO claim_index (pharmacy_npi, rx_number, fill_number, date_of_service, claim_id) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (pharmacy_npi, rx_number, fill_number, date_of_service) DO UPDATE SET claim_id = excluded.claim_id`,
			i.Key.PharmacyNPI, i.Key.RxNumber, i.Key.FillNumber, i.Key.DateOfService, i.ID)
	}
	for _, r := range c.Records {
		if r.Reversal == nil {
			continue
		}
		dos, err := domain.ParseDate(r.Key.DateOfService)
		if err != nil {
			return nil, fmt.Errorf("pgstore: claim %s: %w", r.ID, err)
		}
		b.Queue(`DELETE FROM history WHERE cardholder_id = $1 AND person_code = $2 AND date_of_service = $3 AND claim_id = $4`,
			r.CardholderID, r.PersonCode, dos.String(), r.ID)
	}
	if h := c.History; h != nil && c.Index != nil {
		v, err := records.EncodeHistory(h)
		if err != nil {
			return nil, err
		}
		b.Queue(`INSERT INTO history (cardholder_id, person_code, date_of_service, claim_id, entry) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (cardholder_id, person_code, date_of_service, claim_id) DO UPDATE SET entry = excluded.entry`,
			c.Index.CardholderID, c.Index.PersonCode, h.DateOfService.String(), h.ClaimID, v)
	}
	for _, d := range c.Docs {
		b.Queue(`INSERT INTO documents (scope, owner_id, period, doc) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`,
			int16(d.Scope), d.ID, d.Period.String(), records.EncodeDocument(d.Doc))
	}
	return b, nil
}
