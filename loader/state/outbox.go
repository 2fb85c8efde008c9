package state

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// PutOutbox adds outbox batch seq, holding entry, to b and records seq as
// the last batch written.
func PutOutbox(b *pebble.Batch, seq uint64, entry any) error {
	if err := SetJSON(b, OutboxKey(seq), entry); err != nil {
		return err
	}
	return b.Set(OutboxSeqKey, []byte(U64(seq)), nil)
}

// OutboxWritten returns the last outbox batch written (0 for none).
func OutboxWritten(r Reader) (uint64, error) {
	v, err := Get(r, OutboxSeqKey)
	return ReadU64(v), err
}

// OutboxAcked returns the last outbox batch acknowledged (0 for none).
func OutboxAcked(r Reader) (uint64, error) {
	v, err := Get(r, AckKey)
	return ReadU64(v), err
}

// OutboxLen counts the outbox batches waiting.
func OutboxLen(r Reader) (int, error) {
	n := 0
	err := Scan(r, OutboxPrefix, false, func(_, _ []byte) error { n++; return nil })
	return n, err
}

// FirstOutbox returns the oldest waiting outbox batch, its sequence and
// stored form; ok is false when the outbox is empty.
func FirstOutbox(r Reader) (seq uint64, val []byte, ok bool, err error) {
	err = Scan(r, OutboxPrefix, false, func(k, v []byte) error {
		seq, val, ok = ReadU64(k[len(OutboxPrefix):]), append([]byte(nil), v...), true
		return ErrStop
	})
	if errors.Is(err, ErrStop) {
		err = nil
	}
	return seq, val, ok, err
}

// AckOutbox deletes outbox batch seq in b and records it as acknowledged.
func AckOutbox(b *pebble.Batch, seq uint64) error {
	if err := b.Delete(OutboxKey(seq), nil); err != nil {
		return err
	}
	return b.Set(AckKey, []byte(U64(seq)), nil)
}
