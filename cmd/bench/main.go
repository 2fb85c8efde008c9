// Command bench runs the capacity-planning benchmark suite against a fresh
// adjudicator and writes report.json, report.md and PNG plots.
//
//	go run ./cmd/bench --short                  # a few minutes on two cores
//	go run ./cmd/bench --preset medium --out m  # about ten minutes, 100,000 members
//	go run ./cmd/bench --preset full            # the DESIGN.md scale targets; hours
//	go run ./cmd/bench --render m --p99-bound 50ms # m/report.md again, capacity at another bound
//	go run ./cmd/bench --version
//
// A preset sets every figure; flags given on the command line override it.
// This main only reads the command line; package bench does the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rxclaims/rxclaims/bench"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, cli.ErrExited) {
		msg := err.Error()
		if !strings.HasPrefix(msg, "bench: ") { // the bench package's errors name it already
			msg = "bench: " + msg
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
}

// flags is the command line. The figures are pointers: nil when not
// given, so only the flags on the command line override the preset.
type flags struct {
	Preset               string           `name:"preset" default:"short" enum:"short,medium,full" help:"short, medium or full."`
	Short                bool             `name:"short" help:"The short preset (the same as --preset short)."`
	Out                  string           `name:"out" default:"bench-out" help:"Directory for report.json, report.md, plots and server logs."`
	Seed                 *uint64          `name:"seed" help:"Seed of the population and claim mix."`
	Members              *int             `name:"members" help:"Members of the load steps' population."`
	Pharmacies           *int             `name:"pharmacies" help:"Pharmacies."`
	DrugPairs            *int             `name:"drug-pairs" help:"Generated brand/generic drug pairs."`
	History              *int             `name:"history" help:"Claims of history billed before measuring."`
	Warmup               *int             `name:"warmup" help:"Warm-up claims billed before measuring."`
	Concurrency          *string          `name:"concurrency" help:"Closed-loop concurrencies, comma separated."`
	Rates                *string          `name:"rates" help:"Open-loop rates in claims/s, comma separated."`
	Step                 *time.Duration   `name:"step" help:"Duration of each claims step."`
	Baseline             *time.Duration   `name:"baseline" help:"Duration of each empty-RPC step."`
	MaxInFlight          *int             `name:"max-in-flight" help:"Open loop: calls outstanding at most."`
	Conns                *int             `name:"conns" help:"gRPC connections."`
	P99Bound             *time.Duration   `name:"p99-bound" help:"Latency bound of the capacity line (default 50ms)."`
	Repeat               *int             `name:"repeat" help:"Rounds of the load steps (the report gives the median and the min-max); 3 in every preset."`
	ScaleMembers         *string          `name:"scale-members" help:"Members of each case of the members curve; - for none."`
	ScaleHistory         *string          `name:"scale-history" help:"History claims of each case of the history curve; - for none."`
	ScaleHistoryMembers  *int             `name:"scale-history-members" help:"Members of the history curve's cases."`
	ScaleEdits           *string          `name:"scale-edits" help:"Active edits of each case of the edits curve; - for none."`
	ScaleTLS             *bool            `name:"scale-tls" negatable:"" help:"Measure the transport dimension: the claim path over plaintext and over mutual TLS (on in every preset)."`
	ScaleConcurrency     *int             `name:"scale-concurrency" help:"Closed-loop concurrency of the scale cases."`
	ScaleRate            *float64         `name:"scale-rate" help:"Open-loop rate of the scale cases."`
	PostgresDSN          string           `name:"postgres-dsn" placeholder:"DSN" help:"Also measure the claim's storage transaction in this PostgreSQL database (in a schema of its own, dropped afterwards)."`
	HistoryThroughServer bool             `name:"history-through-server" help:"Bill the history through the server over gRPC (slow); by default the engine bills it in this process on the server's data directory before the server starts, fsync off for that setup only."`
	KeepData             bool             `name:"keep-data" help:"Keep each server's Pebble store and bundle under --out (removed after each step by default)."`
	SeedCache            string           `name:"seed-cache" placeholder:"DIR" help:"Keep each seeded history store in DIR and reuse it when a later run seeds the same population, seed and history (a copy: SST files hard-linked, the rest copied)."`
	Today                string           `name:"today" placeholder:"YYYY-MM-DD" help:"The day the load's claims reach and the population's dates are drawn from (default: today, UTC). Pin it, up to ${max_today_age} days back, to reuse --seed-cache stores on later days: their key holds the bundle, whose dates follow it."`
	InProcess            bool             `name:"in-process" help:"Run the adjudicator in this process (CPU figures then include the client)."`
	Adjudicator          string           `name:"adjudicator" placeholder:"BIN" help:"Adjudicator binary to start; empty builds cmd/adjudicator with go build."`
	Render               string           `name:"render" placeholder:"DIR" help:"Write report.md and the plots again from DIR/report.json (with --p99-bound: for that bound) and exit."`
	Version              kong.VersionFlag `name:"version" help:"Print the version and exit."`
}

