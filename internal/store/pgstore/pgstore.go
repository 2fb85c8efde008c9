// Package pgstore keeps the engine's durable state in a PostgreSQL
// database, so that several adjudicator processes can share it: the same
// storage contract as internal/store (adjudicator/store.go), the same
// record encodings (internal/store/records), one table per kind of record.
//
// Every claim transaction runs in one database transaction
// (adjudicator.Transactor), READ COMMITTED with row locks: before it reads
// a family, its documents or its history it locks the family's row in
// family_locks, so claims of one family are serialized across instances
// as the engine's in-process lock serializes them within one, and every
// read after the lock sees the latest commit. What it reads before the
// lock (the claim under its key) it reads FOR UPDATE: rows found stay
// locked to its end, and a key found absent is inserted at commit by a
// plain INSERT, which fails (a unique violation) when another transaction
// inserted it meanwhile: the commit fails with adjudicator.ErrConflict,
// writes nothing, and the engine adjudicates the claim again from fresh
// reads. So two instances racing one claim key give one P and one D. A
// paid bill costs two round trips (claimTx, PrefetchFamily). Other writes (families, configuration, the audit
// trail) are SERIALIZABLE transactions of their own, retried a bounded
// number of times on a serialization failure.
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
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
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
	// MaxConns bounds the connection pool; default DefaultMaxConns, or
	// pool_max_conns in the DSN.
	MaxConns int32
	Logger   *slog.Logger
	// HistoryPageRows is how many history rows a history scan
	// (ForEachFamilyHistory) reads per query; default 2,000.
	HistoryPageRows int
	// FamilyCacheSize is how many decoded families are kept; default
	// 100,000 (see Store.decodeFamily).
	FamilyCacheSize int
}

// Store implements the storage contract over PostgreSQL.
type Store struct {
	dsn        string
	pool       *pgxpool.Pool
	log        *slog.Logger
	paddedKeys bool
	// configVersion is the configuration version this instance holds
	// (config.go, follow.go).
	configVersion atomic.Int64
	// writeMu serializes this instance's writes (write): each appends to
	// the one audit chain, so concurrent ones would only fail to
	// serialize and retry; only other instances' writes are left to race.
	writeMu sync.Mutex
	// historyPage is Options.HistoryPageRows.
	historyPage int
	// decoded holds families as last decoded, each with the record it was
	// decoded from (decodeFamily).
	decoded *lru.Cache[string, decodedFamily]
}

// decodedFamily is a family record as read and the family decoded from it.
type decodedFamily struct {
	record []byte
	family *domain.Family
}

