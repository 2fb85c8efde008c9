package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// familyHistoryPrefix returns the key prefix of the claim history of a
// family's members.
func familyHistoryPrefix(cardholderID string) []byte {
	b := make([]byte, 0, 48)
	return append(append(append(b, "h\x00"...), cardholderID...), 0)
}

// historyPrefix returns the key prefix of one member's claim history. Keys
// continue with the date of service and the claim ID, so a member's
// history reads in date order.
func historyPrefix(cardholderID, personCode string) []byte {
	return append(append(familyHistoryPrefix(cardholderID), personCode...), 0)
}

func historyKey(cardholderID, personCode string, dos domain.Date, claimID string) []byte {
	b := append(historyPrefix(cardholderID, personCode), dos.String()...)
	return append(append(b, 0), claimID...)
}

// recordHistoryKey is the history key of a stored claim record.
func recordHistoryKey(r *adjudicator.ClaimRecord) ([]byte, error) {
	dos, err := domain.ParseDate(r.Key.DateOfService)
	if err != nil {
		return nil, fmt.Errorf("store: claim %s: %w", r.ID, err)
	}
	return historyKey(r.CardholderID, r.PersonCode, dos, r.ID), nil
}

// A member's history is kept twice: one entry per paid claim (key
// historyKey), which every range reads, and a summary of the recent
// entries in one record (key summaryKey, records.HistorySummary), which
// the claim path reads: one point read, flat in the member's and the
// store's history, instead of a scan through every level of the LSM.
// The summary is rewritten in the batch of every commit that adds or
// removes an entry of the member, so the two never disagree on disk.

// summaryDays is how far back before a member's newest claim the summary
// keeps entries: further than the clinical edits (365 days) and the
// calendar-month and rolling maximums usually look. A read that starts
// earlier (a lifetime maximum, a long step-therapy lookback) scans the
// entries instead, with the same answer.
const summaryDays = 400

// summarySlack is how much older than summaryDays a summary's oldest entry
// may get before the summary is pruned (decoded and rewritten), so that a
// claim usually only appends to it.
const summarySlack = 60

// summaryMaxEntries caps a summary's entries, so that what a claim reads
// and writes of it stays bounded (about 110 bytes an entry) whatever a
// member claims. A summary that would exceed it keeps only its newest
// summaryKeepEntries-odd entries, whole days of them, and moves Since
// after the days it dropped. A read that starts before Since takes the
// part before it from the entries (a scan) and the rest from the summary:
// the same answer, at the cost of a scan, for the rare member with more
// paid claims in summaryDays than the cap (ordinary members have tens).
var summaryMaxEntries = 256

// summaryKeepEntries is about how many entries a summary over the cap
// keeps, so that the claims after it append again for a while.
func summaryKeepEntries() int { return summaryMaxEntries * 3 / 4 }

// summaryKey is the key of a member's history summary.
func summaryKey(cardholderID, personCode string) []byte {
	b := make([]byte, 0, 40)
	b = append(append(append(b, "s\x00"...), cardholderID...), 0)
	return append(b, personCode...)
}

// History returns a member's paid claims with dates of service from from
// to to, oldest first: from the summary when it covers from, else from
// the entries.
func (s *Store) History(_ context.Context, cardholderID, personCode string, from, to domain.Date) ([]adjudicator.HistoryEntry, error) {
	sum, err := s.summary(cardholderID, personCode)
	if err != nil {
		return nil, err
	}
	if sum == nil && s.summariesDone {
		return nil, nil // no history at all
	}
	if sum == nil || to.Before(sum.Since) {
		return s.scanHistory(cardholderID, personCode, from, to)
	}
	var out []adjudicator.HistoryEntry
	if from.Before(sum.Since) { // the part the summary no longer holds
		if out, err = s.scanHistory(cardholderID, personCode, from, sum.Since.AddDays(-1)); err != nil {
			return nil, err
		}
	}
	for _, h := range sum.Entries {
		if !h.DateOfService.Before(from) && !h.DateOfService.After(to) {
			out = append(out, h)
		}
	}
	return out, nil
}

// summary reads a member's history summary; nil if none is stored.
func (s *Store) summary(cardholderID, personCode string) (*records.HistorySummary, error) {
	kb := summaryKey(cardholderID, personCode)
	v, err := s.summaryBytes(string(kb), kb)
	if err != nil || v == nil {
		return nil, err
	}
	sum, err := records.DecodeHistorySummary(v) // copies what it keeps
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return sum, nil
}

