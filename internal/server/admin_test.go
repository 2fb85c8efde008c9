package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// quantityEdit limits every claim to 10 units: a demo claim for 30 rejects 9G.
const quantityEdit = `{"id":"QTY-10","name":"Ten units a claim","kind":"QUANTITY","level":{"kind":"PBM"},
	"effective":"2026-01-01","quantity":{"max_quantity":"10"}}`

func demoClaim(rx string) *adjudicator.Claim {
	return &adjudicator.Claim{
		BIN: demo.BIN, PCN: demo.PCN, CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode,
		DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: rx, ProductID: demo.DemoGenericNDC,
		Quantity: "30", DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00",
		GrossAmountDue: "30.00", PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI,
	}
}

func mustEdit(t *testing.T, doc string) edits.Edit {
	t.Helper()
	e, err := wire.EditFromJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("%s: got %s (%v), want %s", what, got, err, want)
	}
}

func refs(list []edits.Edit) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.Ref()+" "+string(e.Status))
	}
	return out
}

// docs returns the edits' JSON documents without audit and provenance.
func docs(list []edits.Edit) []string {
	var out []string
	for _, e := range list {
		e.Audit, e.Provenance = edits.Audit{}, nil
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}

// TestAdminLifecycle drives the edit lifecycle through the real server:
// maker-checker, the edit's effect on claims, lifecycle conflicts,
// validation, dry runs, and durability across a restart.
func TestAdminLifecycle(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, dir)
	tm := newTeam(srv)
	checkInvalidEditRefused(t, tm)
	checkDraftDryRun(t, tm)
	checkMakerChecker(t, tm)
	checkEditList(t, tm)

	// Durable: a restarted server on the same data still applies the edit.
	srv.Stop()
	checkAfterRestart(t, newTeam(servertest.Start(t, dir)))
}

// team is the maker alice, the checker bob and a pharmacy's claims client.
type team struct {
	alice, bob *client.Admin
	claims     *client.Claims
}

func newTeam(srv *servertest.Server) team {
	return team{alice: client.NewAdmin(srv.AdminConn, "alice"), bob: client.NewAdmin(srv.AdminConn, "bob"), claims: client.NewClaims(srv.Conn)}
}

