package loader

import (
	"math/rand/v2"
	"time"
)

// backoff spaces retries: the ceiling doubles from base to max after each
// failure, and each wait is drawn with equal jitter (half the ceiling plus
// a random part of the other half), so loaders that failed together do not
// retry together.
type backoff struct {
	base, max time.Duration
	ceiling   time.Duration
	// randN returns a random int64 in [0, n); tests inject their own.
	randN func(n int64) int64
}

func newBackoff(base, max time.Duration, randN func(int64) int64) *backoff {
	if randN == nil {
		randN = rand.Int64N
	}
	return &backoff{base: base, max: max, ceiling: base, randN: randN}
}

// next is the wait before the next retry; it raises the ceiling.
func (b *backoff) next() time.Duration {
	half := b.ceiling / 2
	wait := half + time.Duration(b.randN(int64(b.ceiling-half)+1))
	b.ceiling = min(b.ceiling*2, b.max)
	return wait
}

// reset starts again from base after a success.
func (b *backoff) reset() { b.ceiling = b.base }