// summaryBytes returns the stored summary under k (kb as bytes), nil if
// there is none, from the summary cache or else the disk. The cache is
// kept as the document cache is (docflight.go): the value it gives is
// never older than the one on disk. The bytes are shared with the cache: the caller
// must not change them.
func (s *Store) summaryBytes(k string, kb []byte) ([]byte, error) {
	if v, ok := s.sums.get(k); ok {
		s.stats[cacheSummaries].hits.Add(1)
		return v, nil
	}
	s.stats[cacheSummaries].misses.Add(1)
	epoch := s.sumFlight.beginRead(k)
	v, err := s.get(kb)
	if err != nil {
		s.sumFlight.endRead(k, epoch, nil)
		return nil, err
	}
	s.sumFlight.endRead(k, epoch, func() { s.sums.add(k, v) })
	return v, nil
}

// beginSummaries registers a commit of the summaries under keys, before
// its batch is applied (it evicts them: see docflight.go), and returns
// what ends it once the batch is durable or failed: it caches the values
// written (vals, as keys) if nothing failed and no other commit of them
// overlapped.
func (s *Store) beginSummaries(keys []string, vals [][]byte) (end func(err error)) {
	s.sumFlight.beginCommit(keys, s.sums.remove)
	return func(err error) {
		s.sumFlight.endCommit(keys, func(i int, contended bool) {
			switch {
			case err != nil:
			case contended:
				s.sums.remove(keys[i])
			default:
				s.sums.add(keys[i], vals[i])
			}
		})
	}
}

// scanHistory reads a member's history entries from from to to.
func (s *Store) scanHistory(cardholderID, personCode string, from, to domain.Date) ([]adjudicator.HistoryEntry, error) {
	p := historyPrefix(cardholderID, personCode)
	lower := append(append([]byte(nil), p...), from.String()...)
	upper := append(append(append([]byte(nil), p...), to.String()...), 1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []adjudicator.HistoryEntry
	for it.First(); it.Valid(); it.Next() {
		h, err := records.DecodeHistory(it.Value())
		if err != nil {
			return nil, fmt.Errorf("store: history entry: %w", err)
		}
		out = append(out, h)
	}
	return out, it.Error()
}

// MemberClaims returns a member's paid claim records with dates of service
// from from to to, oldest first.
func (s *Store) MemberClaims(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]*adjudicator.ClaimRecord, error) {
	hist, err := s.History(ctx, cardholderID, personCode, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]*adjudicator.ClaimRecord, 0, len(hist))
	for _, h := range hist {
		rec, err := s.Claim(h.ClaimID)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, fmt.Errorf("store: history names claim %s, which is not stored", h.ClaimID)
		}
		out = append(out, rec)
	}
	return out, nil
}

// summaryLocks serialize the read-modify-write of a member's summary by
// the commits of its claims (the engine's family locks do too, but the
// store does not rely on them). A commit holds its members' stripes from
// reading their summaries until its batch is applied, when the next
// commit's read sees the new summary.
type summaryLocks struct {
	seed  maphash.Seed
	locks [256]sync.Mutex
}

// lock locks the stripes of the members, in stripe order, and returns
// their unlock.
func (l *summaryLocks) lock(members []member) (unlock func()) {
	idx := make([]int, 0, len(members))
	for _, m := range members {
		idx = append(idx, int(maphash.String(l.seed, m.cardholderID+"\x00"+m.personCode)%uint64(len(l.locks))))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.locks[i].Lock()
	}
	return func() {
		for _, i := range idx {
			l.locks[i].Unlock()
		}
	}
}

type member struct{ cardholderID, personCode string }

// summaryChange is what a commit changes in one member's history.
type summaryChange struct {
	member
	add    *adjudicator.HistoryEntry
	remove []string // claim IDs
}

// historyChanges lists the members whose history c changes, and how.
func historyChanges(c *adjudicator.Commit) []*summaryChange {
	var out []*summaryChange
	of := func(m member) *summaryChange {
		for _, ch := range out {
			if ch.member == m {
				return ch
			}
		}
		ch := &summaryChange{member: m}
		out = append(out, ch)
		return ch
	}
	for _, r := range c.Records {
		if r.Reversal != nil {
			ch := of(member{r.CardholderID, r.PersonCode})
			ch.remove = append(ch.remove, r.ID)
		}
	}
	if c.History != nil && c.Index != nil {
		of(member{c.Index.CardholderID, c.Index.PersonCode}).add = c.History
	}
	return out
}

