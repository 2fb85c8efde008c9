package loader

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// The loader's Pebble keys. Each kind has a short prefix and a zero
// separator; sequence numbers are 8-byte big-endian so keys sort by them.
//
//	m  group cardholder person        member record (the last processed)
//	f  group fileseq                  file status
//	fs group                          the group's last file sequence
//	sum checksum                      group, fileseq of a processed file
//	j  group fileseq n                journal entry
//	e  group fileseq line             a bad record's reason
//	s  group fileseq cardholder person  member seen in a full file
//	r  group fileseq cardholder person  retroactive change
//	o  seq                            outbox batch
//	oseq / ack                        last outbox seq written / acknowledged
//	lock group                        the file a rewind is undoing
//	pv group cardholder               a family's policy head (active, pending, last version)
//	v  group cardholder version       a family's policy version
//	pf group fileseq cardholder       a pending copy a file made
//	kept group fileseq cardholder     a family the file's rewind could not remove
//	d ndc / p npi / n id              drugs, pharmacies, networks as last loaded
const zero = "\x00"

func u64(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return string(b[:])
}

func readU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func memberPrefix(group string) string { return "m" + zero + group + zero }
func familyPrefix(group, cardholder string) string {
	return memberPrefix(group) + cardholder + zero
}
func memberKey(group, cardholder, person string) []byte {
	return []byte(familyPrefix(group, cardholder) + person)
}
func fileKey(group string, seq uint64) []byte { return []byte("f" + zero + group + zero + u64(seq)) }
func fileSeqKey(group string) []byte          { return []byte("fs" + zero + group) }
func sumKey(sum string) []byte                { return []byte("sum" + zero + sum) }
func fileScoped(prefix, group string, seq uint64) string {
	return prefix + zero + group + zero + u64(seq) + zero
}
func journalKey(group string, seq, n uint64) []byte {
	return []byte(fileScoped("j", group, seq) + u64(n))
}
func errorKey(group string, seq uint64, line int) []byte {
	return []byte(fileScoped("e", group, seq) + u64(uint64(line)))
}

// removalErrorKey is the reason a full file's removal failed: line 0,
// then the member.
func removalErrorKey(group string, seq uint64, cardholder, person string) []byte {
	return []byte(fileScoped("e", group, seq) + u64(0) + cardholder + zero + person)
}
func seenKey(group string, seq uint64, cardholder, person string) []byte {
	return []byte(fileScoped("s", group, seq) + cardholder + zero + person)
}
func retroKey(group string, seq uint64, cardholder, person string) []byte {
	return []byte(fileScoped("r", group, seq) + cardholder + zero + person)
}
func policyHeadKey(group, cardholder string) []byte {
	return []byte("pv" + zero + group + zero + cardholder)
}
func versionPrefix(group, cardholder string) string {
	return "v" + zero + group + zero + cardholder + zero
}
func versionKey(group, cardholder string, v uint64) []byte {
	return []byte(versionPrefix(group, cardholder) + u64(v))
}
func pendingFileKey(group string, seq uint64, cardholder string) []byte {
	return []byte(fileScoped("pf", group, seq) + cardholder)
}

// keptKey marks a family a rewind left with no member that the adjudicator
// kept, with no coverage, because it has paid claims.
func keptKey(group string, seq uint64, cardholder string) []byte {
	return []byte(fileScoped("kept", group, seq) + cardholder)
}
func outboxKey(seq uint64) []byte { return []byte("o" + zero + u64(seq)) }
func lockKey(group string) []byte { return []byte("lock" + zero + group) }

var (
	outboxSeqKey = []byte("oseq")
	ackKey       = []byte("ack")
	outboxPrefix = "o" + zero
)

// upper returns the smallest key after every key with the prefix.
func upper(prefix string) []byte {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}

// reader is what the loader reads through: the database or an indexed batch.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

func get(r reader, key []byte) ([]byte, error) {
	v, c, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), v...)
	return out, c.Close()
}

func getJSON(r reader, key []byte, v any) (bool, error) {
	b, err := get(r, key)
	if err != nil || b == nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("stored %q: %w", key[:1], err)
	}
	return true, nil
}

func setJSON(b *pebble.Batch, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Set(key, data, nil)
}

// scan calls fn for each key with the prefix, in order (reverse when asked).
func scan(r reader, prefix string, reverse bool, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: []byte(prefix), UpperBound: upper(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	ok := it.First()
	next := it.Next
	if reverse {
		ok, next = it.Last(), it.Prev
	}
	for ; ok; ok = next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

var errStop = errors.New("stop")
