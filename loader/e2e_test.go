package loader

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/rxclaims/rxclaims/loader/parse"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// adjudicatorProc runs a real adjudicator (server.Run on a Pebble store in
// dir) on fixed addresses (claims and admin), so it can be stopped and
// started again.
type adjudicatorProc struct {
	t           *testing.T
	dir         string
	addr, admin string
	cancel      context.CancelFunc
	done        chan error
}

func startAdjudicator(t *testing.T, dir, addr, admin string) *adjudicatorProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &adjudicatorProc{t: t, dir: dir, cancel: cancel, done: make(chan error, 1)}
	up := make(chan server.Addrs, 1)
	go func() {
		p.done <- server.Run(ctx, server.Options{
			GRPCAddr: addr, AdminAddr: admin, HealthAddr: "-", MetricsAddr: "-", DataDir: dir, Config: servertest.Demo(),
			Logger:    slog.New(slog.DiscardHandler),
			Now:       func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) },
			Listening: func(a server.Addrs) { up <- a },
		})
	}()
	select {
	case a := <-up:
		p.addr, p.admin = a.GRPC.String(), a.Admin.String()
	case err := <-p.done:
		t.Fatalf("adjudicator stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("adjudicator did not start")
	}
	return p
}

func (p *adjudicatorProc) stop() {
	p.cancel()
	if err := <-p.done; err != nil {
		p.t.Fatalf("adjudicator: %v", err)
	}
}

// TestEndToEnd syncs family files into a real adjudicator over gRPC,
// through a restart of the adjudicator with batches waiting, then finds
// and reverses the paid claim a back-dated termination affects.
func TestEndToEnd(t *testing.T) {
	e := newEndToEnd(t)
	defer e.close()
	e.syncAndBill()
	e.syncedPrescriberFile()
	e.priorAuthFileSurvivesFamilySync()
	e.outageThenRetro()
	e.pendedChangeWaitsForApproval()
	e.rewoundFamilyIsRemoved()
	e.familyWithPaidClaimIsKept()
	e.replayChangesNothing()
}

// endToEnd is a loader syncing to a real adjudicator over gRPC.
type endToEnd struct {
	t      *testing.T
	ctx    context.Context
	adjDir string
	adj    *adjudicatorProc
	conn   *grpc.ClientConn // claims
	admin  *grpc.ClientConn // enrollment (the loader's sink) and admin
	client *client.Claims
	l      *Loader
	bill   *adjudicator.Claim
	claim  string // the subscriber's paid claim
	q      *adjudicator.EligibilityQuery
}

