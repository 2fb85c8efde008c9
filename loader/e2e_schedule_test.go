package loader

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/loader/parse"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestEndToEndSchedule syncs a schedule file and a drug attribute into a
// real adjudicator over gRPC, then bills a claim whose dispensing fee an
// Active edit takes from the schedule and an adjustment rule on the
// attribute.
func TestEndToEndSchedule(t *testing.T) {
	ctx := context.Background()
	adj := startAdjudicator(t, t.TempDir(), "127.0.0.1:0", "127.0.0.1:0")
	defer adj.stop()
	conn, err := grpc.NewClient(adj.admin, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	claimsConn, err := grpc.NewClient(adj.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer claimsConn.Close()
	l, err := Open(Options{Dir: t.TempDir(), Profiles: &parse.Profiles{}, Sink: NewGRPCSink(conn, "test"), Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for name, body := range map[string]string{
		"fees.csv": "#rxclaims kind=schedule expected=3\nschedule,kind,name,conditions,amount,percent,absolute,effective,end\n" +
			"E2E-FEES,RATE,Fees,network_type=RETAIL|RETAIL90,4.25,,,2026-01-01,\n" +
			"E2E-FEES,RATE,,,9.99,,,2026-01-01,\n" +
			"E2E-340B,ADJUSTMENT,340B program,drug.program=340B,,,0.50,2026-01-01,\n",
		"drugs.csv": "#rxclaims kind=drug expected=1\nndc,name,therapeutic_class,multi_source_code,awp,mac,effective,attributes\n" +
			demo.DemoGenericNDC + ",Atorvastatin 10mg,39400010,Y,0.80,0.10,2026-01-01,program=340B\n",
	} {
		applyClean(t, l, name, body)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	fee := edits.Edit{ID: "E2E.fee", Kind: edits.KindDispensingFee, Level: edits.Level{Kind: edits.PlanLevel, ID: demo.PlanPPO},
		Range:         domain.Range{From: domain.MustDate("2026-01-01")},
		DispensingFee: &edits.DispensingFee{Schedule: &edits.ScheduleRef{Schedule: "E2E-FEES", Adjustments: []string{"E2E-340B"}}}}
	if _, err := client.NewAdmin(conn, "alice").CreateDraft(ctx, fee); err != nil {
		t.Fatal(err)
	}
	if _, err := client.NewAdmin(conn, "bob").Activate(ctx, fee.ID, 1); err != nil {
		t.Fatal(err)
	}
	r, err := client.NewClaims(claimsConn).Bill(ctx, &adjudicator.Claim{
		BIN: demo.BIN, PCN: demo.PCN, CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode, DateOfBirth: demo.DemoSubscriberDOB,
		DateOfService: "2026-10-15", RxNumber: "9100001", ProductID: demo.DemoGenericNDC, Quantity: "30", DaysSupply: 30,
		IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != adjudicator.Paid || r.DispensingFeePaid.StringFixed(2) != "4.75" {
		t.Fatalf("claim: %s %v, fee %s; want paid with fee 4.75 (4.25 retail line + 0.50 for the drug's program)", r.Status, r.Rejects, r.DispensingFeePaid)
	}
}
