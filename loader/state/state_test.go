package state

import (
	"bytes"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestKeysSortBySequence: sequence numbers are big-endian, so a file's
// keys sort by them.
func TestKeysSortBySequence(t *testing.T) {
	if bytes.Compare(JournalKey("G", 1, 255), JournalKey("G", 1, 256)) >= 0 {
		t.Fatal("journal key 255 sorts after 256")
	}
	if ReadU64([]byte(U64(1<<40+7))) != 1<<40+7 || ReadU64(nil) != 0 {
		t.Fatal("U64 does not round-trip")
	}
}

// TestOutbox: batches are read oldest first and acknowledged one by one.
func TestOutbox(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	commit := func(f func(b *pebble.Batch) error) {
		t.Helper()
		b := db.NewBatch()
		defer b.Close()
		if err := f(b); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	for seq := uint64(1); seq <= 2; seq++ {
		commit(func(b *pebble.Batch) error { return PutOutbox(b, seq, map[string]uint64{"n": seq}) })
	}
	commit(func(b *pebble.Batch) error { return AckOutbox(b, 1) })
	seq, val, ok, err := FirstOutbox(db)
	if err != nil || !ok || seq != 2 || string(val) != `{"n":2}` {
		t.Fatalf("first batch %d %s %v %v, want 2", seq, val, ok, err)
	}
	written, _ := OutboxWritten(db)
	acked, _ := OutboxAcked(db)
	n, err := OutboxLen(db)
	if written != 2 || acked != 1 || n != 1 || err != nil {
		t.Fatalf("written %d, acked %d, waiting %d (%v); want 2, 1, 1", written, acked, n, err)
	}
}
