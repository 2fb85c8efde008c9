// Command bench runs the capacity-planning benchmark suite against a fresh
// adjudicator and writes report.json, report.md and PNG plots.
//
//	go run ./cmd/bench --short                  # under a minute on two cores
//	go run ./cmd/bench --preset medium --out m  # about ten minutes, 100,000 members
//	go run ./cmd/bench --preset full            # the ARCHITECTURE.md scale targets; hours
//	go run ./cmd/bench --render m --p99-bound 50ms # m/report.md again, capacity at another bound
//
// A preset sets every figure; flags given on the command line override it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rxclaims/rxclaims/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	preset := fs.String("preset", "short", "short, medium or full")
	short := fs.Bool("short", false, "the short preset (the same as --preset short)")
	out := fs.String("out", "bench-out", "directory for report.json, report.md, plots and server logs")
	seed := fs.Uint64("seed", 0, "seed of the population and claim mix")
	members := fs.Int("members", 0, "members of the load steps' population")
	pharmacies := fs.Int("pharmacies", 0, "pharmacies")
	drugPairs := fs.Int("drug-pairs", 0, "generated brand/generic drug pairs")
	history := fs.Int("history", 0, "claims of history billed before measuring")
	warmup := fs.Int("warmup", 0, "warm-up claims billed before measuring")
	concurrency := fs.String("concurrency", "", "closed-loop concurrencies, comma separated")
	rates := fs.String("rates", "", "open-loop rates in claims/s, comma separated")
	step := fs.Duration("step", 0, "duration of each claims step")
	baseline := fs.Duration("baseline", 0, "duration of each empty-RPC step")
	maxInFlight := fs.Int("max-in-flight", 0, "open loop: calls outstanding at most")
	conns := fs.Int("conns", 0, "gRPC connections")
	p99Bound := fs.Duration("p99-bound", 0, "latency bound of the capacity line")
	scaleMembers := fs.String("scale-members", "", "members of each case of the members curve; - for none")
	scaleHistory := fs.String("scale-history", "", "history claims of each case of the history curve; - for none")
	scaleHistoryMembers := fs.Int("scale-history-members", 0, "members of the history curve's cases")
	scaleEdits := fs.String("scale-edits", "", "Active edits of each case of the edits curve; - for none")
	scaleConcurrency := fs.Int("scale-concurrency", 0, "closed-loop concurrency of the scale cases")
	scaleRate := fs.Float64("scale-rate", 0, "open-loop rate of the scale cases")
	inProcess := fs.Bool("in-process", false, "run the adjudicator in this process (CPU figures then include the client)")
	bin := fs.String("adjudicator", "", "adjudicator binary to start; empty builds cmd/adjudicator with go build")
	render := fs.String("render", "", "write report.md and the plots again from DIR/report.json (with --p99-bound: for that bound) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *render != "" {
		r, err := bench.Render(*render, *p99Bound)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, r.Capacity.Text)
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *short {
		*preset = "short"
	}
	mk, ok := bench.Presets[*preset]
	if !ok {
		return fmt.Errorf("--preset %q: want short, medium or full", *preset)
	}
	o := mk()
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		switch f.Name {
		case "seed":
			o.Seed = *seed
		case "members":
			o.Members = *members
		case "pharmacies":
			o.Pharmacies = *pharmacies
		case "drug-pairs":
			o.DrugPairs = *drugPairs
		case "history":
			o.History = *history
		case "warmup":
			o.Warmup = *warmup
		case "concurrency":
			o.Concurrency, err = ints(f.Name, *concurrency)
		case "rates":
			o.Rates, err = floats(f.Name, *rates)
		case "step":
			o.StepDuration = *step
		case "baseline":
			o.BaselineDuration = *baseline
		case "max-in-flight":
			o.MaxInFlight = *maxInFlight
		case "conns":
			o.Conns = *conns
		case "p99-bound":
			o.P99Bound = *p99Bound
		case "scale-members":
			o.ScaleMembers, err = ints(f.Name, *scaleMembers)
		case "scale-history":
			o.ScaleHistory, err = ints(f.Name, *scaleHistory)
		case "scale-history-members":
			o.ScaleHistoryMembers = *scaleHistoryMembers
		case "scale-edits":
			o.ScaleEdits, err = ints(f.Name, *scaleEdits)
		case "scale-concurrency":
			o.ScaleConcurrency = *scaleConcurrency
		case "scale-rate":
			o.ScaleRate = *scaleRate
		}
	})
	if err != nil {
		return err
	}
	o.OutDir, o.InProcess, o.AdjudicatorBin = *out, *inProcess, *bin
	o.Progress, o.Terminal = stderr, isTerminal(stderr)

	start := time.Now()
	r, err := bench.Run(ctx, o)
	if r == nil {
		return err
	}
	r.Command = strings.Join(append([]string{"go run ./cmd/bench"}, args...), " ")
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
