package store

import "sync"

// docFlight tracks, per accumulator document, the commits and cache-miss
// reads in flight, so that the document cache is correct whatever the
// callers lock. The invariant: the cache never holds a value of a document
// older than the one on disk. It holds because
//
//   - a commit publishes its value to the cache only after its batch is
//     durable, and only if no other commit of the document overlapped it
//     (then no later-written value can already be on disk or in the cache;
//     a commit that starts later publishes after it). A commit that did
//     overlap another evicts the document instead, since which of the two
//     reached the disk last is not known here;
//   - a read that missed the cache adds what it read from disk only if no
//     commit of the document began or ended while it read (the epoch did
//     not move) and none is in flight, so the disk value it read is still
//     the latest.
//
// A commit also evicts its documents before it writes them, so that reads
// are monotonic: while it is in flight every read goes to the disk, which
// shows the old value until the batch lands and the new one after; no
// read can see the new value and a later read the old one from the cache.
//
// Every change to the cache for a key is made under mu, after the checks.
// Cache hits take no lock of docFlight's: it is only on the miss and
// commit paths.
type docFlight struct {
	mu   sync.Mutex
	keys map[string]docKeyFlight // documents with a commit or a miss in flight
}

// docKeyFlight is the flight state of one document, dropped when nothing
// is in flight.
type docKeyFlight struct {
	commits   int    // commits of the document between beginCommit and endCommit
	reads     int    // cache-miss reads between beginRead and endRead
	epoch     uint64 // moves at every beginCommit and endCommit
	contended bool   // two commits overlapped since commits was last zero
}

// update applies fn to the flight state of k under mu, and drops the
// state once nothing is in flight.
func (f *docFlight) update(k string, fn func(st *docKeyFlight)) {
	st := f.keys[k]
	fn(&st)
	if st.commits == 0 && st.reads == 0 {
		delete(f.keys, k)
	} else {
		f.keys[k] = st
	}
}

// beginRead registers a cache-miss read of k and returns its epoch.
func (f *docFlight) beginRead(k string) (epoch uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.update(k, func(st *docKeyFlight) {
		st.reads++
		epoch = st.epoch
	})
	return epoch
}

// endRead ends a read begun at epoch, calling cache (when not nil) if the
// value read may be cached.
func (f *docFlight) endRead(k string, epoch uint64, cache func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.update(k, func(st *docKeyFlight) {
		st.reads--
		if cache != nil && st.commits == 0 && st.epoch == epoch {
			cache()
		}
	})
}

// beginCommit registers a commit of the documents keys, before its batch
// is written, calling evict for each key under the lock.
func (f *docFlight) beginCommit(keys []string, evict func(k string)) {
	if len(keys) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		evict(k)
		f.update(k, func(st *docKeyFlight) {
			st.commits++
			st.epoch++
			st.contended = st.contended || st.commits > 1
		})
	}
}

// endCommit ends a commit of keys, once its batch is written or failed,
// calling publish for each key under the lock with whether another commit
// of it overlapped this one.
func (f *docFlight) endCommit(keys []string, publish func(i int, contended bool)) {
	if len(keys) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range keys {
		f.update(k, func(st *docKeyFlight) {
			publish(i, st.contended)
			st.commits--
			st.epoch++
			st.contended = st.contended && st.commits > 0
		})
	}
}
