package store

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// The configuration lives beside the claims: the base (everything but
// families and edits) under one key, each edit version under its own.
var (
	baseKey       = []byte("g\x00base")
	editPrefix    = []byte("e\x00")
	pendingPrefix = []byte("p\x00")
	versionPrefix = []byte("v\x00")
)

// versionKey orders configuration versions by number.
func versionKey(n uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), versionPrefix...), n)
}

func pendingKey(id string) []byte { return append(append([]byte(nil), pendingPrefix...), id...) }

func editKey(id string, version int) []byte {
	return fmt.Appendf(append(append([]byte(nil), editPrefix...), id...), "\x00%08d", version)
}

// SaveConfig writes the change in one synced batch: the base (when not
// nil), the edit versions, the families, the prior authorizations, the pending import proposed or
// resolved, and the audit entry.
func (s *Store) SaveConfig(_ context.Context, w adjudicator.ConfigWrite) error {
	b := s.newBatch()
	defer b.Close()
	if err := s.setConfig(b.Batch, w); err != nil {
		return err
	}
	if err := s.commitAudited(b, w.Audit); err != nil {
		return fmt.Errorf("store: write configuration: %w", err)
	}
	s.forgetFamilies(w.Families)
	s.notePriorAuths(w.PriorAuths)
	return nil
}

// setConfig adds a configuration change, its audit entry aside, to b.
func (s *Store) setConfig(b *pebble.Batch, w adjudicator.ConfigWrite) error {
	if w.Base != nil {
		v, err := records.EncodeConfig(w.Base)
		if err != nil {
			return err
		}
		if err := b.Set(baseKey, v, nil); err != nil {
			return err
		}
	}
	for i := range w.Versions {
		v, err := records.EncodeEdit(&w.Versions[i])
		if err != nil {
			return err
		}
		if err := b.Set(editKey(w.Versions[i].ID, w.Versions[i].Version), v, nil); err != nil {
			return err
		}
	}
	if w.Version != nil {
		v, err := records.EncodeConfigVersion(w.Version)
		if err != nil {
			return err
		}
		if err := b.Set(versionKey(w.Version.Number), v, nil); err != nil {
			return err
		}
	}
	if err := s.setFamilies(b, w.FamiliesAt, w.Families); err != nil {
		return err
	}
	if err := setPriorAuths(b, w.PriorAuths); err != nil {
		return err
	}
	if w.Propose != nil {
		v, err := records.EncodePendingImport(w.Propose)
		if err != nil {
			return err
		}
		if err := b.Set(pendingKey(w.Propose.ID), v, nil); err != nil {
			return err
		}
	}
	if w.Resolve != "" {
		return b.Delete(pendingKey(w.Resolve), nil)
	}
	return nil
}

// PendingImports implements adjudicator.ConfigStore.
func (s *Store) PendingImports(_ context.Context) ([]adjudicator.PendingImport, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: pendingPrefix, UpperBound: []byte("p\x01")})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []adjudicator.PendingImport
	for it.First(); it.Valid(); it.Next() {
		p, err := records.DecodePendingImport(it.Value())
		if err != nil {
			return nil, fmt.Errorf("store: pending import %q: %w", it.Key(), err)
		}
		out = append(out, p)
	}
	return out, it.Error()
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

// ConfigVersion implements adjudicator.ConfigHistory.
func (s *Store) ConfigVersion(_ context.Context, n uint64) (*adjudicator.ConfigVersion, error) {
	v, err := s.get(versionKey(n))
	if err != nil || v == nil {
		return nil, err
	}
	cv, err := records.DecodeConfigVersion(v)
	if err != nil {
		return nil, fmt.Errorf("store: configuration version %d: %w", n, err)
	}
	return cv, nil
}

// LatestConfigVersion implements adjudicator.ConfigHistory.
func (s *Store) LatestConfigVersion(_ context.Context) (*adjudicator.ConfigVersion, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: versionPrefix, UpperBound: []byte("v\x01")})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, it.Error()
	}
	cv, err := records.DecodeConfigVersion(it.Value())
	if err != nil {
		return nil, fmt.Errorf("store: configuration version %x: %w", it.Key(), err)
	}
	return cv, nil
}
