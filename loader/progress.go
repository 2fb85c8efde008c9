package loader

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Progress shows how processing advances.
type Progress interface {
	Start(name string, total int) Bar
}

// Bar is one task's progress.
type Bar interface {
	Add(n int)
	Done()
}

type nopBar struct{}

func (nopBar) Add(int) {}
func (nopBar) Done()   {}

func (l *Loader) progress(name string, total int) Bar {
	if l.opts.Progress == nil {
		return nopBar{}
	}
	return l.opts.Progress.Start(name, total)
}

// TerminalProgress draws an mpb progress bar with rate and ETA per task.
type TerminalProgress struct{ W io.Writer }

// Start implements Progress.
func (t TerminalProgress) Start(name string, total int) Bar {
	p := mpb.New(mpb.WithOutput(t.W), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	b := p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(name+" "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.AverageSpeed(nil, " %.0f rec/s"), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)),
	)
	return &mpbBar{p: p, b: b, total: int64(total)}
}

type mpbBar struct {
	p     *mpb.Progress
	b     *mpb.Bar
	total int64
}

func (m *mpbBar) Add(n int) { m.b.IncrBy(n) }
func (m *mpbBar) Done() {
	if m.b.Current() < m.total {
		m.b.SetTotal(m.b.Current(), true)
	} else {
		m.b.SetTotal(m.total, true)
	}
	m.p.Wait()
}

// LineProgress writes a plain progress line every Every (default 5s) and
// one at the end: for logs and pipes, where a bar cannot be drawn.
type LineProgress struct {
	W     io.Writer
	Every time.Duration
}

// Start implements Progress.
func (lp LineProgress) Start(name string, total int) Bar {
	every := lp.Every
	if every == 0 {
		every = 5 * time.Second
	}
	now := time.Now()
	return &lineBar{w: lp.W, name: name, total: total, every: every, start: now, last: now}
}

type lineBar struct {
	mu          sync.Mutex
	w           io.Writer
	name        string
	total, n    int
	every       time.Duration
	start, last time.Time
}

func (b *lineBar) Add(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += n
	if now := time.Now(); now.Sub(b.last) >= b.every {
		b.last = now
		b.print(now, false)
	}
}

func (b *lineBar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.print(time.Now(), true)
}

func (b *lineBar) print(now time.Time, done bool) {
	el := now.Sub(b.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(b.n) / el
	}
	if done {
		fmt.Fprintf(b.w, "%s: %d records in %.1fs (%.0f/s)\n", b.name, b.n, el, rate)
		return
	}
	eta := "?"
	if rate > 0 && b.total >= b.n {
		eta = (time.Duration(float64(b.total-b.n)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "%s: %d/%d records (%.0f%%), %.0f/s, ETA %s\n", b.name, b.n, b.total, 100*float64(b.n)/float64(max(b.total, 1)), rate, eta)
}
