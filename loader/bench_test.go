package loader

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// BenchmarkFamilyFile applies a full Eligibility file of 20,000 family
// records (LOADER_BENCH_RECORDS overrides) per iteration to a fresh loader and reports records/s. For the
// 1,000,000-record figure run `go run ./cmd/loader bench --records 1000000`.
func BenchmarkFamilyFile(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("LOADER_BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	total := 0.0
	for b.Loop() {
		res, err := Bench(context.Background(), b.TempDir(), n, nil)
		if err != nil {
			b.Fatal(err)
		}
		total += res.Elapsed.Seconds()
	}
	b.ReportMetric(float64(n*b.N)/total, "records/s")
}
