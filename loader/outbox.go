package loader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// outboxEntry is one durable, numbered batch of changes to send: the
// families to resend as the loader holds them at send time (content is read
// then, so a resend after later changes sends the later state), or catalog
// records.
type outboxEntry struct {
	Group       string        `json:"group,omitempty"`
	Cardholders []string      `json:"cardholders,omitempty"`
	Catalog     *CatalogBatch `json:"catalog,omitempty"`
	// Rewind is the group's file whose rewind made the batch: the families
	// the adjudicator keeps instead of removing are recorded against it.
	Rewind uint64 `json:"rewind,omitempty"`
}

// addOutbox adds a batch for the touched families and catalog records to b.
// Callers hold l.mu.
func (l *Loader) addOutbox(b *pebble.Batch, group string, touched map[string]bool, cat *CatalogBatch, rewind uint64) error {
	e := outboxEntry{Rewind: rewind}
	if len(touched) > 0 {
		e.Group = group
		for c := range touched {
			e.Cardholders = append(e.Cardholders, c)
		}
		slices.Sort(e.Cardholders)
	}
	if cat != nil && len(cat.Drugs)+len(cat.Pharmacies)+len(cat.Networks)+len(cat.Schedules)+len(cat.Prescribers)+len(cat.PriorAuths) > 0 {
		e.Catalog = cat
	}
	if e.Cardholders == nil && e.Catalog == nil {
		return nil
	}
	seq := l.outSeq + 1
	if err := state.PutOutbox(b, seq, &e); err != nil {
		return err
	}
	l.outSeq = seq // a failed commit leaves a gap, which the syncer skips
	return nil
}

// SyncState is the outbox's position.
type SyncState struct {
	Written  uint64    `json:"written"` // last batch written
	Acked    uint64    `json:"acked"`   // last batch the adjudicator acknowledged
	Pending  int       `json:"pending"` // batches waiting
	LastSync time.Time `json:"last_sync,omitzero"`
}

// SyncState reports the outbox's position.
func (l *Loader) SyncState() (SyncState, error) {
	var s SyncState
	var err error
	if s.Acked, err = state.OutboxAcked(l.db); err != nil {
		return s, err
	}
	if s.Written, err = state.OutboxWritten(l.db); err != nil {
		return s, err
	}
	s.Pending, err = state.OutboxLen(l.db)
	return s, err
}

// Sync sends every outbox batch to the sink, in order, until the outbox is
// empty. Each batch is deleted, and the acknowledged sequence advanced, in
// one commit after the sink acknowledges it; a crash in between resends the
// batch, which the sink's idempotent upserts make harmless.
func (l *Loader) Sync(ctx context.Context) error {
	if l.opts.Sink == nil {
		return errors.New("loader: no sink to sync to")
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	for {
		seq, val, ok, err := state.FirstOutbox(l.db)
		if err != nil || !ok {
			return err
		}
		var e outboxEntry
		if err := json.Unmarshal(val, &e); err != nil {
			return fmt.Errorf("outbox batch %d: %w", seq, err)
		}
		start := time.Now()
		kept, err := l.send(ctx, seq, &e)
		if err != nil {
			l.metrics.syncFailed()
			return fmt.Errorf("sync batch %d: %w", seq, err)
		}
		b := l.db.NewBatch()
		for _, c := range kept {
			if err := b.Set(state.KeptKey(e.Group, e.Rewind, c), nil, nil); err != nil {
				b.Close()
				return err
			}
		}
		if err := state.AckOutbox(b, seq); err != nil {
			b.Close()
			return err
		}
		err = b.Commit(pebble.Sync)
		b.Close()
		if err != nil {
			return err
		}
		l.metrics.synced(time.Since(start))
	}
}

func (l *Loader) send(ctx context.Context, seq uint64, e *outboxEntry) ([]string, error) {
	if e.Catalog != nil {
		cb := *e.Catalog
		cb.Seq = seq
		if err := l.opts.Sink.SyncCatalog(ctx, cb); err != nil {
			return nil, err
		}
	}
	if len(e.Cardholders) == 0 {
		return nil, nil
	}
	fb := FamilyBatch{Seq: seq, Group: e.Group}
	for _, c := range e.Cardholders {
		fam, err := l.Family(e.Group, c)
		if err != nil {
			return nil, err
		}
		if fam == nil {
			fb.Removed = append(fb.Removed, c)
			continue
		}
		fb.Families = append(fb.Families, *fam)
	}
	return l.opts.Sink.SyncFamilies(ctx, fb)
}

// Family returns a family as the adjudicator should hold it, or nil when
// the loader holds no member of it.
func (l *Loader) Family(group, cardholder string) (*domain.Family, error) {
	fam := &domain.Family{CardholderID: cardholder, GroupID: group}
	err := state.Scan(l.db, state.FamilyPrefix(group, cardholder), false, func(_, v []byte) error {
		rec, err := parse.DecodeRecord(v)
		if err != nil {
			return err
		}
		m := domain.Member{PersonCode: rec[parse.FPersonCode], Gender: rec[parse.FGender], Coverages: []domain.Coverage{}}
		if m.DateOfBirth, err = domain.ParseDate(rec[parse.FDateOfBirth]); err != nil {
			return fmt.Errorf("member date_of_birth: %w", err)
		}
		covs, err := coverages(&rec)
		if err != nil {
			return err
		}
		for _, c := range covs {
			r, err := c.rangeOf()
			if err != nil {
				return err
			}
			m.Coverages = append(m.Coverages, domain.Coverage{PlanID: c.plan, Range: r})
		}
		fam.Members = append(fam.Members, m)
		return nil
	})
	if err != nil || len(fam.Members) == 0 {
		return nil, err
	}
	return fam, nil
}

// runSync syncs whenever there is work and every interval, retrying with
// jittered backoff on failure, until ctx ends.
func (l *Loader) runSync(ctx context.Context, every time.Duration) {
	retry := newBackoff(time.Second, time.Minute, l.opts.randN)
	for {
		err := l.Sync(ctx)
		wait := every
		if err != nil && ctx.Err() == nil {
			wait = retry.next()
			l.log.Warn("sync failed; will retry", "error", err, "in", wait)
		} else {
			retry.reset()
		}
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		case <-time.After(wait):
		}
	}
}
