package bench

import (
	"fmt"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows how far a long phase is: a bar on a terminal, plain
// lines (at most one every five seconds) otherwise.
type progress struct {
	o     Options
	what  string
	total int64
	start time.Time
	// terminal
	p   *mpb.Progress
	bar *mpb.Bar
	// plain
	lastLine time.Time
}

func newProgress(o Options, what string, total int64) *progress {
	pr := &progress{o: o, what: what, total: total, start: time.Now(), lastLine: time.Now()}
	if o.Terminal {
		pr.p = mpb.New(mpb.WithOutput(o.Progress), mpb.WithWidth(60), mpb.WithAutoRefresh()) // Terminal says it is one
		pr.bar = pr.p.AddBar(total,
			mpb.PrependDecorators(decor.Name(what+" ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" "), decor.AverageSpeed(0, "%.0f claims/s", decor.WCSyncSpace),
				decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_MMSS)),
		)
		return pr
	}
	fmt.Fprintf(o.Progress, "bench: %s: %d claims\n", what, total)
	return pr
}

func (pr *progress) set(n int64) {
	if pr.bar != nil {
		pr.bar.SetCurrent(n)
		return
	}
	if time.Since(pr.lastLine) >= 5*time.Second {
		pr.lastLine = time.Now()
		pr.line(n)
	}
}

func (pr *progress) line(n int64) {
	secs := time.Since(pr.start).Seconds()
	fmt.Fprintf(pr.o.Progress, "bench: %s: %d / %d claims (%.0f %%), %.0f claims/s\n", pr.what, n, pr.total, 100*float64(n)/float64(max(pr.total, 1)), float64(n)/secs)
}

func (pr *progress) finish(n int64) {
	if pr.bar != nil {
		pr.bar.SetCurrent(n)
		if n < pr.total {
			pr.bar.Abort(false)
		}
		pr.p.Wait()
		return
	}
	pr.line(n)
}