const description = "Run the capacity-planning benchmark suite against a fresh adjudicator and write report.json, report.md and PNG plots. A preset sets every figure; flags given on the command line override it."

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f flags
	if err := parse(&f, args, stdout, stderr); err != nil {
		return err
	}
	if f.Render != "" {
		var bound time.Duration
		set(&bound, f.P99Bound)
		r, err := bench.Render(f.Render, bound)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, r.Capacity.Text)
		return nil
	}
	o, err := f.options()
	if err != nil {
		return err
	}
	o.Progress, o.Terminal = stderr, isTerminal(stderr)
	return runAndReport(ctx, o, args, stdout)
}

// parse reads the command line into f.
func parse(f *flags, args []string, stdout, stderr io.Writer) error {
	_, err := cli.Parse("bench", f, args, stdout, stderr, kong.Description(description),
		kong.Vars{"max_today_age": strconv.Itoa(bench.MaxTodayAge)})
	return err
}

// options is the preset with the figures given on the command line.
func (f *flags) options() (bench.Options, error) {
	if f.Short {
		f.Preset = "short"
	}
	o := bench.Presets[f.Preset]()
	set(&o.Seed, f.Seed)
	set(&o.Members, f.Members)
	set(&o.Pharmacies, f.Pharmacies)
	set(&o.DrugPairs, f.DrugPairs)
	set(&o.History, f.History)
	set(&o.Warmup, f.Warmup)
	set(&o.StepDuration, f.Step)
	set(&o.BaselineDuration, f.Baseline)
	set(&o.MaxInFlight, f.MaxInFlight)
	set(&o.Conns, f.Conns)
	set(&o.P99Bound, f.P99Bound)
	set(&o.Repeat, f.Repeat)
	set(&o.ScaleHistoryMembers, f.ScaleHistoryMembers)
	set(&o.ScaleConcurrency, f.ScaleConcurrency)
	set(&o.ScaleTLS, f.ScaleTLS)
	set(&o.ScaleRate, f.ScaleRate)
	err := errors.Join(
		setList(&o.Concurrency, "concurrency", f.Concurrency, ints),
		setList(&o.Rates, "rates", f.Rates, floats),
		setList(&o.ScaleMembers, "scale-members", f.ScaleMembers, ints),
		setList(&o.ScaleHistory, "scale-history", f.ScaleHistory, ints),
		setList(&o.ScaleEdits, "scale-edits", f.ScaleEdits, ints),
	)
	o.OutDir, o.InProcess, o.AdjudicatorBin, o.KeepData, o.PostgresDSN, o.SeedCache = f.Out, f.InProcess, f.Adjudicator, f.KeepData, f.PostgresDSN, f.SeedCache
	o.HistoryThroughServer = f.HistoryThroughServer
	if f.Today != "" {
		d, derr := domain.ParseDate(f.Today)
		if derr != nil {
			derr = fmt.Errorf("--today: %w", derr)
		}
		o.Today, err = d, errors.Join(err, derr)
	}
	return o, err
}

// set overrides *dst with *v when the flag was given.
func set[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// setList overrides *dst with the list flag name, when given.
func setList[T any](dst *[]T, name string, v *string, parse func(name, s string) ([]T, error)) error {
	if v == nil {
		return nil
	}
	list, err := parse(name, *v)
	if err == nil {
		*dst = list
	}
	return err
}

// runAndReport runs the suite and writes its report again with the
// command line in it.
func runAndReport(ctx context.Context, o bench.Options, args []string, stdout io.Writer) error {
	start := time.Now()
	o.Command = strings.Join(append([]string{"go run ./cmd/bench"}, redactDSN(args)...), " ")
	r, err := bench.Run(ctx, o)
	if r == nil {
		return err
	}
	r.Command = o.Command
	// Run wrote the report; write it again with the command line in it.
	if werr := r.WriteJSON(filepath.Join(o.OutDir, "report.json")); werr != nil {
		return errors.Join(err, werr)
	}
	if werr := os.WriteFile(filepath.Join(o.OutDir, "report.md"), []byte(r.Markdown()), 0o644); werr != nil {
		return errors.Join(err, werr)
	}
	fmt.Fprintf(stdout, "%s\n%s written in %s\n", r.Capacity.Text, filepath.Join(o.OutDir, "report.md"), time.Since(start).Round(time.Second))
	return err
}

// redactDSN replaces the value of --postgres-dsn, which may hold a
// password, in the command line the report records.
func redactDSN(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		switch {
		case a == "--postgres-dsn" && i+1 < len(out):
			out[i+1] = "DSN"
		case strings.HasPrefix(a, "--postgres-dsn="):
			out[i] = "--postgres-dsn=DSN"
		}
	}
	return out
}

// ints parses a comma-separated list; "-" is the empty list.
func ints(name, s string) ([]int, error) {
	if s == "-" {
		return []int{}, nil
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f), "_", ""))
		if err != nil {
			return nil, fmt.Errorf("--%s: %q is not a whole number", name, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func floats(name, s string) ([]float64, error) {
	n, err := ints(name, s)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(n))
	for i, v := range n {
		out[i] = float64(v)
	}
	return out, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
