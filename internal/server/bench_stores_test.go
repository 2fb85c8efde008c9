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
	b.Run("bare-postgres-tx", func(b *testing.B) { benchBareTx(b, pgtest.Store(b).DSN()) })
}

// benchBareTx runs transactions of a paid bill's shape straight on the
// database, as the store runs them: READ COMMITTED; read the key index (a
// miss); lock the family's row; read the family, the member's and
// family's documents and the member's history; write the claim, its index
// row, its history entry and the two documents; commit.
func benchBareTx(b *testing.B, dsn string) {
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
	record, doc := make([]byte, 600), make([]byte, 120) // about a claim record's and a document's size
	var seq atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			id, fam := fmt.Sprintf("%020x", n), fmt.Sprintf("F%06d", n%50_000) // spread families: no contention
			var err error
			for attempt := 0; attempt == 0 || isConflict(err) && attempt < 8; attempt++ { // as the store retries
				err = bareTx(ctx, pool, id, fam, record, doc)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

func isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40001"
}

// bareTx is one transaction of a paid bill's shape.
func bareTx(ctx context.Context, pool *pgxpool.Pool, id, fam string, record, doc []byte) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		var v []byte
		reads := []struct {
			sql  string
			args []any
		}{
			{`SELECT c.record FROM claim_index i JOIN claims c ON c.id = i.claim_id WHERE i.pharmacy_npi = $1 AND i.rx_number = $2 AND i.fill_number = 0 AND i.date_of_service = '2026-11-20'`, []any{"1234567893", id}},
			{`INSERT INTO family_locks (cardholder_id) VALUES ($1) ON CONFLICT (cardholder_id) DO UPDATE SET cardholder_id = excluded.cardholder_id RETURNING ''::bytea`, []any{fam}},
			{`SELECT record FROM families WHERE cardholder_id = $1`, []any{fam}},
			{`SELECT doc FROM documents WHERE scope = 0 AND owner_id = $1 AND period = '2026-01-01'`, []any{fam + ":001"}},
			{`SELECT doc FROM documents WHERE scope = 1 AND owner_id = $1 AND period = '2026-01-01'`, []any{fam}},
		}
		for _, r := range reads {
			if err := tx.QueryRow(ctx, r.sql, r.args...).Scan(&v); err != nil && err != pgx.ErrNoRows {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT entry FROM history WHERE cardholder_id = $1 AND person_code = '001' AND date_of_service >= '2026-01-01' ORDER BY date_of_service, claim_id`, fam)
		if err != nil {
			return err
		}
		rows.Close()
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO claims (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record`, id, record)
		batch.Queue(`INSERT INTO claim_index (pharmacy_npi, rx_number, fill_number, date_of_service, claim_id) VALUES ('1234567893', $1, 0, '2026-11-20', $1) ON CONFLICT (pharmacy_npi, rx_number, fill_number, date_of_service) DO UPDATE SET claim_id = excluded.claim_id`, id)
		batch.Queue(`INSERT INTO history (cardholder_id, person_code, date_of_service, claim_id, entry) VALUES ($1, '001', '2026-11-20', $2, $3) ON CONFLICT (cardholder_id, person_code, date_of_service, claim_id) DO UPDATE SET entry = excluded.entry`, fam, id, doc)
		batch.Queue(`INSERT INTO documents (scope, owner_id, period, family_id, doc) VALUES (0, $1, '2026-01-01', $2, $3) ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`, fam+":001", fam, doc)
		batch.Queue(`INSERT INTO documents (scope, owner_id, period, family_id, doc) VALUES (1, $1, '2026-01-01', $2, $3) ON CONFLICT (scope, owner_id, period) DO UPDATE SET doc = excluded.doc`, fam, fam, doc)
		return tx.SendBatch(ctx, batch).Close()
	})
}