// DefaultMaxConns is the pool's default size: four connections per
// processor this process may use, at least eight. A claim holds its
// connection from its first read to its commit, while the engine decides
// it, so pgxpool's own default (one per processor, at least four)
// starves claims; a pool much larger adds database backends that only
// contend for the family rows and the cores: in BenchmarkStores on two
// cores, the database's CPU per claim grew with the pool (0.54, 0.63,
// 0.79 and 1.12 ms at 4, 8, 16 and 32 connections) and the claim rate
// was highest at 8.
func DefaultMaxConns() int32 { return int32(max(8, 4*runtime.GOMAXPROCS(0))) }

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
	} else if !strings.Contains(o.DSN, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns()
	}
	// Prepared statements, cached per connection: PostgreSQL parses and
	// plans each statement once per connection rather than once per
	// claim. A DSN may ask for another mode (default_query_exec_mode=
	// cache_describe behind a pooler that does not keep prepared
	// statements).
	if !strings.Contains(o.DSN, "default_query_exec_mode") {
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{dsn: o.DSN, pool: pool, log: o.Logger, historyPage: cmp.Or(max(o.HistoryPageRows, 0), 2000)}
	s.decoded, _ = lru.New[string, decodedFamily](cmp.Or(max(o.FamilyCacheSize, 0), 100_000))
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

// DSN is the database's DSN, as given to Open.
func (s *Store) DSN() string { return s.dsn }

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
	if err == nil || isOwnRefusal(err) {
		return err // a refusal of the store's own, or classified already
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

// isOwnRefusal reports whether err, not nil, is a context error, a
// refusal of the store's own or classified already. Apart from classify,
// whose every call (every read and commit) would otherwise allocate the
// target errors.As needs.
func isOwnRefusal(err error) bool {
	var low *adjudicator.BelowFloorError
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, adjudicator.ErrStaleConfig) || errors.Is(err, adjudicator.ErrUnavailable) || errors.As(err, &low)
}

// querier is what reads and writes run on: the pool, or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// claimTx is a claim transaction (Begin) on a connection of its own, run
// by hand rather than as a pgx.Tx so that its statements travel in few
// round trips: BEGIN goes in the batch of its first read, the family's
// row lock with every read of the family (and with the key read, when the
// engine names the family first: PrefetchFamily), COMMIT with the writes.
// The connection is taken at the first statement, so the in-process
// locks the engine takes before reading come first.
type claimTx struct {
	mu    sync.Mutex
	conn  *pgxpool.Conn
	begun bool // BEGIN was sent: end rolls back
	done  bool // committed, failed or ended: nothing more runs in it
	// keys and claims are what it read under claim keys: the claim ID
	// ("" for none) and the record as stored. A row found is locked (FOR
	// UPDATE) until the transaction ends; a key found absent is inserted
	// at commit by a plain INSERT, which fails (a unique violation, so a
	// conflict) if another transaction inserted it meanwhile.
	keys   map[adjudicator.ClaimKey]string
	claims map[string][]byte
	// families and docs are what lockFamily read with each lock: the
	// family (its record, nil for none, and its prior authorization
	// records) and every document of the family, as stored; a family is
	// in families exactly when this transaction holds its row. Under the
	// lock nothing else changes them until this transaction commits, so
	// its later reads are served from here.
	families map[string]lockedFamily
	docs     map[docRef][]byte
	// ahead is a family to lock and read with the next claim key read
	// (PrefetchFamily), "" for none.
	ahead string
}

// lockedFamily is what lockFamily read of a family: its record (nil:
// none), its prior authorization records and the largest ID issued under
// its lock ("" for none).
type lockedFamily struct {
	record []byte
	pas    [][]byte
	lastID string
}

// locked reports whether t holds the family's row.
func (t *claimTx) locked(cardholderID string) bool {
	_, ok := t.families[cardholderID]
	return ok
}

// docRef names one accumulator document.
type docRef struct {
	scope  accumulators.Scope
	id     string
	period string
}

type txKey struct{}

// Begin implements adjudicator.Transactor.
func (s *Store) Begin(ctx context.Context) (context.Context, func(), error) {
	t := &claimTx{keys: make(map[adjudicator.ClaimKey]string, 1), claims: map[string][]byte{},
		families: make(map[string]lockedFamily, 1), docs: make(map[docRef][]byte, 8)}
	end := func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.done = true
		if t.conn == nil {
			return
		}
		if t.begun { // after a commit, a no-op
			if _, err := t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
				t.conn.Conn().Close(context.WithoutCancel(ctx)) // the pool drops it
			}
		}
		t.conn.Release() // the pool destroys a connection still in a transaction
		t.conn = nil
	}
	return context.WithValue(ctx, txKey{}, t), end, nil
}

// beginSQL starts a claim transaction.
const beginSQL = "BEGIN ISOLATION LEVEL READ COMMITTED"

// send sends b in the transaction, with BEGIN before it when the
// transaction has not begun, and returns its results (BEGIN's read).
// The caller reads every result and closes them; a failure ends the
// transaction (see fail).
func (t *claimTx) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	if !t.begun {
		first := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 1+b.Len())}
		first.Queue(beginSQL)
		first.QueuedQueries = append(first.QueuedQueries, b.QueuedQueries...)
		t.begun = true
		br := t.conn.SendBatch(ctx, first)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
		return br, nil
	}
	return t.conn.SendBatch(ctx, b), nil
}

// txQuerier runs single statements of a claim transaction (the rare
// reads not batched, an audit entry), beginning it first if need be.
type txQuerier struct {
	t   *claimTx
	ctx context.Context
}

func (q txQuerier) begin() error {
	if q.t.begun {
		return nil
	}
	q.t.begun = true
	_, err := q.t.conn.Exec(q.ctx, beginSQL)
	return err
}

