package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rxclaims/rxclaims/internal/buildinfo"
	"github.com/rxclaims/rxclaims/internal/metricshttp"
	"github.com/rxclaims/rxclaims/loader"
)

// RunCmd watches the inbox and syncs until stopped.
type RunCmd struct {
	MetricsAddr    string        `default:":9103" env:"RXCLAIMS_LOADER_METRICS_ADDR" help:"Prometheus /metrics listen address (\"-\" disables)."`
	Poll           time.Duration `default:"2s" help:"Inbox scan interval."`
	LoadingTimeout time.Duration `default:"1h" env:"RXCLAIMS_LOADER_LOADING_TIMEOUT" help:"Reject an inbox file whose records stop arriving, or whose header line does not arrive, for this long."`
}

// Run runs the loader until ctx ends.
func (c *RunCmd) Run(ctx context.Context, g *Globals) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := buildinfo.Register(reg); err != nil {
		return err
	}
	if c.LoadingTimeout <= 0 {
		return errors.New("--loading-timeout must be positive")
	}
	g.loadingTimeout = c.LoadingTimeout
	s, err := g.open(reg, c.Poll)
	// A one-off command (status, say) holds the state for a moment: wait
	// for it, a little.
	for wait := 10 * time.Second; errors.Is(err, loader.ErrLocked) && wait > 0; wait -= 100 * time.Millisecond {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
		s, err = g.open(reg, c.Poll)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	_, stopMetrics, err := metricshttp.Serve(c.MetricsAddr, reg, s.log, false)
	if err != nil {
		return err
	}
	defer stopMetrics()
	s.log.Info("loader running", "inbox", s.Inbox(), "adjudicator", g.Adjudicator)
	return s.Loader.Run(ctx)
}

// ApplyCmd stages, processes and syncs one file.
type ApplyCmd struct {
	File string `arg:"" help:"The file to apply (.csv or .jsonl)."`
}

// Run applies the file and prints its status and bad records.
func (c *ApplyCmd) Run(ctx context.Context, g *Globals) error {
	s, err := g.open(nil, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	f, err := s.ApplyFile(ctx, c.File)
	if f != nil {
		loader.WriteFile(g.stdout, s.Loader, f)
	}
	if err != nil {
		return err
	}
	return s.syncAfter(ctx)
}

// StatusCmd lists files and the outbox.
type StatusCmd struct {
	Group string `help:"Only this group's files."`
}

// Run prints the status, from the running loader when `loader run` holds
// the state.
func (c *StatusCmd) Run(ctx context.Context, g *Globals) error {
	group := strings.ToUpper(c.Group)
	s, err := g.openOrControl(ctx, loader.ControlRequest{Command: "status", Group: group})
	if s == nil || err != nil {
		return err
	}
	defer s.Close()
	return loader.WriteStatus(g.stdout, s.Loader, group)
}

// RewindCmd undoes a file and the group's later files.
type RewindCmd struct {
	Group string `required:"" help:"The file's group."`
	Seq   uint64 `required:"" help:"The file's sequence within the group."`
}

// Run rewinds, prints the rewound files, syncs, and names the families
// the adjudicator kept.
func (c *RewindCmd) Run(ctx context.Context, g *Globals) error {
	if c.Seq == 0 {
		return errors.New("rewind needs --group and --seq")
	}
	s, err := g.open(nil, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	group := strings.ToUpper(c.Group)
	if err := s.Rewind(ctx, group, c.Seq); err != nil {
		return err
	}
	files, err := s.Files(group)
	if err != nil {
		return err
	}
	loader.WriteRewound(g.stdout, files, group, c.Seq)
	if err := s.syncAfter(ctx); err != nil {
		return err
	}
	return loader.WriteKept(g.stdout, s.Loader, files, c.Seq)
}

// RetroCmd lists the paid claims a file's back-dated changes affect and,
// with --readjudicate, has the adjudicator re-adjudicate them.
type RetroCmd struct {
	Group        string `required:"" help:"The file's group."`
	Seq          uint64 `required:"" help:"The file's sequence within the group."`
	Readjudicate bool   `help:"Reverse the affected claims and bill them again under the new enrollment (the adjudicator's retro jobs; safe to run again)."`
}

// Run prints the affected claims, one JSON object a line.
func (c *RetroCmd) Run(ctx context.Context, g *Globals) error {
	s, err := g.open(nil, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	aff, err := s.Retro(ctx, strings.ToUpper(c.Group), c.Seq, c.Readjudicate)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(g.stdout)
	for _, a := range aff {
		if err := enc.Encode(a); err != nil {
			return err
		}
	}
	return nil
}

// SyncCmd sends the outbox.
type SyncCmd struct{}

// Run syncs once.
func (c *SyncCmd) Run(ctx context.Context, g *Globals) error {
	s, err := g.open(nil, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.syncAfter(ctx)
}

// BenchCmd measures the family file pipeline.
type BenchCmd struct {
	Records int `default:"1000000" help:"Records to generate."`
}

// Run generates and applies the file in a temporary directory under --dir.
func (c *BenchCmd) Run(ctx context.Context, g *Globals) error {
	if err := os.MkdirAll(g.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(g.Dir, "bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	res, err := loader.Bench(ctx, tmp, c.Records, progressFor(g.stderr))
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "%d family records validated and applied in %s: %.0f records/s (heap in use after: %.0f MiB)\n%s\n",
		res.Records, res.Elapsed.Round(time.Millisecond), res.PerSecond, res.HeapMB, res.Status)
	return nil
}
