package store

import (
	"fmt"
	"testing"
)

// TestByteCache: the cache holds at most its bytes, evicting the least
// recently used entries; a replaced value is counted once; a value too
// big for it is not held, nor is the older value of its key; nil (an
// absent value) is held and told apart from a miss.
func TestByteCache(t *testing.T) {
	c := newByteCache(10 * (100 + 2 + entryOverhead)) // ten entries of 100 bytes under two-byte keys
	val := make([]byte, 100)
	for i := range 12 {
		c.add(fmt.Sprintf("%02d", i), val)
	}
	if n, b := c.size(); n != 10 || b != c.max {
		t.Fatalf("after 12 adds: %d entries, %d bytes; want 10 and %d", n, b, c.max)
	}
	if _, ok := c.get("00"); ok {
		t.Error("the least recently used entry is still held")
	}
	c.get("02") // now the most recently used
	c.add("12", val)
	if _, ok := c.get("02"); !ok {
		t.Error("an entry just read was evicted")
	}
	if _, ok := c.get("03"); ok {
		t.Error("the least recently used entry is still held")
	}
	c.add("02", make([]byte, 50)) // replaced, smaller
	if n, b := c.size(); n != 10 || b != c.max-50 {
		t.Errorf("after a replacement: %d entries, %d bytes; want 10 and %d", n, b, c.max-50)
	}
	c.add("02", make([]byte, c.max/8)) // too big: not held, and the old value goes
	if v, ok := c.get("02"); ok {
		t.Errorf("a value over an eighth of the cache is held (%d bytes)", len(v))
	}
	c.add("absent", nil)
	if v, ok := c.get("absent"); !ok || v != nil {
		t.Errorf("an absent value reads %v, %v; want nil, held", v, ok)
	}
	c.remove("absent")
	if _, ok := c.get("absent"); ok {
		t.Error("a removed entry is still held")
	}
	if n, b := c.size(); n != 9 || b != 9*(102+entryOverhead) {
		t.Errorf("at the end: %d entries, %d bytes", n, b)
	}
}
