package adjudicator

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// RetroRunner runs the RUNNING retro jobs in the background, a few at a
// time (RetroRunnerOptions.Workers), each on the claim path's locks like
// any claim and giving way between families (runRetro). It looks for jobs
// when it starts, when woken (Wake, after a job is submitted) and every
// Poll: so a restarted server resumes its unfinished jobs, and an
// instance sharing a database takes on a job whose instance died (its
// lock went with its connection) at its next poll. A job held elsewhere
// (ErrBusy) is tried again at the next poll.
type RetroRunner struct {
	e       *Engine
	log     *slog.Logger
	workers int
	poll    time.Duration
	wake    chan struct{}
}

// RetroRunnerOptions configure a RetroRunner; zero values take defaults.
type RetroRunnerOptions struct {
	Workers int           // jobs run at once; default 1
	Poll    time.Duration // how often to look for jobs; default 10s
	Logger  *slog.Logger  // default slog.Default()
}

// NewRetroRunner returns a runner of e's retro jobs; Run runs it.
func NewRetroRunner(e *Engine, o RetroRunnerOptions) *RetroRunner {
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &RetroRunner{e: e, log: o.Logger, workers: o.Workers, poll: o.Poll, wake: make(chan struct{}, 1)}
}

// Wake makes the runner look for jobs now.
func (r *RetroRunner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run runs jobs until ctx ends, then waits for the jobs running to stop
// (each stops at its next claim transaction and stays RUNNING).
func (r *RetroRunner) Run(ctx context.Context) {
	if _, ok := r.e.retroStore(); !ok {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	type ended struct {
		id     string
		failed bool
	}
	finished := make(chan ended)
	running := map[string]bool{}
	later := map[string]bool{} // stopped by an error: tried again at the next poll
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case end := <-finished:
			delete(running, end.id)
			if end.failed {
				later[end.id] = true
			}
		case <-r.wake:
		case <-timer.C:
			clear(later)
			timer.Reset(r.poll)
		}
		if len(running) == r.workers {
			continue
		}
		ids, err := r.jobs(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("retro runner: listing jobs", "error", err)
			}
			continue
		}
		for _, id := range ids {
			if len(running) == r.workers {
				break
			}
			if running[id] || later[id] {
				continue
			}
			running[id] = true
			wg.Go(func() {
				end := ended{id: id, failed: !r.run(ctx, id)}
				select {
				case finished <- end:
				case <-ctx.Done():
				}
			})
		}
	}
}

func (r *RetroRunner) jobs(ctx context.Context) ([]string, error) {
	rs, _ := r.e.retroStore()
	return rs.RunningRetroJobs(ctx)
}

// run runs one job and logs how it ended (job IDs name no member); it
// reports whether the run ended without an error.
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
	return err == nil
}
