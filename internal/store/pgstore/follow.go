package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/adjudicator"
)

// configChannel is the NOTIFY channel of configuration changes.
const configChannel = "rxclaims_config"

// ConfigPoll bounds how long an instance holds a configuration another
// instance has replaced when no notification reaches it.
const ConfigPoll = time.Second

// FollowConfig keeps this instance on the latest configuration until ctx
// ends: whenever the stored version moves past the one it holds (another
// instance changed the configuration), it reads the latest version and
// calls follow with it (adjudicator.Engine.Follow). It listens for the
// changes' notifications and polls the version every ConfigPoll, so a
// change reaches it within about ConfigPoll even where NOTIFY is not
// delivered.
func (s *Store) FollowConfig(ctx context.Context, follow func(*adjudicator.ConfigVersion) error) {
	for ctx.Err() == nil {
		s.listen(ctx, func() {
			var n int64
			if err := s.pool.QueryRow(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&n); err != nil || n == s.configVersion.Load() {
				return
			}
			v, err := s.LatestConfigVersion(ctx)
			if err == nil && v != nil {
				err = follow(v)
			}
			if err != nil {
				s.log.Error("following the configuration another instance changed", "error", err)
				return
			}
			if v != nil {
				s.configVersion.Store(int64(v.Number))
				s.log.Info("configuration followed: another instance changed it", "version", v.Number)
			}
		})
	}
}

// listen calls check at every notification of a configuration change
// and every ConfigPoll, until ctx ends or the connection fails. It
// listens on a connection of its own, outside the pool: held for as long
// as the instance runs, a pooled one would leave claims one connection
// fewer than the pool's size.
func (s *Store) listen(ctx context.Context, check func()) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	listening := err == nil
	if listening {
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, "LISTEN "+configChannel); err != nil {
			listening = false
		}
	}
	for ctx.Err() == nil {
		if !listening {
			select {
			case <-ctx.Done():
			case <-time.After(ConfigPoll):
			}
			check()
			if conn == nil {
				return // try to listen again
			}
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, ConfigPoll)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			check()
			return // closes the connection
		}
		check()
	}
}