func (q txQuerier) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := q.begin(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return q.t.conn.Exec(ctx, sql, args...)
}

func (q txQuerier) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := q.begin(); err != nil {
		return nil, err
	}
	return q.t.conn.Query(ctx, sql, args...)
}

func (q txQuerier) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := q.begin(); err != nil {
		return errRow{err}
	}
	return q.t.conn.QueryRow(ctx, sql, args...)
}

func (q txQuerier) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	br, err := q.t.send(ctx, b)
	if err != nil {
		return errBatch{err}
	}
	return br
}

// errRow and errBatch carry an error as a row or batch result.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }

// with runs fn on ctx's claim transaction, if any, else on the pool; t
// is the claim transaction (nil on the pool). A failure in the
// transaction ends it: PostgreSQL runs nothing more in it.
func (s *Store) with(ctx context.Context, fn func(q querier, t *claimTx) error) error {
	t, _ := ctx.Value(txKey{}).(*claimTx)
	if t == nil {
		return classify(fn(s.pool, nil))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("pgstore: the transaction has ended")
	}
	if t.conn == nil {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			return classify(err)
		}
		t.conn = conn
	}
	err := fn(txQuerier{t: t, ctx: ctx}, t)
	if err != nil {
		t.done = true
	}
	return classify(err)
}

// lockFamily takes the family's row lock in t, once, and in the same
// round trip reads the family record, all its documents and its prior
// authorization records into t; outside a claim transaction it does
// nothing. The lock is queued first: each read after it (READ COMMITTED)
// sees the latest commit.
func lockFamily(ctx context.Context, q querier, t *claimTx, cardholderID string) error {
	if t == nil || t.locked(cardholderID) {
		return nil
	}
	b := &pgx.Batch{}
	queueLockFamily(b, cardholderID)
	br := q.SendBatch(ctx, b)
	err := readLockFamily(br, t, cardholderID)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// queueLockFamily queues the statements of lockFamily: the family's row
// lock, then its record, documents and prior authorizations.
func queueLockFamily(b *pgx.Batch, cardholderID string) {
	b.Queue(`INSERT INTO family_locks (cardholder_id) VALUES ($1)
		ON CONFLICT (cardholder_id) DO UPDATE SET cardholder_id = excluded.cardholder_id RETURNING last_id`, cardholderID)
	b.Queue(`SELECT record FROM families WHERE cardholder_id = $1`, cardholderID)
	b.Queue(`SELECT scope, owner_id, period, doc FROM documents WHERE family_id = $1`, cardholderID)
	b.Queue(`SELECT record FROM prior_auths WHERE cardholder_id = $1 ORDER BY person_code, number`, cardholderID)
}

// readLockFamily reads the results of queueLockFamily's statements from
// br into t.
func readLockFamily(br pgx.BatchResults, t *claimTx, cardholderID string) error {
	var lastID string
	if err := br.QueryRow().Scan(&lastID); err != nil {
		return err
	}
	var fam []byte
	if err := noRows(br.QueryRow().Scan(&fam)); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	// One set of variables for every row (each scan makes new strings and
	// slices): each variable Scan is given is allocated, once here.
	var r docRef
	var scope int16
	var v []byte
	for rows.Next() {
		if err := rows.Scan(&scope, &r.id, &r.period, &v); err != nil {
			rows.Close()
			return err
		}
		r.scope = accumulators.Scope(scope)
		t.docs[r] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = br.Query()
	if err != nil {
		return err
	}
	var pas [][]byte
	if err := forEachRow(rows, func(v []byte) error { pas = append(pas, v); return nil }); err != nil {
		return err
	}
	t.families[cardholderID] = lockedFamily{record: fam, pas: pas, lastID: lastID}
	return nil
}

// IDFloor implements adjudicator.IDFloor: the largest last_id ctx's claim
// transaction read with its families' locks.
func (s *Store) IDFloor(ctx context.Context) string {
	t, _ := ctx.Value(txKey{}).(*claimTx)
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	floor := ""
	for _, f := range t.families {
		floor = max(floor, f.lastID)
	}
	return floor
}

// queueLastID records id, the largest ID cs write, as the last ID issued
// under each family t locked, in the trip that commits.
func queueLastID(b *pgx.Batch, t *claimTx, cs ...*adjudicator.Commit) {
	id := ""
	for _, c := range cs {
		for _, r := range c.Records {
			id = max(id, r.ID)
			if r.Reversal != nil && r.Reversal.Response != nil {
				id = max(id, r.Reversal.Response.ClaimID)
			}
		}
	}
	if id == "" {
		return
	}
	for cardholderID := range t.families {
		b.Queue(lastIDSQL, cardholderID, id)
	}
}

// lastIDSQL records an ID issued under a family's lock.
const lastIDSQL = `UPDATE family_locks SET last_id = $2 WHERE cardholder_id = $1 AND last_id < $2`

// PrefetchFamily implements adjudicator.FamilyPrefetcher: the family's
// lock and reads (lockFamily) go with the transaction's next read, the
// claim key's (ClaimByKey), after it. The database's locks are still
// taken in the order they were, the key's rows before the family's row.
func (s *Store) PrefetchFamily(ctx context.Context, cardholderID string) {
	if t, _ := ctx.Value(txKey{}).(*claimTx); t != nil {
		t.mu.Lock()
		t.ahead = cardholderID
		t.mu.Unlock()
	}
}

// docFamily is the cardholder ID of an accumulator document's owner.
func docFamily(scope accumulators.Scope, id string) string {
	if i := strings.LastIndexByte(id, ':'); scope == accumulators.Member && i >= 0 {
		return id[:i]
	}
	return id
}

// txAttempts bounds the attempts of a write that keeps failing to serialize.
const txAttempts = 10

// write runs fn in a SERIALIZABLE transaction of its own and commits it,
// again (a bounded number of times) when it fails to serialize; after
// commits, when not nil, runs once the transaction is committed.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for attempt := 1; ; attempt++ {
		err := classify(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn))
		if !errors.Is(err, adjudicator.ErrConflict) || attempt == txAttempts {
			return err
		}
		// Another instance's write won: back off a random while, growing.
		time.Sleep(time.Duration(1+rand.IntN(1<<min(attempt, 7))) * time.Millisecond)
	}
}

