// Package state is the loader's own Pebble keyspace and its storage
// primitives: the key of each kind of record (keys.go), reads, writes and
// prefix scans through a database or an indexed batch (store.go), the
// journal's entries (journal.go) and the outbox's numbered batches and
// acknowledged position (outbox.go).
//
// It holds no orchestration: what a journal entry or an outbox batch means,
// when a file is applied or rewound and when the outbox is sent are the
// loader package's.
package state
