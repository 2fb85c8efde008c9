package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// CommitAll implements adjudicator.BatchCommitter: cs in one batch,
// synced, as Commit writes one. A document several of cs write is
// written once, with the last value; a member's history summary is read
// once and changed by each commit in turn. It returns once the batch is
// durable.
func (s *Store) CommitAll(_ context.Context, cs []*adjudicator.Commit) error {
	b := s.newBatch()
	owned := true // until applyBatch takes it
	defer func() {
		if owned {
			b.Close()
		}
	}()
	var keys []string
	docs := map[string][]byte{} // the stored encoding, as the document cache keeps it
	var members []member
	changes := map[member][]*summaryChange{}
	for _, c := range cs {
		if c.Audit != nil {
			return errors.New("store: commit: a batch of commits carries no audit entry")
		}
		if err := writeClaims(b.Batch, c); err != nil {
			return err
		}
		for _, d := range c.Docs {
			k := docKey(d.Scope, d.ID, d.Period)
			if _, seen := docs[k]; !seen {
				keys = append(keys, k)
			}
			docs[k] = records.EncodeDocument(d.Doc) // encoded now, while it is the caller's to change
		}
		for _, ch := range historyChanges(c) {
			if _, seen := changes[ch.member]; !seen {
				members = append(members, ch.member)
			}
			changes[ch.member] = append(changes[ch.member], ch)
		}
	}
	for _, k := range keys {
		if err := b.Set([]byte(k), docs[k], nil); err != nil {
			return err
		}
	}
	unlock := s.summaryLocks.lock(members)
	sumKeys := make([]string, len(members))
	sums := make([][]byte, len(members))
	for i, m := range members {
		var err error
		if sumKeys[i], sums[i], err = s.writeSummary(b.Batch, m, changes[m]); err != nil {
			unlock()
			return err
		}
	}
	s.docFlight.beginCommit(keys, func(k string) { s.docs.Remove(k) })
	endSummaries := s.beginSummaries(sumKeys, sums)
	owned = false
	synced, err := s.applyBatch(b)
	unlock()
	if err == nil {
		err = synced()
	}
	endSummaries(err)
	s.docFlight.endCommit(keys, func(i int, contended bool) {
		switch {
		case err != nil:
		case contended:
			s.docs.Remove(keys[i])
		default:
			s.docs.Add(keys[i], docs[keys[i]])
		}
	})
	b.Close()
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// writeSummary adds to b the member's summary as changes, in turn, leave
// it, and returns its key and value. The caller holds the member's
// summary lock until b is applied.
func (s *Store) writeSummary(b *pebble.Batch, m member, changes []*summaryChange) (string, []byte, error) {
	kb := summaryKey(m.cardholderID, m.personCode)
	k := string(kb)
	v, err := s.summaryBytes(k, kb)
	if err != nil {
		return "", nil, err
	}
	sum := &records.HistorySummary{}
	if v != nil {
		if sum, err = records.DecodeHistorySummary(v); err != nil {
			return "", nil, fmt.Errorf("store: %w", err)
		}
	}
	for _, ch := range changes {
		updateSummary(sum, ch)
	}
	out := records.EncodeHistorySummary(sum)
	return k, out, b.Set(kb, out, nil)
}