// writeSummaries adds to b the new summary of every member whose history
// c changes, and returns their keys and values. The caller holds the
// members' summary locks until b is applied. Once summaries are complete
// (buildSummaries), a member without one has no history at all: its
// first summary is complete from the beginning of time (a zero Since).
func (s *Store) writeSummaries(b *pebble.Batch, changes []*summaryChange) (keys []string, vals [][]byte, err error) {
	keys = make([]string, len(changes))
	vals = make([][]byte, len(changes))
	for i, ch := range changes {
		if keys[i], vals[i], err = s.writeMemberSummary(b, ch); err != nil {
			return nil, nil, err
		}
	}
	return keys, vals, nil
}

// writeMemberSummary adds to b the new summary of one member, and returns
// its key and value. The usual claim, the member's newest, appends its
// entry to the encoded summary, which is pruned only once its oldest
// entry is summaryDays+summarySlack older.
func (s *Store) writeMemberSummary(b *pebble.Batch, ch *summaryChange) (string, []byte, error) {
	kb := summaryKey(ch.cardholderID, ch.personCode)
	k := string(kb)
	v, err := s.summaryBytes(k, kb)
	if err != nil {
		return "", nil, err
	}
	var out []byte
	if v != nil && ch.add != nil && len(ch.remove) == 0 {
		keep := ch.add.DateOfService.AddDays(-summaryDays - summarySlack)
		out, _ = records.AppendHistorySummary(v, ch.add, keep, summaryMaxEntries) // a new slice
	}
	if out == nil {
		sum := &records.HistorySummary{}
		if v != nil {
			if sum, err = records.DecodeHistorySummary(v); err != nil {
				return "", nil, fmt.Errorf("store: %w", err)
			}
		}
		updateSummary(sum, ch)
		out = records.EncodeHistorySummary(sum)
	}
	return k, out, b.Set(kb, out, nil)
}

// summariesDoneKey marks a store whose every member with a history has a
// summary; a store written before summaries gets them at its first
// writable open (buildSummaries).
var summariesDoneKey = []byte("S\x00summaries")

// buildSummaries gives every member with a history a summary, once: at
// the first open of a store written before summaries (or restored from a
// backup of one), before any claim. It reports whether summaries are
// complete: a read-only store that has none yet reads its histories from
// the entries.
func (s *Store) buildSummaries() (bool, error) {
	v, err := s.get(summariesDoneKey)
	if err != nil || v != nil || s.opts.ReadOnly {
		return v != nil, err
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte("h\x00"), UpperBound: []byte("h\x01")})
	if err != nil {
		return false, err
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer func() { b.Close() }()
	var cur member
	sum := &records.HistorySummary{}
	members := 0
	flush := func() error {
		if len(sum.Entries) == 0 {
			return nil
		}
		updateSummary(sum, &summaryChange{})
		members++
		if err := b.Set(summaryKey(cur.cardholderID, cur.personCode), records.EncodeHistorySummary(sum), nil); err != nil {
			return err
		}
		sum = &records.HistorySummary{}
		if b.Len() < 4<<20 {
			return nil
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			return err
		}
		b.Close()
		b = s.db.NewBatch()
		return nil
	}
	for it.First(); it.Valid(); it.Next() {
		if bytes.Equal(it.Key(), auditHeadKey) {
			continue // the audit trail's head shares the prefix
		}
		parts := bytes.SplitN(it.Key()[2:], []byte{0}, 3) // cardholder ID, person code, date and claim ID
		if len(parts) != 3 {
			return false, errors.New("store: malformed history key")
		}
		if m := (member{string(parts[0]), string(parts[1])}); m != cur {
			if err := flush(); err != nil {
				return false, err
			}
			cur = m
		}
		h, err := records.DecodeHistory(it.Value())
		if err != nil {
			return false, fmt.Errorf("store: history entry: %w", err)
		}
		sum.Entries = append(sum.Entries, h)
	}
	if err := errors.Join(it.Error(), flush()); err != nil {
		return false, err
	}
	if err := errors.Join(b.Set(summariesDoneKey, []byte{1}, nil), b.Commit(pebble.Sync)); err != nil {
		return false, fmt.Errorf("store: write history summaries: %w", err)
	}
	if members > 0 {
		s.opts.Logger.Info("store: history summaries built", "component", "store", "members", members)
	}
	return true, nil
}

