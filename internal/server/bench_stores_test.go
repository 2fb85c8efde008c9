package server_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
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
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// BenchmarkStores runs the same durable Bill workload over gRPC on the
// Pebble store and on the PostgreSQL store side by side, each beside the
// empty RPC, and a bare PostgreSQL transaction of a paid bill's shape (its
// reads and writes, without the engine) as the database's yardstick; 64
// calls in flight, client, server and database on this machine's cores:
//
//	go test ./internal/server -run '^$' -bench Stores -benchtime 5000x
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
				scenario.BenchBills(b, client.NewClaims(conn), demo.CoveredClaims(cfg, domain.DateOf(now)))
			})
		})
	}
	b.Run("bare-postgres-tx", func(b *testing.B) { benchBareTx(b, pgtest.Store(b).DSN(), false) })
	b.Run("bare-postgres-tx-pipelined", func(b *testing.B) { benchBareTx(b, pgtest.Store(b).DSN(), true) })
}

// The sizes of what a demo bill reads and writes, as stored (measured):
// family record, claim record, history entry, accumulator document. The
// demo has 150 families; a bill writes its member's and family's documents.
const (
	bareFamilies                                     = 150
	bareFamilyBytes, bareRecordBytes, bareEntryBytes = 450, 1390, 302
	bareDocBytes                                     = 33
)

// benchBareTx runs transactions of a paid demo bill's shape straight on
// the database, with the store's statements (pgstore): READ COMMITTED;
// read the key index (a miss, FOR UPDATE); lock the family's row; read
// the family (present), all its documents and its prior authorizations;
// insert the claim and its index row, upsert its history entry and the
// member's and family's documents; commit. The demo's bills read no
// history (no history edit applies), so neither does this. One statement
// per round trip (8), or pipelined as the store sends them: BEGIN with the
// key read, the lock with the family's reads, the writes with COMMIT (3).
func benchBareTx(b *testing.B, dsn string, pipelined bool) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	cfg.MaxConns = 16 // as the store's pool
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	for f := range bareFamilies {
		if _, err := pool.Exec(ctx, `INSERT INTO families (cardholder_id, record) VALUES ($1, $2)`, bareFamily(f), make([]byte, bareFamilyBytes)); err != nil {
			b.Fatal(err)
		}
	}
	tx := bareTx
	if pipelined {
		tx = bareTxPipelined
	}
	var seq atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			id, fam := fmt.Sprintf("%020x", n), bareFamily(int(n%bareFamilies))
			var err error
			for attempt := 0; attempt == 0 || isConflict(err) && attempt < 8; attempt++ { // as the store retries
				err = tx(ctx, pool, id, fam)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

func bareFamily(n int) string { return fmt.Sprintf("F%06d", n) }

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
	b.Queue(`INSERT INTO family_locks (cardholder_id) VALUES ($1) ON CONFLICT (cardholder_id) DO UPDATE SET cardholder_id = excluded.cardholder_id`, fam)
	b.Queue(`SELECT record FROM families WHERE cardholder_id = $1`, fam)
	b.Queue(`SELECT scope, owner_id, period, doc FROM documents WHERE family_id = $1`, fam)
	b.Queue(`SELECT record FROM prior_auths WHERE cardholder_id = $1 ORDER BY person_code, number`, fam)
	return b
}

// bareWrites are a paid bill's writes.
func bareWrites(id, fam string) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO claims (id, record) VALUES ($1, $2)`, id, make([]byte, bareRecordBytes))
	b.Queue(`INSERT INTO claim_index (pharmacy_npi, rx_number, fill_number, date_of_service, claim_id) VALUES ('1234567893', $1, 0, '2026-11-20', $1)`, id)
	b.Queue(`INSERT INTO history (cardholder_id, person_code, date_of_service, claim_id, entry) VALUES ($1, '001', '2026-11-20', $2, $3) ON CONFLICT (cardholder_id, person_code, date_of_service, claim_id) DO UPDATE SET entry = excluded.entry`, fam, id, make([]byte, bareEntryBytes))
	b.Queue(`INSERT INTO documents (scope, owner_id, period, family_id, doc) VALUES (0, $1, '2026-01-01', $2, $3) ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`, fam+":001", fam, make([]byte, bareDocBytes))
	b.Queue(`INSERT INTO documents (scope, owner_id, period, family_id, doc) VALUES (1, $1, '2026-01-01', $1, $2) ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`, fam, make([]byte, bareDocBytes))
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
func bareTx(ctx context.Context, pool *pgxpool.Pool, id, fam string) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		for _, q := range bareReads(id, fam).QueuedQueries {
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
		return tx.SendBatch(ctx, bareWrites(id, fam)).Close()
	})
}

// bareTxPipelined is the same transaction in the store's three round
// trips.
func bareTxPipelined(ctx context.Context, pool *pgxpool.Pool, id, fam string) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release() // the pool destroys a connection left in a transaction
	reads := bareReads(id, fam)
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
	writes := bareWrites(id, fam)
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
