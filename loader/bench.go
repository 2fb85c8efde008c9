package loader

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/rxclaims/rxclaims/loader/parse"
)

// BenchProfiles is the group profile the benchmark file is checked against:
// classes derived from management, union and hours worked, and a pend rule
// (every record runs through the policy workflow).
const BenchProfiles = `groups:
- id: BENCH
  comparator: true
  cancel_missing: true
  required: [gender]
  ranges:
    hours_worked: {min: "0", max: "80"}
  classes:
  - {name: MGMT, plan: PPO-2026, when: [{field: management, value: "Y"}]}
  - {name: UNION-FT, plan: HMO-2026, when: [{field: union, value: "Y"}, {field: hours_worked, op: ">=", value: "30"}]}
  - {name: FT, plan: PPO-2026, when: [{field: hours_worked, op: ">=", value: "20"}]}
  pend:
  - {name: plan-change, when: [{field: change.plan, value: "true"}]}
`

// WriteBenchFile writes a full Eligibility file of n family records
// (families of one to three members) for group BENCH.
func WriteBenchFile(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "#rxclaims group=BENCH file_type=eligibility record_type=full expected=%d file_id=BENCH\n", n)
	bw.WriteString("cardholder_id,person_code,relationship,date_of_birth,gender,hours_worked,union,management,salary,coverage_effective\n")
	var line []byte
	for i, fam := 0, 0; i < n; fam++ {
		members := 1 + fam%3
		for m := 0; m < members && i < n; m, i = m+1, i+1 {
			line = line[:0]
			line = append(line, 'F')
			line = strconv.AppendInt(line, int64(1000000+fam), 10)
			line = append(line, ",00"...)
			line = strconv.AppendInt(line, int64(m+1), 10)
			rel := []string{",1,", ",2,", ",3,"}[m]
			line = append(line, rel...)
			line = append(line, "19"...)
			line = strconv.AppendInt(line, int64(50+fam%40), 10)
			line = append(line, "-0"...)
			line = strconv.AppendInt(line, int64(1+fam%9), 10)
			line = append(line, "-1"...)
			line = strconv.AppendInt(line, int64(fam%10), 10)
			line = append(line, ',')
			line = append(line, "MFU"[fam%3])
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(20+fam%35), 10)
			line = append(line, ',')
			line = append(line, "YN"[fam%2])
			line = append(line, ',')
			line = append(line, "NNNNY"[fam%5])
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(30000+fam%90000), 10)
			line = append(line, ".00,2026-01-01\n"...)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// BenchResult is one benchmark run.
type BenchResult struct {
	Records    int
	Elapsed    time.Duration
	PerSecond  float64
	HeapMB     float64 // heap in use after the run
	MaxRSSNote string
	Status     string
}

// Bench generates a file of n family records in dir, applies it to a
// fresh loader there (validation pass, then processing with one synced
// commit per chunk) and reports records per second.
func Bench(ctx context.Context, dir string, n int, progress Progress) (BenchResult, error) {
	var res BenchResult
	src := filepath.Join(dir, "bench-families.csv")
	fh, err := os.Create(src)
	if err != nil {
		return res, err
	}
	if err := WriteBenchFile(fh, n); err != nil {
		fh.Close()
		return res, err
	}
	if err := fh.Close(); err != nil {
		return res, err
	}
	profiles, err := parse.ParseProfiles([]byte(BenchProfiles))
	if err != nil {
		return res, err
	}
	l, err := Open(Options{Dir: filepath.Join(dir, "loader"), Profiles: profiles, Logger: slog.New(slog.DiscardHandler),
		Progress: progress, ChunkSize: 5000,
		Now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		return res, err
	}
	defer l.Close()
	start := time.Now()
	f, err := l.ApplyFile(ctx, src)
	if err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.Records = f.Counts.Received
	res.PerSecond = float64(n) / res.Elapsed.Seconds()
	res.HeapMB = float64(ms.HeapInuse) / (1 << 20)
	res.Status = f.Summary()
	if f.Status != Completed || f.Counts.New+f.Counts.Ineligible+f.Counts.Failed != n {
		return res, fmt.Errorf("benchmark file not fully applied: %s", f.Summary())
	}
	return res, nil
}
