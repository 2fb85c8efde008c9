package store

import (
	"math"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// byteCache is a least-recently-used cache of encoded values bounded by
// their bytes rather than their count: what it holds (members' history
// summaries) ranges from tens of bytes to tens of kilobytes, so a count
// would not bound its memory. A nil value is kept too (the key's absence).
// Values are never changed once added: callers read them, never write.
type byteCache struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[string, []byte]
	bytes int64 // held, keys and values and entryOverhead each
	max   int64
}

// entryOverhead is what an entry costs beyond its key and value: the
// list element, the map slot and the slice headers, about.
const entryOverhead = 96

func newByteCache(max int64) *byteCache {
	c := &byteCache{max: max}
	c.lru, _ = simplelru.NewLRU(math.MaxInt32, func(k string, v []byte) { c.bytes -= entryBytes(k, v) })
	return c
}

func entryBytes(k string, v []byte) int64 { return int64(len(k) + len(v) + entryOverhead) }

// get returns the value of k and whether it is held.
func (c *byteCache) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(k)
}

// add holds v as the value of k, evicting the least recently used
// entries beyond max. A value bigger than an eighth of max is not held
// (nor is an older value of k): one entry never empties the cache.
func (c *byteCache) add(k string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(k)
	n := entryBytes(k, v)
	if n > c.max/8 {
		return
	}
	c.lru.Add(k, v)
	c.bytes += n
	for c.bytes > c.max {
		c.lru.RemoveOldest()
	}
}

// remove drops k.
func (c *byteCache) remove(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(k)
}

// size returns the entries and bytes held.
func (c *byteCache) size() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}
