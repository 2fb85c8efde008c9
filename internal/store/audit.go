package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// The audit trail: each entry under its sequence number; a time index, so
// a time range is read without scanning the trail; and the head (the last
// entry's sequence number, hash and time), written with every entry, so
// removing the last entry is detected too. All three are written in the
// batch of the change the entry records.
var (
	auditPrefix     = []byte("u\x00")
	auditTimePrefix = []byte("t\x00")
	auditHeadKey    = []byte("h\x00audit")
)

func auditKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(bytes.Clone(auditPrefix), seq) }

// auditTimeKey orders by time (Unix nanoseconds, sign bit flipped so the
// bytes sort as the numbers do), then sequence number.
func auditTimeKey(t time.Time, seq uint64) []byte {
	b := binary.BigEndian.AppendUint64(bytes.Clone(auditTimePrefix), uint64(t.UnixNano())^1<<63)
	return binary.BigEndian.AppendUint64(b, seq)
}

// auditHead is the last entry of the trail.
type auditHead struct {
	seq  uint64
	hash adjudicator.AuditHash
	time time.Time
}

func (h auditHead) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, h.seq)
	b = append(b, h.hash[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(h.time.UnixNano()))
}

func decodeHead(b []byte) (auditHead, error) {
	var h auditHead
	if len(b) != 8+len(h.hash)+8 {
		return h, errors.New("store: malformed audit head")
	}
	h.seq = binary.BigEndian.Uint64(b)
	copy(h.hash[:], b[8:])
	h.time = time.Unix(0, int64(binary.BigEndian.Uint64(b[8+len(h.hash):]))).UTC()
	return h, nil
}

// auditChain serializes appends to the trail: an append holds mu from the
// moment its entry is staged in a batch until that batch's commit returns.
type auditChain struct {
	mu   sync.Mutex
	head auditHead // as durable
}

// loadAuditHead reads the head at open; an empty trail has a zero head.
func (s *Store) loadAuditHead() error {
	v, err := s.get(auditHeadKey)
	if err != nil || v == nil {
		return err
	}
	s.audit.head, err = decodeHead(v)
	return err
}

// AuditHead returns the sequence number and hash of the last entry of the
// trail (0 and zeros when it is empty). Logged, it anchors the chain
// outside the store.
func (s *Store) AuditHead() (uint64, adjudicator.AuditHash) {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	return s.audit.head.seq, s.audit.head.hash
}

// stageAudit adds e to b as the next entry of the trail. The caller must
// call done with the result of b's commit: on success e gets its Seq,
// Time, Prev and Hash and the head advances; on failure e stays as it
// was. The trail is locked from stageAudit to done. A nil e stages
// nothing.
//
// Entries keep time order: one dated before the head takes the head's
// time, so the time index lists the trail in sequence.
func (s *Store) stageAudit(b *pebble.Batch, e *adjudicator.AuditEntry) (done func(error), err error) {
	if e == nil {
		return func(error) {}, nil
	}
	s.audit.mu.Lock()
	next := *e
	next.Seq, next.Prev = s.audit.head.seq+1, s.audit.head.hash
	if next.Time.IsZero() {
		next.Time = time.Now()
	}
	next.Time = next.Time.Round(0).UTC()
	if next.Time.Before(s.audit.head.time) {
		next.Time = s.audit.head.time
	}
	v := records.EncodeAudit(&next)
	next.Hash = records.AuditHashOf(v)
	head := auditHead{seq: next.Seq, hash: next.Hash, time: next.Time}
	err = errors.Join(b.Set(auditKey(next.Seq), v, nil), b.Set(auditTimeKey(next.Time, next.Seq), nil, nil),
		b.Set(auditHeadKey, head.encode(), nil))
	if err != nil {
		s.audit.mu.Unlock()
		return nil, err
	}
	return func(err error) {
		if err == nil {
			s.audit.head, *e = head, next
		}
		s.audit.mu.Unlock()
	}, nil
}

// commitAudited commits b, with e (when not nil) appended in it.
func (s *Store) commitAudited(b *batch, e *adjudicator.AuditEntry) error {
	done, err := s.stageAudit(b.Batch, e)
	if err != nil {
		return err
	}
	err = s.commitBatch(b)
	done(err)
	return err
}

// AppendAudit implements adjudicator.AuditLog: e alone, in its own batch.
func (s *Store) AppendAudit(_ context.Context, e *adjudicator.AuditEntry) error {
	b := s.newBatch()
	defer b.Close()
	if err := s.commitAudited(b, e); err != nil {
		return fmt.Errorf("store: append audit entry: %w", err)
	}
	return nil
}

