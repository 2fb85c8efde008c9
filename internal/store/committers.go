package store

import "sync"

// committers runs commits (applyBatch's goroutine) on goroutines kept from
// earlier commits. A new goroutine starts with a small stack and grows it,
// copying it each time, through Pebble's commit path; a kept one has grown
// it already. When no kept goroutine is idle, a commit runs on a new one,
// which is kept afterwards: a commit stuck in Pebble holds only its own
// goroutine, as before, and the goroutines kept are at most the commits
// that were ever in flight at once.
type committers struct {
	idle chan func()   // unbuffered: a send succeeds only to an idle goroutine
	done chan struct{} // closed when the store closes: the idle ones exit
	// close lets the idle goroutines exit; a commit run after it still runs.
	close func()
}

func newCommitters() *committers {
	done := make(chan struct{})
	return &committers{idle: make(chan func()), done: done, close: sync.OnceFunc(func() { close(done) })}
}

// run runs f on an idle goroutine, or on a new one.
func (c *committers) run(f func()) {
	select {
	case c.idle <- f:
	default:
		go c.loop(f)
	}
}

func (c *committers) loop(f func()) {
	for {
		f()
		select {
		case f = <-c.idle:
		case <-c.done:
			return
		}
	}
}
