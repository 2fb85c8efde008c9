package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/metrics"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

// engineStore is what the server needs of a store, of either kind: the
// Pebble store in --data-dir, or PostgreSQL (--store).
type engineStore interface {
	adjudicator.Store
	adjudicator.ConfigStore
	LoadConfig() (*config.Config, bool, error)
	AuditHead() (uint64, adjudicator.AuditHash)
	Close() error
}

// openedStore is the store Run serves on, with what only one kind offers.
// The engine gets engineStore itself, whose optional interfaces
// (adjudicator.Transactor, ClaimReader, ...) it looks for.
type openedStore struct {
	engineStore
	backups Backuper                       // the Pebble store's backups; nil on PostgreSQL
	watch   func(context.Context, *Server) // keeps health in step with the store until ctx ends
	// follow, when set, keeps the engine on the configuration other
	// instances change, until ctx ends.
	follow func(context.Context, *adjudicator.Engine, *metrics.Metrics)
}

// openStore opens the store opts choose: PostgreSQL when StoreDSN is set
// (several servers may share it), else the Pebble store in DataDir.
func openStore(ctx context.Context, opts Options, reg prometheus.Registerer, m *metrics.Metrics, log *slog.Logger) (*openedStore, error) {
	if opts.StoreDSN != "" {
		if opts.BackupDir != "" {
			return nil, errors.New("server: --backup-dir backs up the Pebble store; a PostgreSQL store is backed up by the database's own means (pg_basebackup, point-in-time recovery)")
		}
		st, err := pgstore.Open(ctx, pgstore.Options{DSN: opts.StoreDSN, Logger: log})
		if err != nil {
			return nil, err
		}
		log.Info("store: PostgreSQL", "instances", "any number may share it")
		return &openedStore{engineStore: st, watch: func(ctx context.Context, srv *Server) { watchDatabase(ctx, st, srv) },
			follow: func(ctx context.Context, e *adjudicator.Engine, m *metrics.Metrics) {
				st.FollowConfig(ctx, func(v *adjudicator.ConfigVersion) error {
					if err := e.Follow(v); err != nil {
						return err
					}
					m.ConfigLoaded(time.Now())
					return nil
				})
			}}, nil
	}
	c := opts.Caches
	st, err := store.Open(store.Options{Dir: opts.DataDir, ObserveCommit: m.ObserveCommit, Logger: log, FS: opts.StoreFS,
		BlockCacheBytes: c.BlockCacheBytes, MemTableBytes: c.MemTableBytes, FamilyCacheSize: c.FamilyCacheSize, DocumentCacheSize: c.DocumentCacheSize,
		SummaryCacheBytes: c.SummaryCacheBytes, WALMinSyncInterval: c.WALSyncInterval})
	if err != nil {
		return nil, err
	}
	metrics.RegisterStore(reg, st)
	metrics.RegisterStoreHealth(reg, st)
	return &openedStore{engineStore: st, backups: st, watch: func(ctx context.Context, srv *Server) { watchStore(ctx, st, srv) }}, nil
}

// databasePoll is how often a server on PostgreSQL checks that the
// database answers.
const databasePoll = 2 * time.Second

// watchDatabase keeps health NOT_SERVING while the database does not
// answer, and SERVING again once it does, until ctx ends: readiness
// follows the database, and the claims in between are answered
// Unavailable by the store itself.
func watchDatabase(ctx context.Context, st *pgstore.Store, srv *Server) {
	t := time.NewTicker(databasePoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, databasePoll)
		err := st.Ping(pctx)
		cancel()
		srv.setDatabaseReachable(err == nil)
	}
}