// Family returns the family with the cardholder ID, or nil.
func (s *Store) Family(ctx context.Context, cardholderID string) (*domain.Family, error) {
	var v []byte
	err := s.with(ctx, func(q querier, t *claimTx) error {
		if err := lockFamily(ctx, q, t, cardholderID); err != nil {
			return err
		}
		if t != nil {
			v = t.families[cardholderID].record
			return nil
		}
		return noRows(q.QueryRow(ctx, `SELECT record FROM families WHERE cardholder_id = $1`, cardholderID).Scan(&v))
	})
	if err != nil || v == nil {
		return nil, err
	}
	return s.decodeFamily(cardholderID, v)
}

// decodeFamily decodes a family record as read from the database. The
// family last decoded for the cardholder ID is returned again when it was
// decoded from the same bytes: what is cached is only the decoding of a
// record, which never changes, so every claim still sees the record as
// its own transaction read it (whatever other instances wrote since). The
// family is shared, read-only, as the contract allows.
func (s *Store) decodeFamily(cardholderID string, v []byte) (*domain.Family, error) {
	if d, ok := s.decoded.Get(cardholderID); ok && bytes.Equal(d.record, v) {
		return d.family, nil
	}
	f, err := records.DecodeFamily(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: family record: %w", err)
	}
	s.decoded.Add(cardholderID, decodedFamily{record: v, family: f})
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
func (s *Store) PutFamilies(ctx context.Context, at string, fams []domain.Family, audit *adjudicator.AuditEntry) error {
	var done func()
	err := s.write(ctx, func(tx pgx.Tx) error {
		if err := putFamilies(ctx, tx, at, fams); err != nil {
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

// putFamilies writes the families, and each as its version at, leaving
// out each family stored exactly so already (the Pebble store's
// setFamilies says why): the upsert changes a row only when its record
// differs, and only the families it changed are locked (lockFamiliesAt),
// get their version and record at as their last ID, so a restart on an
// unchanged bundle writes nothing else either. A family named twice ends
// as the last: its second upsert sees the first.
func putFamilies(ctx context.Context, q querier, at string, fams []domain.Family) error {
	if len(fams) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	encoded := make(map[string][]byte, len(fams))
	for i := range fams {
		v, err := records.EncodeFamily(&fams[i])
		if err != nil {
			return err
		}
		encoded[fams[i].CardholderID] = v // the last of a family named twice
		b.Queue(`INSERT INTO families (cardholder_id, record) VALUES ($1, $2)
			ON CONFLICT (cardholder_id) DO UPDATE SET record = excluded.record
			WHERE families.record IS DISTINCT FROM excluded.record
			RETURNING cardholder_id`, fams[i].CardholderID, v)
	}
	changed, err := changedFamilies(ctx, q, b)
	if err != nil || len(changed) == 0 {
		return err
	}
	if err := lockFamiliesAt(ctx, q, at, changed); err != nil {
		return err
	}
	b = &pgx.Batch{}
	b.Queue(familiesLastIDSQL, changed, at)
	for _, id := range changed {
		queueFamilyVersion(b, id, at, encoded[id])
	}
	return runBatch(ctx, q, b)
}

// changedFamilies sends b, putFamilies' upserts, and returns the cardholder
// IDs of the rows they changed, each once.
func changedFamilies(ctx context.Context, q querier, b *pgx.Batch) ([]string, error) {
	br := q.SendBatch(ctx, b)
	var changed []string
	seen := map[string]bool{}
	for range b.Len() {
		var id string
		err := br.QueryRow().Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			br.Close()
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			changed = append(changed, id)
		}
	}
	return changed, br.Close()
}

// lockFamiliesAt takes the families' locks (family_locks) in a family
// write named at, which it refuses (adjudicator.BelowFloorError) when an
// ID not below at was issued under one of them: a claim committed under
// the lock on an instance whose clock is ahead. The write then records at
// as their last ID (familiesLastIDSQL). A write named by no ID (at "",
// which the engine never gives) only takes the locks.
func lockFamiliesAt(ctx context.Context, q querier, at string, ids []string) error {
	var floor string
	err := q.QueryRow(ctx, `WITH locked AS (
			INSERT INTO family_locks (cardholder_id) SELECT DISTINCT unnest($1::text[]) ORDER BY 1
			ON CONFLICT (cardholder_id) DO UPDATE SET cardholder_id = excluded.cardholder_id RETURNING last_id)
		SELECT coalesce(max(last_id), '') FROM locked`, ids).Scan(&floor)
	if err != nil {
		return err
	}
	if at != "" && floor >= at {
		return &adjudicator.BelowFloorError{Floor: floor}
	}
	return nil
}

// familiesLastIDSQL records a family write's ID as the last ID issued under
// its families' locks.
const familiesLastIDSQL = `UPDATE family_locks SET last_id = $2 WHERE cardholder_id = ANY($1) AND last_id < $2`

// queueFamilyVersion keeps record (nil: a removal) as the family's version at.
func queueFamilyVersion(b *pgx.Batch, cardholderID, at string, record []byte) {
	b.Queue(`INSERT INTO family_versions (cardholder_id, at, record) VALUES ($1, $2, $3)
		ON CONFLICT (cardholder_id, at) DO UPDATE SET record = excluded.record`, cardholderID, at, record)
}

// FamilyAsOf implements adjudicator.FamilyVersions.
func (s *Store) FamilyAsOf(ctx context.Context, cardholderID, at string) (*domain.Family, bool, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT record FROM family_versions WHERE cardholder_id = $1 AND at < $2
		ORDER BY at DESC LIMIT 1`, cardholderID, at).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: family version: %w", err)
	}
	if v == nil {
		return nil, true, nil
	}
	f, err := records.DecodeFamily(v)
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: family version: %w", err)
	}
	return f, true, nil
}

// FamilyVersionsOf implements adjudicator.FamilyVersionLister.
func (s *Store) FamilyVersionsOf(ctx context.Context, cardholderID string) ([]adjudicator.FamilyVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, record FROM family_versions WHERE cardholder_id = $1 ORDER BY at`, cardholderID)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []adjudicator.FamilyVersion
	for rows.Next() {
		var v adjudicator.FamilyVersion
		var rec []byte
		if err := rows.Scan(&v.At, &rec); err != nil {
			return nil, classify(err)
		}
		if rec != nil {
			if v.Family, err = records.DecodeFamily(rec); err != nil {
				return nil, fmt.Errorf("pgstore: family version: %w", err)
			}
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
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
func (s *Store) RemoveFamily(ctx context.Context, cardholderID, at string, audit *adjudicator.AuditEntry) error {
	var done func()
	err := s.write(ctx, func(tx pgx.Tx) error {
		done = func() {}
		// Wait for the family's claims in flight on any instance: one
		// committed meanwhile fails this transaction to serialize, and the
		// retry sees its history.
		if err := lockFamiliesAt(ctx, tx, at, []string{cardholderID}); err != nil {
			return err
		}
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
		b := &pgx.Batch{}
		b.Queue(familiesLastIDSQL, []string{cardholderID}, at)
		queueFamilyVersion(b, cardholderID, at, nil)
		if err := runBatch(ctx, tx, b); err != nil {
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

// ClaimByKey returns the record the key index points to, or nil. In a
// claim transaction the rows found are locked until it ends (and the
// statement is its first, sent with BEGIN).
func (s *Store) ClaimByKey(ctx context.Context, key adjudicator.ClaimKey) (*adjudicator.ClaimRecord, error) {
	var v []byte
	err := s.with(ctx, func(q querier, t *claimTx) error {
		args := []any{key.PharmacyNPI, key.RxNumber, key.FillNumber, key.DateOfService}
		if t == nil {
			return noRows(q.QueryRow(ctx, claimByKeySQL, args...).Scan(new(string), &v))
		}
		b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 6)}
		b.Queue(claimByKeySQL+` FOR UPDATE`, args...) // a constant: no string built per claim
		ahead := t.ahead
		if t.locked(ahead) {
			ahead = ""
		}
		t.ahead = ""
		if ahead != "" {
			queueLockFamily(b, ahead)
		}
		br := q.SendBatch(ctx, b)
		var id string
		err := noRows(br.QueryRow().Scan(&id, &v))
		if err == nil && ahead != "" {
			err = readLockFamily(br, t, ahead)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		t.keys[key] = id
		if v != nil {
			t.claims[id] = v
		}
		return nil
	})
	if err != nil || v == nil {
		return nil, err
	}
	return decodeClaim(v)
}

// claimByKeySQL reads the claim the key index points to.
const claimByKeySQL = `SELECT c.id, c.record FROM claim_index i JOIN claims c ON c.id = i.claim_id
			WHERE i.pharmacy_npi = $1 AND i.rx_number = $2 AND i.fill_number = $3 AND i.date_of_service = $4`

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

// ClaimsWithoutTrace implements adjudicator.ClaimBatchReader: one query
// for all of ids.
func (s *Store) ClaimsWithoutTrace(ctx context.Context, ids []string, fn func(*adjudicator.ClaimRecord) error) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.pool.Query(ctx, `SELECT record FROM claims WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return classify(err)
	}
	return classify(forEachRow(rows, func(v []byte) error {
		rec, err := records.DecodeClaimWithoutTrace(v)
		if err != nil {
			return fmt.Errorf("pgstore: claim record: %w", err)
		}
		return fn(rec)
	}))
}

// Accumulators returns the caller's own copy of a document, empty if none.
func (s *Store) Accumulators(ctx context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	var v []byte
	err := s.with(ctx, func(q querier, t *claimTx) error {
		if err := lockFamily(ctx, q, t, docFamily(scope, id)); err != nil {
			return err
		}
		if t != nil {
			v = t.docs[docRef{scope, id, period.String()}]
			return nil
		}
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
	err := s.with(ctx, func(q querier, t *claimTx) error {
		if err := lockFamily(ctx, q, t, cardholderID); err != nil {
			return err
		}
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
// transaction, the writes and COMMIT in one round trip, failing with
// adjudicator.ErrConflict when another transaction inserted a claim key
// it read as absent meanwhile; without, it is a transaction of its own.
func (s *Store) Commit(ctx context.Context, c *adjudicator.Commit) error {
	t, _ := ctx.Value(txKey{}).(*claimTx)
	if t == nil {
		b, err := commitBatch(c, nil)
		if err != nil {
			return err
		}
		var done func()
		err = s.write(ctx, func(tx pgx.Tx) error {
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
	err := s.with(ctx, func(q querier, t *claimTx) error {
		b, err := commitBatch(c, t)
		if err != nil {
			return err
		}
		if done, err = appendAudit(ctx, q, c.Audit); err != nil { // a reversal an operator asked for: rare
			return err
		}
		queueLastID(b, t, c)
		return sendAndCommit(ctx, q, t, b)
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

// sendAndCommit sends b's statements and COMMIT in one round trip and
// checks that each ran and that the transaction committed.
func sendAndCommit(ctx context.Context, q querier, t *claimTx, b *pgx.Batch) error {
	n := b.Len()
	b.Queue("COMMIT")
	br := q.SendBatch(ctx, b)
	defer br.Close()
	for range n {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	if tag.String() != "COMMIT" { // PostgreSQL answers ROLLBACK to COMMIT in a failed transaction
		return errors.New("the transaction was rolled back")
	}
	t.begun = false // committed: nothing to roll back
	return br.Close()
}

// commitBatch is c as statements, in the contract's order: records, index,
// history removals, history, documents. In a claim transaction t, a claim
// or key index entry read under a key is updated (its row is locked), and
// a new claim or a key read as absent is inserted by a plain INSERT, which
// fails with a unique violation (ErrConflict) when another transaction
// inserted it meanwhile, so the whole transaction fails before its
// COMMIT; without one (t nil), every write replaces.
func commitBatch(c *adjudicator.Commit, t *claimTx) (*pgx.Batch, error) {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 4+len(c.Records)+len(c.Docs))}
	for _, r := range c.Records {
		v, err := records.EncodeClaimForm(r, records.TraceFirstForm) // builds before the compact form may share the database (TraceFirstForm)
		if err != nil {
			return nil, fmt.Errorf("pgstore: encode claim %s: %w", r.ID, err)
		}
		var read []byte
		if t != nil {
			read = t.claims[r.ID]
		}
		switch {
		case read != nil:
			b.Queue(`UPDATE claims SET record = $2 WHERE id = $1`, r.ID, v)
		case t != nil:
			b.Queue(`INSERT INTO claims (id, record) VALUES ($1, $2)`, r.ID, v)
		default:
			b.Queue(`INSERT INTO claims (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record`, r.ID, v)
		}
	}
	if i := c.Index; i != nil {
		k := i.Key
		old, read := "", false
		if t != nil {
			old, read = t.keys[k]
		}
		switch {
		case read && old == "":
			b.Queue(`INSERT INTO claim_index (pharmacy_npi, rx_number, fill_number, date_of_service, claim_id) VALUES ($1, $2, $3, $4, $5)`,
				k.PharmacyNPI, k.RxNumber, k.FillNumber, k.DateOfService, i.ID)
		case read:
			b.Queue(`UPDATE claim_index SET claim_id = $5
				WHERE pharmacy_npi = $1 AND rx_number = $2 AND fill_number = $3 AND date_of_service = $4`,
				k.PharmacyNPI, k.RxNumber, k.FillNumber, k.DateOfService, i.ID)
		default:
			b.Queue(`INSERT INTO claim_index (pharmacy_npi, rx_number, fill_number, date_of_service, claim_id) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (pharmacy_npi, rx_number, fill_number, date_of_service) DO UPDATE SET claim_id = excluded.claim_id`,
				k.PharmacyNPI, k.RxNumber, k.FillNumber, k.DateOfService, i.ID)
		}
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
	if err := queueRetroProgress(b, c.Retro); err != nil {
		return nil, err
	}
	for _, d := range c.Docs {
		b.Queue(`INSERT INTO documents (scope, owner_id, period, family_id, doc) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`,
			int16(d.Scope), d.ID, d.Period.String(), docFamily(d.Scope, d.ID), records.EncodeDocument(d.Doc))
	}
	return b, nil
}