// updateSummary applies a change to a summary: removals, the new entry in
// date and claim ID order (if it is not older than Since: it is then only
// among the entries), and the pruning of entries more than summaryDays
// older than the newest, or over summaryMaxEntries, which moves Since.
func updateSummary(sum *records.HistorySummary, ch *summaryChange) {
	sum.Entries = slices.DeleteFunc(sum.Entries, func(h adjudicator.HistoryEntry) bool {
		return slices.Contains(ch.remove, h.ClaimID) || ch.add != nil && h.ClaimID == ch.add.ClaimID
	})
	if h := ch.add; h != nil && !h.DateOfService.Before(sum.Since) {
		i, _ := slices.BinarySearchFunc(sum.Entries, h, func(e adjudicator.HistoryEntry, h *adjudicator.HistoryEntry) int {
			if c := cmp.Compare(e.DateOfService.Days(), h.DateOfService.Days()); c != 0 {
				return c
			}
			return cmp.Compare(e.ClaimID, h.ClaimID)
		})
		sum.Entries = slices.Insert(sum.Entries, i, *h)
	}
	if n := len(sum.Entries); n > 0 {
		if cut := sum.Entries[n-1].DateOfService.AddDays(-summaryDays); cut.After(sum.Since) {
			sum.Since = cut
			sum.Entries = slices.DeleteFunc(sum.Entries, func(h adjudicator.HistoryEntry) bool { return h.DateOfService.Before(cut) })
		}
	}
	if n := len(sum.Entries); n > summaryMaxEntries {
		// Keep whole days: Since moves to the day of the oldest entry kept,
		// or the day after it when entries of that day would be dropped.
		i := n - summaryKeepEntries()
		cut := sum.Entries[i].DateOfService
		if sum.Entries[i-1].DateOfService == cut {
			cut = cut.AddDays(1)
		}
		sum.Since = cut
		sum.Entries = slices.DeleteFunc(sum.Entries, func(h adjudicator.HistoryEntry) bool { return h.DateOfService.Before(cut) })
	}
}

// writeHistory adds a commit's history changes to its batch: the new paid
// claim's entry, and the removal of every reversed claim's.
func writeHistory(b *pebble.Batch, c *adjudicator.Commit) error {
	for _, r := range c.Records {
		if r.Reversal == nil {
			continue
		}
		k, err := recordHistoryKey(r)
		if err != nil {
			return err
		}
		if err := b.Delete(k, nil); err != nil {
			return err
		}
	}
	if h := c.History; h != nil && c.Index != nil {
		v, err := records.EncodeHistory(h)
		if err != nil {
			return err
		}
		if err := b.Set(historyKey(c.Index.CardholderID, c.Index.PersonCode, h.DateOfService, h.ClaimID), v, nil); err != nil {
			return err
		}
	}
	return nil
}

// splitKey is bytes.SplitN(k, []byte{0}, 4) without allocating: the parts
// and how many there are.
func splitKey(k []byte) (parts [4][]byte, n int) {
	for n < 3 {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			break
		}
		parts[n], k = k[:i], k[i+1:]
		n++
	}
	parts[n] = k
	return parts, n + 1
}

// ForEachFamilyHistory implements adjudicator.HistoryScanner: one scan of
// the history entries, whose keys sort by cardholder ID, person code and
// date of service.
func (s *Store) ForEachFamilyHistory(to domain.Date, fn func(cardholderID string, members map[string][]adjudicator.HistoryEntry) error) error {
	prefix := familyHistoryPrefix("")[:2] // "h\x00"
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: []byte("h\x01")})
	if err != nil {
		return err
	}
	defer it.Close()
	var family string
	var members map[string][]adjudicator.HistoryEntry
	flush := func() error {
		if len(members) == 0 {
			return nil
		}
		m := members
		members = nil
		return fn(family, m)
	}
	last := to.String()
	for it.First(); it.Valid(); it.Next() {
		if bytes.Equal(it.Key(), auditHeadKey) { // shares the prefix
			continue
		}
		// cardholder 0 person 0 date 0 claim ID
		parts, n := splitKey(it.Key()[len(prefix):])
		if n != 4 || len(parts[2]) != len(last) {
			return fmt.Errorf("store: malformed history key %q", it.Key())
		}
		if string(parts[0]) != family {
			if err := flush(); err != nil {
				return err
			}
			family = string(parts[0])
		}
		if string(parts[2]) > last {
			continue
		}
		h, err := records.DecodeHistory(it.Value())
		if err != nil {
			return fmt.Errorf("store: history entry: %w", err)
		}
		if members == nil {
			members = map[string][]adjudicator.HistoryEntry{}
		}
		members[string(parts[1])] = append(members[string(parts[1])], h)
	}
	if err := it.Error(); err != nil {
		return err
	}
	return flush()
}
