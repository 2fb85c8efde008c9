package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgStore is the claim's storage transaction in PostgreSQL, for comparison
// with the bare Pebble one (Options.PostgresDSN): the same reads and
// writes, the same sizes, in a schema of its own that close drops.
type pgStore struct {
	pool    *pgxpool.Pool
	schema  string
	members int
}

// openPGStore connects with dsn (pool of up to conns connections), creates
// a fresh schema with the claim's tables and writes bareDocsPerClaim
// accumulator documents for each of members members.
func openPGStore(ctx context.Context, dsn string, conns, members int) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("bench: --postgres-dsn: %w", err)
	}
	cfg.MaxConns = int32(max(conns, 1))
	schema := fmt.Sprintf("rxclaims_bench_%d", time.Now().UnixNano())
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bench: PostgreSQL: %w", err)
	}
	s := &pgStore{pool: pool, schema: schema, members: max(members, 1)}
	ddl := []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE claims (key bytea PRIMARY KEY, record bytea NOT NULL)",
		"CREATE TABLE claim_index (key bytea PRIMARY KEY, entry bytea NOT NULL)",
		"CREATE TABLE history (member bigint, key bytea, entry bytea NOT NULL, PRIMARY KEY (member, key))",
		"CREATE TABLE docs (member bigint, n int, doc bytea NOT NULL, PRIMARY KEY (member, n))",
		fmt.Sprintf("INSERT INTO docs SELECT m, n, $1 FROM generate_series(0, %d) m, generate_series(0, %d) n", s.members-1, bareDocsPerClaim-1),
		"ANALYZE docs",
	}
	for _, q := range ddl {
		var args []any
		if len(q) > 6 && q[:6] == "INSERT" {
			args = []any{make([]byte, bareDocBytes)}
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			return nil, errors.Join(fmt.Errorf("bench: PostgreSQL: %s: %w", q, err), s.close(ctx))
		}
	}
	return s, nil
}

// close drops the schema and disconnects.
func (s *pgStore) close(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+s.schema+" CASCADE")
	s.pool.Close()
	return err
}

// pgTxn sends the claim's storage transaction, pipelined: the reads (the
// claim key, absent, and the member's documents, locked) in one round
// trip, the writes (record, index, history, five documents) in another,
// then a synchronous commit.
type pgTxn struct{ s *pgStore }

func (t pgTxn) send(ctx context.Context, _ *Op) outcome {
	claim := make([]byte, 24)
	_, _ = rand.Read(claim)
	member := mrand.IntN(t.s.members)
	if err := pgx.BeginFunc(ctx, t.s.pool, func(tx pgx.Tx) error {
		reads := &pgx.Batch{}
		reads.Queue("SELECT record FROM claims WHERE key = $1", claim)
		reads.Queue("SELECT doc FROM docs WHERE member = $1 ORDER BY n FOR UPDATE", member)
		br := tx.SendBatch(ctx, reads)
		var rec []byte
		if err := br.QueryRow().Scan(&rec); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			br.Close()
			return err
		}
		rows, err := br.Query()
		if err == nil {
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if err = rows.Err(); err == nil && n != bareDocsPerClaim {
				err = fmt.Errorf("member %d has %d documents", member, n)
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		writes := &pgx.Batch{}
		writes.Queue("INSERT INTO claims VALUES ($1, $2)", claim, make([]byte, bareRecordBytes))
		writes.Queue("INSERT INTO claim_index VALUES ($1, $2)", claim, make([]byte, bareIndexBytes))
		writes.Queue("INSERT INTO history VALUES ($1, $2, $3)", member, claim, make([]byte, bareHistoryBytes))
		writes.Queue("UPDATE docs SET doc = $2 WHERE member = $1", member, make([]byte, bareDocBytes))
		return tx.SendBatch(ctx, writes).Close()
	}); err != nil {
		if ctx.Err() != nil {
			return outcome{errCode: "Canceled"}
		}
		return outcome{errCode: "Internal"}
	}
	return outcome{status: "OK"}
}

// txn measures the PostgreSQL transaction closed loop at concurrency c for
// d, with the bench process's CPU per transaction (the client's only: the
// PostgreSQL server's CPU is its own processes').
func (s *pgStore) txn(ctx context.Context, c int, d time.Duration) StepResult {
	before := ownCPUSeconds()
	r := closedLoop(ctx, pgTxn{s: s}, emptySource{}, c, d, 0, nil)
	if r.Calls > 0 {
		r.ClientCPUSecondsPerCall = (ownCPUSeconds() - before) / float64(r.Calls)
	}
	return r
}