// ReadAudit implements adjudicator.AuditLog. A time range reads the time
// index from q.From; otherwise the trail is read from q.AfterSeq on.
func (s *Store) ReadAudit(_ context.Context, q adjudicator.AuditQuery) ([]adjudicator.AuditEntry, error) {
	byTime := !q.From.IsZero() || !q.To.IsZero()
	o := &pebble.IterOptions{LowerBound: auditKey(q.AfterSeq + 1), UpperBound: []byte("u\x01")}
	if byTime {
		o = &pebble.IterOptions{LowerBound: auditTimeKey(q.From, 0), UpperBound: []byte("t\x01")}
		if !q.To.IsZero() {
			o.UpperBound = auditTimeKey(q.To, 0)
		}
	}
	it, err := s.db.NewIter(o)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []adjudicator.AuditEntry
	for it.First(); it.Valid() && (q.Limit == 0 || len(out) < q.Limit); it.Next() {
		v := it.Value()
		if byTime {
			k := it.Key()
			if v, err = s.get(auditKey(binary.BigEndian.Uint64(k[len(k)-8:]))); err != nil {
				return nil, err
			}
		}
		e, err := records.DecodeAudit(v)
		if err != nil {
			return nil, fmt.Errorf("store: audit entry %x: %w", it.Key(), err)
		}
		if q.Match(&e) {
			out = append(out, e)
		}
	}
	return out, it.Error()
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Entries int
	Head    adjudicator.AuditHash // the last entry's hash
	// Problems lists every break in the chain; empty means it is intact.
	Problems []string
	last     adjudicator.AuditEntry // the last entry Add read
}

// Add checks the next stored entry of a trail read in sequence order: seq
// is the number it is stored under, v its encoding. Every store's
// VerifyAudit reads its trail through Add, then CheckHead. It returns the
// entry as read (its Seq set to seq).
func (r *AuditReport) Add(seq uint64, v []byte) adjudicator.AuditEntry {
	e, err := records.DecodeAudit(v)
	prev := r.last
	switch {
	case err != nil:
		r.Problems = append(r.Problems, fmt.Sprintf("entry %d: %v", seq, err))
	case e.Seq != seq:
		r.Problems = append(r.Problems, fmt.Sprintf("entry %d is stored as entry %d", e.Seq, seq))
	case seq != prev.Seq+1:
		r.Problems = append(r.Problems, fmt.Sprintf("entries %d to %d are missing", prev.Seq+1, seq-1))
	case e.Prev != prev.Hash:
		r.Problems = append(r.Problems, fmt.Sprintf("entry %d does not hold the hash of entry %d: one of them was changed", seq, prev.Seq))
	}
	e.Seq = seq
	r.last = e
	r.Head = e.Hash
	r.Entries++
	return e
}

// CheckHead checks that the trail's head (the number and hash of its last
// entry, as stored apart) names the last entry Add read.
func (r *AuditReport) CheckHead(seq uint64, hash adjudicator.AuditHash) {
	last := r.last
	switch {
	case seq > last.Seq:
		r.Problems = append(r.Problems, fmt.Sprintf("the head names entry %d but the trail ends at %d: entries were removed from its end", seq, last.Seq))
	case seq != last.Seq || hash != last.Hash:
		r.Problems = append(r.Problems, fmt.Sprintf("the head does not name the last entry (%d) with its hash: the entry was changed", last.Seq))
	}
}

// VerifyAudit checks the audit trail: entries numbered 1, 2, 3… with no
// gap, each holding the hash of the one before; the head naming the last
// one; and the time index listing each entry once. A changed entry breaks
// the link to it from the next one (or the head), a removed one leaves a
// gap. Run it on a store no engine is writing to.
func (s *Store) VerifyAudit() (*AuditReport, error) {
	r := &AuditReport{}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: auditPrefix, UpperBound: []byte("u\x01")})
	if err != nil {
		return nil, err
	}
	times := map[uint64]time.Time{}
	for it.First(); it.Valid(); it.Next() {
		seq := binary.BigEndian.Uint64(it.Key()[len(auditPrefix):])
		times[seq] = r.Add(seq, it.Value()).Time
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, err
	}
	s.verifyAuditHead(r)
	idx, err := s.verifyAuditIndex(times)
	if err != nil {
		return nil, err
	}
	r.Problems = append(r.Problems, idx...)
	return r, nil
}

// verifyAuditHead checks that the head names the last entry r read.
func (s *Store) verifyAuditHead(r *AuditReport) {
	v, err := s.get(auditHeadKey)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("audit head: %v", err))
		return
	}
	if v == nil {
		if r.last.Seq != 0 {
			r.Problems = append(r.Problems, "the audit head is missing")
		}
		return
	}
	h, err := decodeHead(v)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return
	}
	r.CheckHead(h.seq, h.hash)
}

// verifyAuditIndex checks that the time index lists each entry once, at
// its time.
func (s *Store) verifyAuditIndex(times map[uint64]time.Time) ([]string, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: auditTimePrefix, UpperBound: []byte("t\x01")})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var problems []string
	seen := map[uint64]bool{}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()[len(auditTimePrefix):]
		if len(k) != 16 {
			problems = append(problems, "a malformed audit time index key")
			continue
		}
		at, seq := time.Unix(0, int64(binary.BigEndian.Uint64(k)^1<<63)).UTC(), binary.BigEndian.Uint64(k[8:])
		if t, ok := times[seq]; !ok || !t.Equal(at) || seen[seq] {
			problems = append(problems, fmt.Sprintf("the time index lists entry %d at %s, which the trail does not hold", seq, at.Format(time.RFC3339Nano)))
		}
		seen[seq] = true
	}
	if len(seen) < len(times) {
		problems = append(problems, fmt.Sprintf("the time index misses %d entries", len(times)-len(seen)))
	}
	return problems, it.Error()
}
