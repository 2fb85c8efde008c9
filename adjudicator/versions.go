package adjudicator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
)

// Configuration versions (DOMAIN.md §3, point in time). Every change that
// alters the configuration makes a new version, numbered one up, kept by
// the store with the change (ConfigWrite.Version). A claim records the
// version it was adjudicated under, so replay finds the configuration as
// it was known then: inactivating or replacing anything later never
// changes what a past claim saw.

// maxCachedVersions bounds the compiled past versions an engine keeps for
// replay when its store keeps them all.
const maxCachedVersions = 32

// startVersion gives the snapshot s of configuration cfg its version: the
// store's latest when it holds the same configuration (a restart), else a
// new version written to the store. An engine whose store keeps no
// history numbers its versions in memory, from 1.
func (e *Engine) startVersion(ctx context.Context, cfg *config.Config, s *snapshot) error {
	if e.history == nil {
		s.version = e.snap.Load().versionOrZero() + 1
		e.remember(s)
		return nil
	}
	latest, err := e.history.LatestConfigVersion(ctx)
	if err != nil {
		return fmt.Errorf("configuration versions: %w", err)
	}
	if latest != nil && sameConfig(latest.Config, cfg) {
		s.version = latest.Number
		return nil
	}
	v := e.newVersion(latest, cfg)
	if err := e.configs.SaveConfig(ctx, ConfigWrite{Version: v}); err != nil {
		return fmt.Errorf("saving configuration version %d: %w", v.Number, err)
	}
	s.version = v.Number
	return nil
}

func (s *snapshot) versionOrZero() uint64 {
	if s == nil {
		return 0
	}
	return s.version
}

// newVersion is the version after prev (nil: none) holding cfg.
func (e *Engine) newVersion(prev *ConfigVersion, cfg *config.Config) *ConfigVersion {
	n := uint64(1)
	if prev != nil {
		n = prev.Number + 1
	}
	return &ConfigVersion{Number: n, At: e.now().UTC(), Config: cfg}
}

// sameConfig reports whether two configurations say the same thing,
// families aside and whatever the order of their edit versions.
func sameConfig(a, b *config.Config) bool {
	x, errA := versionJSON(a)
	y, errB := versionJSON(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

func versionJSON(c *config.Config) ([]byte, error) {
	cp := *c
	cp.Families = nil
	cp.Edits = slices.Clone(c.Edits)
	slices.SortFunc(cp.Edits, func(a, b edits.Edit) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Version, b.Version))
	})
	return json.Marshal(&cp)
}

// remember caches a compiled version for replay. Without a store that
// keeps history, the cache is the only copy, so nothing is dropped.
func (e *Engine) remember(s *snapshot) {
	e.versionsMu.Lock()
	defer e.versionsMu.Unlock()
	if e.versions == nil {
		e.versions = map[uint64]*snapshot{}
	}
	e.versions[s.version] = s
	if e.history != nil && len(e.versions) > maxCachedVersions {
		oldest := s.version
		for n := range e.versions {
			oldest = min(oldest, n)
		}
		delete(e.versions, oldest)
	}
}

// ConfigVersion returns the number of the configuration version in force.
func (e *Engine) ConfigVersion() uint64 { return e.snap.Load().version }

// snapshotAt returns the compiled configuration version n.
func (e *Engine) snapshotAt(ctx context.Context, n uint64) (*snapshot, error) {
	if cur := e.snap.Load(); cur.version == n {
		return cur, nil
	}
	e.versionsMu.Lock()
	s := e.versions[n]
	e.versionsMu.Unlock()
	if s != nil {
		return s, nil
	}
	if e.history == nil {
		return nil, fmt.Errorf("%w: configuration version %d (the store keeps no configuration history)", ErrNotFound, n)
	}
	v, err := e.history.ConfigVersion(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("configuration version %d: %w", n, err)
	}
	if v == nil {
		return nil, fmt.Errorf("%w: configuration version %d", ErrNotFound, n)
	}
	if s, err = compile(v.Config); err != nil {
		return nil, fmt.Errorf("configuration version %d: %w", n, err)
	}
	s.version = n
	e.remember(s)
	return s, nil
}
