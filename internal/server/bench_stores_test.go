package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// BenchmarkStores runs the same durable Bill workload over gRPC on the
// Pebble store and on the PostgreSQL store side by side (and on the
// PostgreSQL store with unprepared statements, as it was), each beside the
// empty RPC, and a bare PostgreSQL transaction of a paid bill's shape (its
// reads and writes, without the engine) as the database's yardstick; 64
// calls in flight, client, server and database on this machine's cores.
// Each step reports the PostgreSQL server's CPU per op and this process's
// (client and server). One run per go test: a second reuses claim keys.
//
//	go test ./internal/server -run '^$' -bench Stores -benchtime 3000x
func BenchmarkStores(b *testing.B) {
	cfg := demo.Config()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	engines := []struct {
		name string
		open func(b *testing.B) *adjudicator.Engine
	}{
		{"pebble", func(b *testing.B) *adjudicator.Engine {
			e, _ := scenario.NewEngine(b, cfg, b.TempDir(), clock)
			return e
		}},
		{"postgres", func(b *testing.B) *adjudicator.Engine { return scenario.NewEngineOn(b, cfg, pgtest.Store(b), clock) }},
		// The store as it was before it prepared its statements.
		{"postgres-unprepared", func(b *testing.B) *adjudicator.Engine {
			s, err := pgstore.Open(context.Background(), pgstore.Options{
				DSN: pgtest.DSN(b) + "&default_query_exec_mode=cache_describe", Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return scenario.NewEngineOn(b, cfg, s, clock)
		}},
	}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			addr, _ := serve(b, eng.open(b), nil)
			conn := dial(b, addr)
			b.Run("empty", func(b *testing.B) {
				hc := healthpb.NewHealthClient(conn)
				b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
			b.Run("bill", func(b *testing.B) {
				defer reportCPU(b)()
				scenario.BenchBills(b, client.NewClaims(conn), demo.CoveredClaims(cfg, domain.DateOf(now)))
			})
		})
	}
	// The bare transactions bill the members the bill benchmark bills, in
	// its order (consecutive claims often share a family, so wait for its
	// lock), but one (spread) bills 150 families in turn, none waiting.
	billed := bareMembers(demo.CoveredClaims(cfg, domain.DateOf(now)))
	for _, bare := range []struct {
		name    string
		tx      bareTxFunc
		mode    pgx.QueryExecMode
		members []bareMember
	}{
		{"bare-postgres-tx", bareTx, pgx.QueryExecModeCacheStatement, billed},
		{"bare-postgres-tx-pipelined", bareTxPipelined, pgx.QueryExecModeCacheStatement, billed},
		{"bare-postgres-tx-pipelined-3trips", bareTxPipelined3, pgx.QueryExecModeCacheStatement, billed},
		{"bare-postgres-tx-pipelined-spread", bareTxPipelined, pgx.QueryExecModeCacheStatement, spreadMembers(150)},
		{"bare-postgres-tx-pipelined-unprepared", bareTxPipelined, pgx.QueryExecModeCacheDescribe, billed},
	} {
		b.Run(bare.name, func(b *testing.B) { benchBareTx(b, pgtest.Store(b).DSN(), bare.tx, bare.mode, bare.members) })
	}
}

// The sizes of what a demo bill reads and writes, as stored (measured):
// family record, claim record, history entry, accumulator document. A
// bill writes its member's and family's documents.
const (
	bareFamilyBytes, bareRecordBytes, bareEntryBytes = 450, 1390, 302
	bareDocBytes                                     = 33
)

// bareTxFunc runs one bare transaction billing claim id for m.
type bareTxFunc func(ctx context.Context, pool *pgxpool.Pool, id string, m bareMember) error

// bareMember is a member a bare transaction bills.
type bareMember struct{ family, person string }

// bareMembers are the members of claims, in order.
func bareMembers(claims []*adjudicator.Claim) []bareMember {
	out := make([]bareMember, len(claims))
	for i, c := range claims {
		out[i] = bareMember{c.CardholderID, c.PersonCode}
	}
	return out
}

// spreadMembers are the first members of n families.
func spreadMembers(n int) []bareMember {
	out := make([]bareMember, n)
	for i := range out {
		out[i] = bareMember{fmt.Sprintf("F%06d", i), "001"}
	}
	return out
}

// benchBareTx runs transactions of a paid demo bill's shape straight on
// the database, with the store's statements (pgstore): READ COMMITTED;
// read the key index (a miss, FOR UPDATE); lock the family's row,
// reading its last ID; read the family (present), all its documents and
// its prior authorizations; insert the claim and its index row, upsert
// its history entry and the member's and family's documents, record the
// claim's ID as the family's last; commit. The demo's bills read no
// history (no history edit applies), so neither does this. tx sends them
// one statement per round trip (bareTx, 8), pipelined as the store sends
// a B1 (bareTxPipelined, 2: BEGIN with the key read and the family's lock
// and reads, the writes with COMMIT) or as it sent them before it read
// the family with the key (bareTxPipelined3, 3). Transaction n bills
// members[n mod len], as the bill benchmark bills its n-th template;
// statements run in mode (the store prepares them).
func benchBareTx(b *testing.B, dsn string, tx bareTxFunc, mode pgx.QueryExecMode, members []bareMember) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.DefaultQueryExecMode = mode
	cfg.MaxConns = pgstore.DefaultMaxConns() // as the store's pool
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	for _, m := range members {
		if _, err := pool.Exec(ctx, `INSERT INTO families (cardholder_id, record) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			m.family, make([]byte, bareFamilyBytes)); err != nil {
			b.Fatal(err)
		}
	}
	var seq atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			id, m := fmt.Sprintf("%020x", n), members[int(n)%len(members)]
			var err error
			for attempt := 0; attempt == 0 || isConflict(err) && attempt < 8; attempt++ { // as the store retries
				err = tx(ctx, pool, id, m)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// reportCPU measures the CPU used from its call to the call of the
// function it returns, which reports it per op: the PostgreSQL server's
// (pg-us/op, once it runs) and this process's, client and server
// (proc-us/op).
func reportCPU(b *testing.B) func() {
	pg, proc := pgtest.SharedCPU(), processCPU()
	return func() {
		if pg > 0 { // PostgreSQL runs
			b.ReportMetric(float64((pgtest.SharedCPU()-pg).Microseconds())/float64(b.N), "pg-us/op")
		}
		b.ReportMetric(float64((processCPU()-proc).Microseconds())/float64(b.N), "proc-us/op")
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// bareReads are a bill's reads: the claim key, then the family's lock and
// rows. Each is read to its end.
func bareReads(id, fam string) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(`SELECT c.id, c.record FROM claim_index i JOIN claims c ON c.id = i.claim_id
		WHERE i.pharmacy_npi = $1 AND i.rx_number = $2 AND i.fill_number = 0 AND i.date_of_service = '2026-11-20' FOR UPDATE`, "1234567893", id)
	b.Queue(`INSERT INTO family_locks (cardholder_id) VALUES ($1) ON CONFLICT (cardholder_id) DO UPDATE SET cardholder_id = excluded.cardholder_id RETURNING last_id`, fam)
	b.Queue(`SELECT record FROM families WHERE cardholder_id = $1`, fam)
	b.Queue(`SELECT scope, owner_id, period, doc FROM documents WHERE family_id = $1`, fam)
	b.Queue(`SELECT record FROM prior_auths WHERE cardholder_id = $1 ORDER BY person_code, number`, fam)
	return b
}

// bareWrites are a paid bill's writes, with its ID recorded as the
// family's last (the store's hybrid logical clock).
func bareWrites(id string, m bareMember) *pgx.Batch {
	fam := m.family
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO claims (id, record) VALUES ($1, $2)`, id, make([]byte, bareRecordBytes))
	b.Queue(`INSERT INTO claim_index (pharmacy_npi, rx_number, fill_number, date_of_service, claim_id) VALUES ('1234567893', $1, 0, '2026-11-20', $1)`, id)
	b.Queue(`INSERT INTO history (cardholder_id, person_code, date_of_service, claim_id, entry) VALUES ($1, $4, '2026-11-20', $2, $3) ON CONFLICT (cardholder_id, person_code, date_of_service, claim_id) DO UPDATE SET entry = excluded.entry`, fam, id, make([]byte, bareEntryBytes), m.person)
	b.Queue(`INSERT INTO documents (scope, owner_id, period, family_id, doc) VALUES (0, $1, '2026-01-01', $2, $3) ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`, fam+":"+m.person, fam, make([]byte, bareDocBytes))
	b.Queue(`INSERT INTO documents (scope, owner_id, period, family_id, doc) VALUES (1, $1, '2026-01-01', $1, $2) ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`, fam, make([]byte, bareDocBytes))
	b.Queue(`UPDATE family_locks SET last_id = $2 WHERE cardholder_id = $1 AND last_id < $2`, fam, id)
	return b
}

// readAll reads every row of every query of br and closes it.
func readAll(br pgx.BatchResults, n int) error {
	for range n {
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return err
		}
		for rows.Next() {
			if _, err := rows.Values(); err != nil {
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// bareTx is one transaction of a paid bill's shape, one statement a
// round trip.
func bareTx(ctx context.Context, pool *pgxpool.Pool, id string, m bareMember) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		for _, q := range bareReads(id, m.family).QueuedQueries {
			rows, err := tx.Query(ctx, q.SQL, q.Arguments...)
			if err != nil {
				return err
			}
			for rows.Next() {
				if _, err := rows.Values(); err != nil {
					break
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return tx.SendBatch(ctx, bareWrites(id, m)).Close()
	})
}

// bareTxPipelined is the same transaction in the store's two round
// trips for a B1.
func bareTxPipelined(ctx context.Context, pool *pgxpool.Pool, id string, m bareMember) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release() // the pool destroys a connection left in a transaction
	reads := bareReads(id, m.family)
	reads.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: "BEGIN ISOLATION LEVEL READ COMMITTED"}}, reads.QueuedQueries...)
	if err := readAll(conn.SendBatch(ctx, reads), reads.Len()); err != nil {
		return errors.Join(err, rollback(ctx, conn))
	}
	writes := bareWrites(id, m)
	writes.Queue("COMMIT")
	if err := conn.SendBatch(ctx, writes).Close(); err != nil {
		return errors.Join(err, rollback(ctx, conn))
	}
	return nil
}

// bareTxPipelined3 is the same transaction in three round trips, as the
// store sent a B1 before it read the family with the key: BEGIN with the
// key read, the family's lock with its reads, the writes with COMMIT.
func bareTxPipelined3(ctx context.Context, pool *pgxpool.Pool, id string, m bareMember) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release() // the pool destroys a connection left in a transaction
	reads := bareReads(id, m.family)
	first := &pgx.Batch{}
	first.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	first.QueuedQueries = append(first.QueuedQueries, reads.QueuedQueries[0])
	if err := readAll(conn.SendBatch(ctx, first), 2); err != nil {
		return errors.Join(err, rollback(ctx, conn))
	}
	reads.QueuedQueries = reads.QueuedQueries[1:]
	if err := readAll(conn.SendBatch(ctx, reads), reads.Len()); err != nil {
		return errors.Join(err, rollback(ctx, conn))
	}
	writes := bareWrites(id, m)
	writes.Queue("COMMIT")
	if err := conn.SendBatch(ctx, writes).Close(); err != nil {
		return errors.Join(err, rollback(ctx, conn))
	}
	return nil
}

func rollback(ctx context.Context, conn *pgxpool.Conn) error {
	_, err := conn.Exec(ctx, "ROLLBACK")
	return err
}
