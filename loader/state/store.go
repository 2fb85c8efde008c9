package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// Upper returns the smallest key after every key with the prefix.
func Upper(prefix string) []byte {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}

// Reader is what the loader reads through: the database or an indexed batch.
type Reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// Get returns a copy of key's value, or nil when it is absent.
func Get(r Reader, key []byte) ([]byte, error) {
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

// GetJSON decodes key's value into v; false when it is absent.
func GetJSON(r Reader, key []byte, v any) (bool, error) {
	b, err := Get(r, key)
	if err != nil || b == nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("stored %q: %w", key[:1], err)
	}
	return true, nil
}

// SetJSON sets key to v as JSON in b.
func SetJSON(b *pebble.Batch, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Set(key, data, nil)
}

// Scan calls fn for each key with the prefix, in order (reverse when asked).
func Scan(r Reader, prefix string, reverse bool, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: []byte(prefix), UpperBound: Upper(prefix)})
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

// ErrStop, returned by a Scan callback, ends the scan early.
var ErrStop = errors.New("stop")