func newEndToEnd(t *testing.T) *endToEnd {
	e := &endToEnd{t: t, ctx: context.Background(), adjDir: t.TempDir()}
	e.adj = startAdjudicator(t, e.adjDir, "127.0.0.1:0", "127.0.0.1:0")
	conn, err := grpc.NewClient(e.adj.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	e.conn, e.client = conn, client.NewClaims(conn)
	if e.admin, err = grpc.NewClient(e.adj.admin, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		t.Fatal(err)
	}
	profiles, err := parse.ParseProfiles([]byte("groups:\n- id: GRP100\n  comparator: true\n  classes:\n  - {name: ALL, plan: PPO-2026}\n" +
		"  pend:\n  - {name: dependent-removed, when: [{field: change.dependent_removed, value: 'true'}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e.l, err = Open(Options{Dir: t.TempDir(), Profiles: profiles, Sink: NewGRPCSink(e.admin, "test"), Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *endToEnd) close() {
	e.l.Close()
	e.adj.stop()
	e.conn.Close()
	e.admin.Close()
}

func (e *endToEnd) apply(name, body string) *FileStatus {
	e.t.Helper()
	return applyClean(e.t, e.l, name, body)
}

func (e *endToEnd) sync() {
	e.t.Helper()
	if err := e.l.Sync(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// syncAndBill: a family and a drug file synced; a claim for the member
// pays at the synced MAC.
func (e *endToEnd) syncAndBill() {
	t, ctx, apply := e.t, e.ctx, e.apply
	apply("f1.csv", "#rxclaims group=GRP100 file_type=eligibility record_type=changes expected=2\n"+
		"cardholder_id,person_code,date_of_birth,gender,coverage_effective\n"+
		"LDR001,001,1970-05-05,F,2026-01-01\nLDR001,002,1972-06-06,M,2026-01-01\n")
	apply("drugs.csv", "#rxclaims kind=drug expected=2\nndc,name,therapeutic_class,multi_source_code,brand_generic,generic_ndc,awp,mac,effective\n"+
		demo.DemoGenericNDC+",Atorvastatin 10mg,39400010,Y,,,0.80,0.10,2026-06-01\n"+
		demo.DemoBrandNDC+",Lipitor 20mg,39400010100320,O,B,"+demo.DemoGenericNDC+",13.50,,2026-06-01\n")
	e.sync()
	e.syncedDrugKeepsGenericEquivalent()
	bill := &adjudicator.Claim{
		BIN: demo.BIN, PCN: demo.PCN, CardholderID: "LDR001", PersonCode: "001", DateOfBirth: "1970-05-05",
		DateOfService: "2026-10-15", RxNumber: "9000001", ProductID: demo.DemoGenericNDC, Quantity: "30", DaysSupply: 30,
		IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI,
	}
	r, err := e.client.Bill(ctx, bill)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != adjudicator.Paid {
		t.Fatalf("claim for the synced member: %s %v %s", r.Status, r.Rejects, r.Message)
	}
	if r.IngredientCostPaid.String() != "3" { // MAC 0.10 from the drug file x 30
		t.Errorf("ingredient cost paid %s, want 3.00 (the synced MAC)", r.IngredientCostPaid)
	}
	e.bill, e.claim = bill, r.ClaimID
}

// priorAuthFileSurvivesFamilySync: a prior authorization file reaches the
// adjudicator's PA records, and the next eligibility file for the family
// (a whole-family sync) leaves them in place.
func (e *endToEnd) priorAuthFileSurvivesFamilySync() {
	t, ctx := e.t, e.ctx
	e.apply("pas.csv", "#rxclaims kind=prior_auth expected=1\n"+
		"cardholder_id,person_code,number,type,ndc,effective,max_fills\n"+
		"LDR001,001,PAE2E,DRUG,"+demo.DemoBrandNDC+",2026-01-01,3\n")
	e.sync()
	list := func() []domain.PriorAuth {
		pas, err := client.NewPriorAuths(e.admin, "auditor").List(ctx, "LDR001", "001")
		if err != nil {
			t.Fatal(err)
		}
		return pas
	}
	if pas := list(); len(pas) != 1 || pas[0].Number != "PAE2E" || pas[0].MaxFills != 3 {
		t.Fatalf("prior authorizations after the PA file: %+v", pas)
	}
	e.apply("f-pa.csv", "#rxclaims group=GRP100 file_type=eligibility record_type=changes expected=1\n"+
		"cardholder_id,person_code,date_of_birth,gender,coverage_effective\n"+
		"LDR001,001,1970-05-05,U,2026-01-01\n")
	e.sync()
	if pas := list(); len(pas) != 1 || pas[0].Number != "PAE2E" {
		t.Fatalf("prior authorizations after the family sync: %+v", pas)
	}
}

// syncedDrugKeepsGenericEquivalent: the brand/generic indicator and the
// generic equivalent of a drug file row reach the adjudicator's catalog.
func (e *endToEnd) syncedDrugKeepsGenericEquivalent() {
	b, err := client.NewAdmin(e.admin, "auditor").ExportBundle(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg, err := config.Parse(b)
	if err != nil {
		e.t.Fatal(err)
	}
	i := slices.IndexFunc(cfg.Drugs, func(d domain.Drug) bool { return d.NDC == demo.DemoBrandNDC })
	if i < 0 || cfg.Drugs[i].GenericNDC != demo.DemoGenericNDC || cfg.Drugs[i].BrandGeneric != domain.Brand {
		e.t.Fatalf("synced brand drug: %+v, want brand_generic B and generic_ndc %s", cfg.Drugs[max(i, 0)], demo.DemoGenericNDC)
	}
}

// syncedPrescriberFile: a prescriber file and a drug's DEA schedule reach
// the adjudicator's catalog; a bad row does not.
func (e *endToEnd) syncedPrescriberFile() {
	t := e.t
	path := filepath.Join(t.TempDir(), "prescribers.csv")
	if err := os.WriteFile(path, []byte("#rxclaims kind=prescriber expected=3\n"+
		"npi,name,effective,end,excluded,dea_number,dea_schedules,dea_expiration\n"+
		"1000000053,Dr Loaded,2020-01-01,2026-12-31,,AB1234563,2;3,2027-06-30\n"+
		"1000000061,Dr Excluded,2020-01-01,,Y,,,\n"+
		"1000000079,Dr Bad DEA,2020-01-01,,,AB1234560,2,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := e.l.ApplyFile(e.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != Completed || f.Counts.Failed != 1 || f.Counts.New != 2 {
		t.Fatalf("prescriber file: %+v, want 2 new and 1 failed", f.Counts)
	}
	e.apply("controlled.csv", "#rxclaims kind=drug expected=1\nndc,name,therapeutic_class,multi_source_code,awp,effective,dea_schedule\n"+
		"00406055201,oxycodone 5mg,65100075,Y,1.00,2026-01-01,C2\n")
	e.sync()
	b, err := client.NewAdmin(e.admin, "auditor").ExportBundle(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	byNPI := map[string]domain.Prescriber{}
	for _, p := range cfg.Prescribers {
		byNPI[p.NPI] = p
	}
	got := byNPI["1000000053"]
	if got.Name != "Dr Loaded" || got.To != domain.MustDate("2026-12-31") || got.DEA != "AB1234563" ||
		!slices.Equal(got.DEASchedules, []string{"2", "3"}) || got.DEAExpires != domain.MustDate("2027-06-30") {
		t.Errorf("synced prescriber: %+v", got)
	}
	if !byNPI["1000000061"].Excluded || byNPI["1000000079"].NPI != "" {
		t.Errorf("synced prescribers: %+v", byNPI)
	}
	if _, ok := byNPI[demo.DemoPrescriberNPI]; !ok {
		t.Error("the demo prescriber was lost by the sync")
	}
	i := slices.IndexFunc(cfg.Drugs, func(d domain.Drug) bool { return d.NDC == "00406055201" })
	if i < 0 || cfg.Drugs[i].DEASchedule != "2" {
		t.Errorf("synced controlled drug: %+v, want DEA schedule 2", cfg.Drugs[max(i, 0)])
	}
}

// outageThenRetro: the adjudicator stops; a back-dated termination is
// processed and waits in the outbox; the adjudicator starts again on the
// same store; the claim the termination affects is reversed.
func (e *endToEnd) outageThenRetro() {
	t, ctx, apply, l := e.t, e.ctx, e.apply, e.l
	addr, admin := e.adj.addr, e.adj.admin
	e.adj.stop()
	f2 := apply("f2.csv", "#rxclaims group=GRP100 file_type=eligibility record_type=changes expected=1\n"+
		"cardholder_id,person_code,coverage_end\nLDR001,001,2026-09-30\n")
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	if err := l.Sync(sctx); err == nil {
		t.Fatal("sync with the adjudicator down succeeded")
	}
	cancel()
	if st, _ := l.SyncState(); st.Pending != 1 {
		t.Fatalf("outbox after a failed sync: %+v", st)
	}
	e.adj = startAdjudicator(t, e.adjDir, addr, admin)
	e.sync()
	q := &adjudicator.EligibilityQuery{BIN: demo.BIN, PCN: demo.PCN, CardholderID: "LDR001", PersonCode: "001",
		DateOfBirth: "1970-05-05", DateOfService: "2026-10-15"}
	if e, err := e.client.CheckEligibility(ctx, q); err != nil || e.Status == adjudicator.Paid || e.Status == adjudicator.Accepted {
		t.Fatalf("eligibility after the termination synced: %+v %v", e, err)
	}
	q.PersonCode, q.DateOfBirth = "002", "1972-06-06"
	if e, err := e.client.CheckEligibility(ctx, q); err != nil || e.PlanID != "PPO-2026" {
		t.Fatalf("the spouse's eligibility: %+v %v", e, err)
	}

	// The adjudicator's retro job reverses the claim and bills it again
	// under the termination: the re-bill rejects, so nothing is paid.
	aff, err := l.Retro(ctx, f2.Group, f2.Seq, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(aff) != 1 || aff[0].ClaimID != e.claim || !aff[0].Reversed || aff[0].State != "DONE" || aff[0].NewStatus != "R" || aff[0].NewClaimID != "" {
		t.Fatalf("affected claims: %+v, want claim %s reversed and its re-bill rejected", aff, e.claim)
	}
	// Running it again re-adjudicates nothing twice: the same job reports the same.
	if again, err := l.Retro(ctx, f2.Group, f2.Seq, true); err != nil || len(again) != 1 || again[0].Job != aff[0].Job || again[0].State != "DONE" {
		t.Fatalf("affected claims after the job: %+v %v", again, err)
	}
	if listed, err := l.Retro(ctx, f2.Group, f2.Seq, false); err != nil || len(listed) != 0 {
		t.Fatalf("paid claims the change affects after the job: %+v %v", listed, err)
	}
	e.q = q
}

// pendedChangeWaitsForApproval: a pended change (the spouse's
// termination, held by the dependent-removed rule) does not reach claims
// until approved.
func (e *endToEnd) pendedChangeWaitsForApproval() {
	t, ctx, q := e.t, e.ctx, e.q
	if f3 := e.apply("f3.csv", "#rxclaims group=GRP100 file_type=eligibility record_type=changes expected=1\n"+
		"cardholder_id,person_code,coverage_end\nLDR001,002,2026-10-31\n"); f3.Counts.Pended != 1 {
		t.Fatalf("f3: %s", f3.Summary())
	}
	q.DateOfService = "2026-11-01"
	e.sync()
	if e, err := e.client.CheckEligibility(ctx, q); err != nil || e.PlanID != "PPO-2026" {
		t.Fatalf("the spouse's eligibility with the termination pending: %+v %v", e, err)
	}
	if _, err := e.l.ApprovePolicy(ctx, "GRP100", "LDR001", "olivia"); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if e, err := e.client.CheckEligibility(ctx, q); err != nil || e.Status == adjudicator.Paid || e.Status == adjudicator.Accepted {
		t.Fatalf("the spouse's eligibility after the termination was approved: %+v %v", e, err)
	}
}

// rewoundFamilyIsRemoved: a family a rewound file created is removed
// from the adjudicator.
func (e *endToEnd) rewoundFamilyIsRemoved() {
	t, ctx, l := e.t, e.ctx, e.l
	f4 := e.apply("f4.csv", "#rxclaims group=GRP100 file_type=eligibility record_type=changes expected=1\n"+
		"cardholder_id,person_code,date_of_birth,coverage_effective\nLDR002,001,1990-01-01,2026-01-01\n")
	e.sync()
	q2 := &adjudicator.EligibilityQuery{BIN: demo.BIN, PCN: demo.PCN, CardholderID: "LDR002", PersonCode: "001",
		DateOfBirth: "1990-01-01", DateOfService: "2026-11-01"}
	if e, err := e.client.CheckEligibility(ctx, q2); err != nil || e.PlanID != "PPO-2026" {
		t.Fatalf("the new family's eligibility: %+v %v", e, err)
	}
	if err := l.Rewind(ctx, f4.Group, f4.Seq); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if e, err := e.client.CheckEligibility(ctx, q2); err != nil || !slices.Contains(e.Rejects, ncpdp.RejectNonMatchedCardholderID) {
		t.Fatalf("eligibility of the family rewound out of existence (want it unknown, not just uncovered): %+v %v", e, err)
	}
	if kept, err := l.KeptFamilies(f4.Group, f4.Seq); err != nil || len(kept) != 0 {
		t.Fatalf("kept: %v %v", kept, err)
	}
}

// familyWithPaidClaimIsKept: a family with a paid claim is refused
// removal: kept with no coverage, however often the removal is sent.
func (e *endToEnd) familyWithPaidClaimIsKept() {
	t, ctx, bill, q := e.t, e.ctx, e.bill, e.q
	bill.PersonCode, bill.DateOfBirth, bill.RxNumber = "002", "1972-06-06", "9000002"
	if r2, err := e.client.Bill(ctx, bill); err != nil || r2.Status != adjudicator.Paid {
		t.Fatalf("the spouse's claim: %+v %v", r2, err)
	}
	for range 2 {
		kept, err := e.l.opts.Sink.SyncFamilies(ctx, FamilyBatch{Seq: 99, Group: "GRP100", Removed: []string{"LDR001"}})
		if err != nil || !slices.Equal(kept, []string{"LDR001"}) {
			t.Fatalf("removing a family with a paid claim: kept %v, %v", kept, err)
		}
	}
	q.DateOfService = "2026-10-15"
	if e, err := e.client.CheckEligibility(ctx, q); err != nil || e.Status == adjudicator.Paid || e.Status == adjudicator.Accepted ||
		slices.Contains(e.Rejects, ncpdp.RejectNonMatchedCardholderID) {
		t.Fatalf("the kept family's spouse (want known, not covered): %+v %v", e, err)
	}
}

// replayChangesNothing: replaying a batch changes nothing.
func (e *endToEnd) replayChangesNothing() {
	t, ctx, l := e.t, e.ctx, e.l
	fam, err := l.Family("GRP100", "LDR001")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := l.opts.Sink.SyncFamilies(ctx, FamilyBatch{Seq: 1, Group: "GRP100", Families: []domain.Family{*fam}}); err != nil {
			t.Fatal(err)
		}
	}
}

// applyClean writes body to a file and applies it; every record must pass.
func applyClean(t *testing.T, l *Loader, name, body string) *FileStatus {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := l.ApplyFile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != Completed || f.Counts.Failed != 0 {
		t.Fatalf("%s: %s", name, f.Summary())
	}
	return f
}