// checkInvalidEditRefused: an invalid edit is refused, names the field,
// and stores nothing.
func checkInvalidEditRefused(t *testing.T, tm team) {
	t.Helper()
	ctx := context.Background()
	before, err := tm.alice.Edits(ctx, client.EditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	bad := mustEdit(t, `{"id":"BAD","kind":"QUANTITY","level":{"kind":"PBM"},"effective":"2026-01-01"}`)
	_, err = tm.alice.CreateDraft(ctx, bad)
	wantCode(t, "invalid draft", err, codes.InvalidArgument)
	if ps := client.Problems(err); len(ps) == 0 || !strings.Contains(err.Error(), ps[0].Field) {
		t.Fatalf("invalid draft: problems %v in %v", ps, err)
	}
	if ps, err := tm.alice.ValidateEdit(ctx, bad); err != nil || len(ps) == 0 || ps[0].Field == "" {
		t.Fatalf("validate invalid edit: %v %v", ps, err)
	}
	if after, err := tm.alice.Edits(ctx, client.EditFilter{}); err != nil || !cmp.Equal(refs(after), refs(before)) {
		t.Fatalf("an invalid edit changed the list: %v %v", refs(after), err)
	}
}

// benefits returns the demo subscriber's benefits as JSON.
func benefits(t *testing.T, claims *client.Claims) string {
	t.Helper()
	b, err := claims.Benefits(context.Background(), &adjudicator.BenefitsQuery{CardholderID: demo.DemoCardholder,
		PersonCode: demo.DemoSubscriberCode, DateOfBirth: demo.DemoSubscriberDOB, AsOf: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

// checkDraftDryRun creates the quantity edit as alice's draft: a dry run
// shows its effect and writes nothing.
func checkDraftDryRun(t *testing.T, tm team) {
	t.Helper()
	ctx := context.Background()
	// Before the edit, a demo claim for 30 units pays.
	if r, err := tm.claims.Bill(ctx, demoClaim("9001")); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill before the edit: %+v %v", r, err)
	}
	benefitsBefore := benefits(t, tm.claims)

	ed := mustEdit(t, quantityEdit)
	if ps, err := tm.alice.ValidateEdit(ctx, ed); err != nil || len(ps) != 0 {
		t.Fatalf("validate: %v %v", ps, err)
	}
	draft, err := tm.alice.CreateDraft(ctx, ed)
	if err != nil || draft.Version != 1 || draft.Status != edits.Draft || draft.Audit.CreatedBy != "alice" {
		t.Fatalf("create draft: %+v %v", draft, err)
	}

	r, err := tm.alice.TestClaim(ctx, demoClaim("9002"), []adjudicator.EditRef{{ID: "QTY-10", Version: 1}})
	if err != nil || r.Status != adjudicator.Rejected || len(r.Rejects) == 0 || r.Rejects[0] != "9G" || len(r.Trace) == 0 {
		t.Fatalf("test claim with the draft: %+v %v", r, err)
	}
	if r, err := tm.alice.TestClaim(ctx, demoClaim("9002"), nil); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("test claim without the draft: %+v %v", r, err)
	}
	if got := benefits(t, tm.claims); got != benefitsBefore {
		t.Fatal("a test claim changed the member's accumulators")
	}
	if r, err := tm.claims.Bill(ctx, demoClaim("9002")); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill after a test claim of the same key (must not be a duplicate): %+v %v", r, err)
	}
}

// checkMakerChecker: alice made the draft, so bob must activate it; then
// it applies to claims, and the Active version never changes.
func checkMakerChecker(t *testing.T, tm team) {
	t.Helper()
	ctx := context.Background()
	_, err := tm.alice.Activate(ctx, "QTY-10", 1)
	wantCode(t, "self-activation", err, codes.PermissionDenied)
	act, err := tm.bob.Activate(ctx, "QTY-10", 1)
	if err != nil || act.Status != edits.Active || act.Audit.ActivatedBy != "bob" || act.Audit.SelfActivated {
		t.Fatalf("activate: %+v %v", act, err)
	}
	if r, err := tm.claims.Bill(ctx, demoClaim("9003")); err != nil || r.Status != adjudicator.Rejected || r.Rejects[0] != "9G" {
		t.Fatalf("bill after activation: %+v %v", r, err)
	}
	_, err = tm.alice.UpdateDraft(ctx, act)
	wantCode(t, "update active", err, codes.FailedPrecondition)
}

// checkEditList: the list filters by status, kind and level.
func checkEditList(t *testing.T, tm team) {
	t.Helper()
	ctx := context.Background()
	for _, f := range []client.EditFilter{{Status: "ACTIVE"}, {Kind: "QUANTITY"}, {Level: "PBM"}} {
		got, err := tm.alice.Edits(ctx, f)
		if err != nil || !slices.Contains(refs(got), "QTY-10 v1 ACTIVE") {
			t.Errorf("list %+v: %v %v", f, refs(got), err)
		}
	}
	if got, err := tm.alice.Edits(ctx, client.EditFilter{Status: "DRAFT", Kind: "QUANTITY"}); err != nil || len(got) != 0 {
		t.Errorf("list drafts: %v %v", refs(got), err)
	}
	_, err := tm.alice.Edits(ctx, client.EditFilter{Status: "LIVE"})
	wantCode(t, "list by unknown status", err, codes.InvalidArgument)
	_, err = tm.alice.EditVersions(ctx, "NOPE")
	wantCode(t, "get unknown edit", err, codes.NotFound)
}

// checkAfterRestart: the restarted server still applies the active edit,
// and inactivation is final.
func checkAfterRestart(t *testing.T, tm team) {
	t.Helper()
	ctx := context.Background()
	vs, err := tm.alice.EditVersions(ctx, "QTY-10")
	if err != nil || len(vs) != 1 || vs[0].Status != edits.Active || vs[0].Audit.ActivatedBy != "bob" {
		t.Fatalf("after restart: %+v %v", vs, err)
	}
	if r, err := tm.claims.Bill(ctx, demoClaim("9004")); err != nil || r.Status != adjudicator.Rejected {
		t.Fatalf("bill after restart: %+v %v", r, err)
	}
	if in, err := tm.alice.Inactivate(ctx, "QTY-10", 1); err != nil || in.Status != edits.Inactive {
		t.Fatalf("inactivate: %+v %v", in, err)
	}
	_, err = tm.bob.Activate(ctx, "QTY-10", 1)
	wantCode(t, "reactivate", err, codes.FailedPrecondition)
	if r, err := tm.claims.Bill(ctx, demoClaim("9005")); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill after inactivation: %+v %v", r, err)
	}
}

