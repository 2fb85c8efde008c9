package adjudicator

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// RetroRunner runs the RUNNING retro jobs in the background, one at a
// time in the order they were submitted (RunRetroJob), each on the claim
// path's locks like any claim and giving way between families (runRetro).
// It looks for jobs when it starts, when woken (Wake, after a job is
// submitted), when a job ends, and every Poll: so a restarted server
// resumes its unfinished jobs, and an instance sharing a database takes on
// a job whose instance died (its locks went with its connection) at its
// next poll. A job that stopped on an error retrying may mend, or is held
// elsewhere (ErrBusy), is tried again at the next poll; the jobs submitted
// after it wait for it.
type RetroRunner struct {
	e    *Engine
	log  *slog.Logger
	poll time.Duration
	wake chan struct{}
}

// RetroRunnerOptions configure a RetroRunner; zero values take defaults.
type RetroRunnerOptions struct {
	Poll   time.Duration // how often to look for jobs; default DefaultRetroPoll
	Logger *slog.Logger  // default slog.Default()
}

// DefaultRetroPoll is how often a RetroRunner looks for jobs by default.
const DefaultRetroPoll = 10 * time.Second

// NewRetroRunner returns a runner of e's retro jobs; Run runs it.
func NewRetroRunner(e *Engine, o RetroRunnerOptions) *RetroRunner {
	if o.Poll <= 0 {
		o.Poll = DefaultRetroPoll
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &RetroRunner{e: e, log: o.Logger, poll: o.Poll, wake: make(chan struct{}, 1)}
}

// Wake makes the runner look for jobs now.
func (r *RetroRunner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run runs jobs until ctx ends, then waits for the job running to stop (it
// stops at its next claim transaction and stays RUNNING).
func (r *RetroRunner) Run(ctx context.Context) {
	if _, ok := r.e.retroStore(); !ok {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	finished := make(chan bool) // a run ended; whether without an error
	running := false
	later := false // the first job stopped on an error: tried again at the next poll
	listFailing := false
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ok := <-finished:
			running, later = false, !ok
		case <-r.wake:
		case <-timer.C:
			later = false
			timer.Reset(r.poll)
		}
		if running || later {
			continue
		}
		queue, err := r.e.retroQueue(ctx, r.rs())
		if err != nil {
			// Logged once until listing works again: a failed store
			// fails every poll until restart.
			if ctx.Err() == nil && !listFailing {
				r.log.Warn("retro runner: listing jobs (not logged again until it works)", "error", err)
			}
			listFailing = true
			continue
		}
		listFailing = false
		if len(queue) == 0 {
			continue
		}
		id := queue[0].ID
		running = true
		wg.Go(func() {
			ok := r.run(ctx, id)
			select {
			case finished <- ok:
			case <-ctx.Done():
			}
		})
	}
}

func (r *RetroRunner) rs() RetroStore {
	rs, _ := r.e.retroStore()
	return rs
}

// run runs one job and logs how it ended (job IDs name no member); it
// reports whether the job ended (DONE or FAILED), so the next may run.
func (r *RetroRunner) run(ctx context.Context, id string) bool {
	err := r.e.RunRetroJob(ctx, id)
	switch {
	case err == nil:
		r.log.Info("retro job run ended", "job", id)
	case ctx.Err() != nil:
		r.log.Info("retro job stopped by shutdown; it resumes when the server starts", "job", id)
	case errors.Is(err, ErrBusy):
		r.log.Debug("retro job is running elsewhere", "job", id)
	case retryable(err):
		r.log.Warn("retro job stopped; it resumes at the next poll or start", "job", id, "error", err)
	default:
		r.log.Error("retro job failed", "job", id, "error", err)
	}
	return err == nil || !retryable(err)
}
