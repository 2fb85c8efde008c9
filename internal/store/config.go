package store

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// The configuration lives beside the claims: the base (everything but
// families and edits) under one key, each edit version under its own.
var (
	baseKey    = []byte("g\x00base")
	editPrefix = []byte("e\x00")
)

func editKey(id string, version int) []byte {
	return fmt.Appendf(append(append([]byte(nil), editPrefix...), id...), "\x00%08d", version)
}

// SaveConfig writes base (when not nil) and the edit versions in one synced batch.
func (s *Store) SaveConfig(_ context.Context, base *config.Config, versions []edits.Edit) error {
	b := s.newBatch()
	defer b.Close()
	if base != nil {
		v, err := records.EncodeConfig(base)
		if err != nil {
			return err
		}
		if err := b.Set(baseKey, v, nil); err != nil {
			return err
		}
	}
	for i := range versions {
		v, err := records.EncodeEdit(&versions[i])
		if err != nil {
			return err
		}
		if err := b.Set(editKey(versions[i].ID, versions[i].Version), v, nil); err != nil {
			return err
		}
	}
	if err := s.commitBatch(b); err != nil {
		return fmt.Errorf("store: write configuration: %w", err)
	}
	return nil
}

// LoadConfig reads the stored configuration; ok is false when none was saved.
func (s *Store) LoadConfig() (cfg *config.Config, ok bool, err error) {
	v, err := s.get(baseKey)
	if err != nil || v == nil {
		return nil, false, err
	}
	if cfg, err = records.DecodeConfig(v); err != nil {
		return nil, false, fmt.Errorf("store: configuration: %w", err)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: editPrefix, UpperBound: []byte("e\x01")})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		e, err := records.DecodeEdit(it.Value())
		if err != nil {
			return nil, false, fmt.Errorf("store: edit %q: %w", it.Key(), err)
		}
		cfg.Edits = append(cfg.Edits, e)
	}
	return cfg, true, it.Error()
}