// TestAdminUser: the acting user is the authenticated caller (here, a
// development-mode identity: the x-user metadata, "anonymous" without
// it); the requests' user fields are ignored.
func TestAdminUser(t *testing.T) {
	ctx := context.Background()
	srv := servertest.Start(t, t.TempDir())
	admin := pb.NewAdminServiceClient(srv.AdminConn)
	h, err := healthpb.NewHealthClient(srv.AdminConn).Check(ctx, &healthpb.HealthCheckRequest{Service: pb.AdminService_ServiceDesc.ServiceName})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("AdminService health: %v %v", h, err)
	}

	carol := metadata.AppendToOutgoingContext(ctx, server.UserMetadataKey, "carol")
	r, err := admin.CreateDraft(carol, &pb.CreateDraftRequest{EditJson: quantityEdit, User: "dave"})
	if err != nil || r.GetEdit().GetCreatedBy() != "carol" || r.GetEdit().GetStatus() != "DRAFT" || r.GetEdit().GetKind() != "QUANTITY" ||
		r.GetEdit().GetEffective() != "2026-01-01" || r.GetEdit().GetLevel() != "PBM" || r.GetEdit().GetFamily() != "LIMITATION" {
		t.Fatalf("create as carol, naming dave in the request: %v %v", r, err)
	}
	_, err = admin.ActivateEdit(carol, &pb.ActivateEditRequest{Id: "QTY-10", Version: 1, User: "dave"})
	wantCode(t, "carol activating her own draft, naming dave", err, codes.PermissionDenied)
	a, err := admin.ActivateEdit(ctx, &pb.ActivateEditRequest{Id: "QTY-10", Version: 1, User: "carol"})
	if err != nil || a.GetEdit().GetActivatedBy() != "anonymous" || a.GetEdit().GetActivatedAt() == "" {
		t.Fatalf("activate without x-user: %v %v", a, err)
	}
	_, err = admin.CreateDraft(carol, &pb.CreateDraftRequest{EditJson: `{"id":"X","bogus":1}`})
	wantCode(t, "unknown field", err, codes.InvalidArgument)
	if !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown field error does not name it: %v", err)
	}
}

// TestAdminBundles moves the configuration to a fresh server and back.
func TestAdminBundles(t *testing.T) {
	ctx := context.Background()
	src := servertest.Start(t, t.TempDir())
	alice := client.NewAdmin(src.AdminConn, "alice")
	bob := client.NewAdmin(src.AdminConn, "bob")
	if _, err := alice.CreateDraft(ctx, mustEdit(t, quantityEdit)); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Activate(ctx, "QTY-10", 1); err != nil {
		t.Fatal(err)
	}
	bundle, err := alice.ExportBundle(ctx)
	if err != nil || !strings.Contains(string(bundle), "QTY-10") {
		t.Fatalf("export: %v\n%s", err, bundle)
	}
	want, err := alice.Edits(ctx, client.EditFilter{})
	if err != nil {
		t.Fatal(err)
	}

	dst := servertest.Start(t, t.TempDir())
	ops := client.NewAdmin(dst.AdminConn, "ops")
	p, err := ops.ImportBundle(ctx, bundle)
	if err != nil || p.ID == "" || p.ProposedBy != "ops" || p.Summary.EditsAdded == 0 || p.Summary.EditsActivated == 0 {
		t.Fatalf("import: %+v %v", p, err)
	}
	if r, err := client.NewClaims(dst.Conn).Bill(ctx, demoClaim("7001")); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill while the import is pending: %+v %v", r, err)
	}
	sum, err := client.NewAdmin(dst.AdminConn, "dave").ApproveImport(ctx, p.ID)
	if err != nil || sum.EditsAdded != p.Summary.EditsAdded {
		t.Fatalf("approve: %+v %v", sum, err)
	}
	got, err := ops.Edits(ctx, client.EditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(docs(want), docs(got)); diff != "" {
		t.Fatalf("imported edits differ, audit and provenance aside (-want +got):\n%s", diff)
	}
	imported, err := ops.EditVersions(ctx, "QTY-10")
	if a := imported[0].Audit; err != nil || a.CreatedBy != "ops" || a.ImportedBy != "ops" || a.ActivatedBy != "dave" ||
		imported[0].Provenance == nil || imported[0].Provenance.CreatedBy != "alice" || imported[0].Provenance.ActivatedBy != "bob" {
		t.Fatalf("imported audit and provenance: %+v %v", imported, err)
	}
	again, err := ops.ImportBundle(ctx, bundle)
	if err != nil || again.ID != "" || again.Summary.EditsAdded != 0 || again.Summary.EditsUnchanged != sum.EditsAdded+sum.EditsUnchanged ||
		again.Summary.Plans+again.Summary.Networks+again.Summary.Pharmacies+again.Summary.Drugs+again.Summary.Clients+again.Summary.Groups != 0 {
		t.Fatalf("second import: %+v (first %+v) %v", again, sum, err)
	}
	if r, err := client.NewClaims(dst.Conn).Bill(ctx, demoClaim("7002")); err != nil || r.Status != adjudicator.Rejected {
		t.Fatalf("bill on the importing server: %+v %v", r, err)
	}

	_, err = ops.ImportBundle(ctx, []byte("plans: [}"))
	wantCode(t, "unreadable bundle", err, codes.InvalidArgument)
	_, err = ops.ImportBundle(ctx, []byte(`{"edits":[{"id":"BAD","version":1,"status":"ACTIVE","kind":"QUANTITY","level":{"kind":"PBM"},"effective":"2026-01-01"}]}`))
	wantCode(t, "bundle with an invalid edit", err, codes.InvalidArgument)
	if after, err := ops.Edits(ctx, client.EditFilter{}); err != nil || !cmp.Equal(refs(after), refs(got)) {
		t.Fatalf("a refused import changed the edits: %v %v", refs(after), err)
	}
}
