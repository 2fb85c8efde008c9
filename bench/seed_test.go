package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// TestSeededHistoryIsTheServers: history billed in process before the
// server starts is found by the server: the identical fills sent again
// over gRPC are answered as duplicates, never paid twice.
func TestSeededHistoryIsTheServers(t *testing.T) {
	// The history runs to 100 days before the population's today; a today
	// 100 days ahead dates its last fills now, inside the filing limit.
	o, err := Options{OutDir: t.TempDir(), Seed: 3, Members: 200, Pharmacies: 20, DrugPairs: 5, InProcess: true,
		Progress: testWriter{t}, Today: domain.DateOf(time.Now()).AddDays(100)}.withDefaults()
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
