package bench

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/domain"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/protobuf/proto"
)

// TestSeededHistoryIsTheServers: history billed in process before the
// server starts is found by the server: the identical fills sent again
// over gRPC are answered as duplicates, never paid twice.
func TestSeededHistoryIsTheServers(t *testing.T) {
	o, err := Options{OutDir: t.TempDir(), Seed: 3, Members: 200, Pharmacies: 20, DrugPairs: 5, InProcess: true,
		Progress: testWriter{t}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := startSession(ctx, o, "seed", spec{members: 200, history: 400, steps: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.setup.HistoryPath != historyInProcess || s.setup.Status["P"] == 0 {
		t.Fatalf("history billed %q, answers %v", s.setup.HistoryPath, s.setup.Status)
	}
	// The whole history, HistoryDays back, is within the population's
	// filing limit (the default 365 days once rejected a quarter of it).
	if n := s.setup.Rejects["81"]; n > 0 {
		t.Errorf("%d history claims rejected 81 (past the filing limit); rejects %v", n, s.setup.Rejects)
	}
	answers := map[string]int{}
	for _, f := range s.gen.g.recent[:min(40, len(s.gen.g.recent))] {
		if f.reversed {
			continue
		}
		out := s.client.send(ctx, &Op{Bill: &pb.BillRequest{Claim: f.claim}})
		answers[out.status+out.errCode+strings.Join(out.rejects, ",")]++
	}
	if answers["D"] == 0 || answers["P"] > 0 {
		t.Errorf("the history's fills sent again were answered %v; want duplicates (D), none paid", answers)
	}
}

// TestSeedCacheReusesTheStore: a second run of the same population with a
// seed cache starts from a copy of the first run's seeded store, and its
// generator goes on where seeding would have left it: the history's
// answers are the seeding's, the next claim is the same, and the history's
// fills are the server's (sent again, they are duplicates). There is no
// warm-up: it bills 64 claims at a time, so two fills of one member may be
// answered in either order (a refill too soon, or not), and its answers
// are not the same from run to run with or without the cache.
func TestSeedCacheReusesTheStore(t *testing.T) {
	o, err := Options{OutDir: t.TempDir(), Seed: 3, Members: 200, Pharmacies: 20, DrugPairs: 5, InProcess: true,
		SeedCache: t.TempDir(), Progress: testWriter{t}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func() (Setup, *Op, map[string]int) {
		s, err := startSession(ctx, o, "seed", spec{members: 200, history: 400, steps: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer s.close()
		answers := map[string]int{}
		for _, f := range s.gen.g.recent[:min(40, len(s.gen.g.recent))] {
			if !f.reversed {
				out := s.client.send(ctx, &Op{Bill: &pb.BillRequest{Claim: f.claim}})
				answers[out.status+out.errCode+strings.Join(out.rejects, ",")]++
			}
		}
		return s.setup, s.gen.next(), answers
	}
	first, next1, _ := run()
	second, next2, answers := run()
	if first.HistoryPath != historyInProcess || !strings.Contains(second.HistoryPath, "reused from the seed cache") {
		t.Fatalf("history billed %q, then %q", first.HistoryPath, second.HistoryPath)
	}
	if diff := cmp.Diff(first.Status, second.Status); diff != "" || !maps.Equal(first.Rejects, second.Rejects) {
		t.Errorf("the history answered differently after the cached store (-seeded +cached):\n%s%v %v", diff, first.Rejects, second.Rejects)
	}
	if next1.Kind != next2.Kind || !proto.Equal(next1.Bill, next2.Bill) || !proto.Equal(next1.Rebill, next2.Rebill) || !proto.Equal(next1.Reverse, next2.Reverse) {
		t.Errorf("the generator goes on differently: %v, then %v", next1, next2)
	}
	if answers["D"] == 0 || answers["P"] > 0 {
		t.Errorf("the history's fills sent again to the cached store were answered %v; want duplicates (D), none paid", answers)
	}
}

// TestTodayBounds: a run's today may be pinned up to MaxTodayAge days
// back (to reuse a seed cache), never ahead or further back.
func TestTodayBounds(t *testing.T) {
	now := domain.DateOf(time.Now())
	for _, c := range []struct {
		today domain.Date
		ok    bool
	}{
		{now, true}, {now.AddDays(-MaxTodayAge), true}, {now.AddDays(1), false}, {now.AddDays(-MaxTodayAge - 1), false},
	} {
		_, err := Options{OutDir: t.TempDir(), Members: 10, Today: c.today, Concurrency: []int{1}}.withDefaults()
		if (err == nil) != c.ok {
			t.Errorf("today %s: %v; want ok %v", c.today, err, c.ok)
		}
	}
}
