package server_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
)

// teamPolicy: alice authors, bob and carol approve, mallory does both,
// audrey audits, the loader syncs enrollment, the switch bills.
const teamPolicy = `identities:
  - subject: alice
    roles: [config-author]
  - subject: bob
    roles: [config-approver]
  - subject: carol
    roles: [config-approver]
  - subject: mallory
    roles: [config-author, config-approver]
  - subject: audrey
    roles: [auditor]
  - subject: loader
    roles: [enrollment-operator]
  - subject: switch
    roles: [claims-submitter]
`

// startTeam serves the demo data with teamPolicy from dir.
func startTeam(t *testing.T, dir string) *servertest.Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(teamPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return servertest.StartWithPolicy(t, dir, path)
}

// forgedBundle is a bundle whose edit claims to have been made by alice
// and activated by bob.
const forgedBundle = `edits:
  - id: QTY-10
    version: 1
    status: ACTIVE
    name: Ten units a claim
    kind: QUANTITY
    level: {kind: PBM}
    effective: "2026-01-01"
    quantity: {max_quantity: "10"}
    audit: {created_by: alice, activated_by: bob}
`

// TestForgedAuditImport: mallory imports an ACTIVE edit whose audit says
// alice made it and bob activated it. Nothing applies until someone else
// approves; mallory cannot approve her own import; once carol approves, the
// edit's audit here says mallory made it and carol activated it, and the
// bundle's claims are kept only as provenance.
func TestForgedAuditImport(t *testing.T) {
	dir := t.TempDir()
	srv := startTeam(t, dir)
	ctx := context.Background()
	mallory, carol := client.NewAdmin(srv.AdminConn, "mallory"), client.NewAdmin(srv.AdminConn, "carol")
	claims := client.NewClaims(srv.Conn)

	p, err := mallory.ImportBundle(ctx, []byte(forgedBundle))
	if err != nil || p.ID == "" || p.ProposedBy != "mallory" || p.Summary.EditsActivated != 1 {
		t.Fatalf("propose: %+v %v", p, err)
	}
	_, err = mallory.EditVersions(ctx, "QTY-10")
	wantCode(t, "the edit before approval", err, codes.NotFound)
	if r, err := claims.Bill(as("switch"), demoClaim("6001")); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill while pending: %+v %v", r, err)
	}
	_, err = mallory.ApproveImport(ctx, p.ID)
	wantCode(t, "mallory approving her own import", err, codes.PermissionDenied)
	_, err = client.NewAdmin(srv.AdminConn, "alice").ApproveImport(ctx, p.ID)
	wantCode(t, "alice (an author) approving", err, codes.PermissionDenied)

	if _, err := carol.ApproveImport(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	vs, err := carol.EditVersions(ctx, "QTY-10")
	if err != nil || len(vs) != 1 {
		t.Fatalf("after approval: %+v %v", vs, err)
	}
	a, prov := vs[0].Audit, vs[0].Provenance
	if vs[0].Status != edits.Active || a.CreatedBy != "mallory" || a.ActivatedBy != "carol" || a.SelfActivated || a.ImportedBy != "mallory" ||
		prov == nil || prov.CreatedBy != "alice" || prov.ActivatedBy != "bob" {
		t.Fatalf("imported version: %+v, audit %+v, provenance %+v", vs[0], a, prov)
	}
	if r, err := claims.Bill(as("switch"), demoClaim("6002")); err != nil || r.Status != adjudicator.Rejected {
		t.Fatalf("bill after approval: %+v %v", r, err)
	}
	if _, err := carol.ApproveImport(ctx, p.ID); err == nil {
		t.Fatal("an import was approved twice")
	}

	trail := auditLines(t, srv, client.AuditFilter{Object: adjudicator.ImportObject(p.ID)})
	want := []string{
		"mallory config-approver ImportBundle OK",
		"mallory config-approver ApproveImport FAILED PermissionDenied",
		"alice config-approver ApproveImport DENIED",
		"carol config-approver ApproveImport OK",
		"carol config-approver ApproveImport FAILED NotFound",
	}
	if !slices.Equal(trail, want) {
		t.Errorf("the import's audit trail:\n%s\nwant\n%s", strings.Join(trail, "\n"), strings.Join(want, "\n"))
	}
	srv.Stop()
	verifyTrail(t, dir)
}

// TestSelfActivationImport: a bundle that turns maker-checker off is a
// two-person change like any import: while it waits, alice still cannot
// activate her own draft; its proposer cannot approve it; once another
// approver does, the change is applied and the trail names the setting.
func TestSelfActivationImport(t *testing.T) {
	srv := startTeam(t, t.TempDir())
	ctx := context.Background()
	alice, mallory, bob := client.NewAdmin(srv.AdminConn, "alice"), client.NewAdmin(srv.AdminConn, "mallory"), client.NewAdmin(srv.AdminConn, "bob")
	bundle := selfActivationBundle(t, mallory)

	p, err := mallory.ImportBundle(ctx, bundle)
	if err != nil || p.ID == "" || !slices.Contains(p.Summary.Settings, "allow_self_activation: unset → true") {
		t.Fatalf("propose: %+v %v", p, err)
	}
	if _, err := alice.CreateDraft(ctx, mustEdit(t, quantityEdit)); err != nil {
		t.Fatal(err)
	}
	_, err = mallory.ApproveImport(ctx, p.ID)
	wantCode(t, "mallory approving her own settings change", err, codes.PermissionDenied)
	// mallory holds both roles, yet may not activate alice's draft's
	// sibling she made herself.
	if _, err := mallory.CreateDraft(ctx, mustEdit(t, strings.Replace(quantityEdit, "QTY-10", "QTY-M", 1))); err != nil {
		t.Fatal(err)
	}
	_, err = mallory.Activate(ctx, "QTY-M", 1)
	wantCode(t, "mallory self-activating while maker-checker holds", err, codes.PermissionDenied)

	if _, err := bob.ApproveImport(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	e, err := mallory.Activate(ctx, "QTY-M", 1)
	if err != nil || !e.Audit.SelfActivated {
		t.Fatalf("self-activation after the approved change: %+v %v", e, err)
	}
	trail := auditLines(t, srv, client.AuditFilter{User: "bob"})
	if len(trail) != 1 || trail[0] != "bob config-approver ApproveImport OK" {
		t.Errorf("bob's trail: %v", trail)
	}
	entries, err := client.NewAdmin(srv.AdminConn, "audrey").Audit(ctx, client.AuditFilter{Object: adjudicator.ImportObject(p.ID)})
	if err != nil || !strings.Contains(entries[len(entries)-1].Detail, "allow_self_activation: unset → true") {
		t.Errorf("the approval's entry does not name the setting: %+v %v", entries, err)
	}
	// "Who changed the settings?" finds the proposal and the approval.
	byObject := auditLines(t, srv, client.AuditFilter{Object: adjudicator.SettingsObject})
	if !slices.Equal(byObject, []string{"mallory config-approver ImportBundle OK", "bob config-approver ApproveImport OK"}) {
		t.Errorf("the trail of the settings object: %v", byObject)
	}
}

// selfActivationBundle is the server's own configuration with
// settings.allow_self_activation on.
func selfActivationBundle(t *testing.T, admin *client.Admin) []byte {
	t.Helper()
	b, err := admin.ExportBundle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Settings) == 0 {
		cfg.Settings = config.SettingsVersions{{}}
	}
	cfg.Settings[0].AllowSelfActivation = true
	out, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMakerCheckerByIdentity: the maker and the checker are the callers'
// identities. alice (an author) cannot activate at all; bob (an approver)
// cannot create; mallory (both) cannot activate her own draft, whatever
// user her request names; bob activates alice's.
func TestMakerCheckerByIdentity(t *testing.T) {
	srv := startTeam(t, t.TempDir())
	ctx := context.Background()
	alice, bob, mallory := client.NewAdmin(srv.AdminConn, "alice"), client.NewAdmin(srv.AdminConn, "bob"), client.NewAdmin(srv.AdminConn, "mallory")
	if _, err := alice.CreateDraft(ctx, mustEdit(t, quantityEdit)); err != nil {
		t.Fatal(err)
	}
	_, err := alice.Activate(ctx, "QTY-10", 1)
	wantCode(t, "alice activating", err, codes.PermissionDenied)
	_, err = bob.CreateDraft(ctx, mustEdit(t, strings.Replace(quantityEdit, "QTY-10", "QTY-B", 1)))
	wantCode(t, "bob drafting", err, codes.PermissionDenied)

	if _, err := mallory.CreateDraft(ctx, mustEdit(t, strings.Replace(quantityEdit, "QTY-10", "QTY-M", 1))); err != nil {
		t.Fatal(err)
	}
	_, err = pb.NewAdminServiceClient(srv.AdminConn).ActivateEdit(as("mallory"), &pb.ActivateEditRequest{Id: "QTY-M", Version: 1, User: "bob"})
	wantCode(t, "mallory activating her own draft, naming bob", err, codes.PermissionDenied)

	e, err := bob.Activate(ctx, "QTY-10", 1)
	if err != nil || e.Audit.CreatedBy != "alice" || e.Audit.ActivatedBy != "bob" {
		t.Fatalf("bob activating alice's draft: %+v %v", e, err)
	}
	trail := auditLines(t, srv, client.AuditFilter{Object: "edit QTY-10"})
	want := []string{"alice config-author CreateDraft OK", "alice config-approver ActivateEdit DENIED", "bob config-approver ActivateEdit OK"}
	if !slices.Equal(trail, want) {
		t.Errorf("QTY-10's trail:\n%s\nwant\n%s", strings.Join(trail, "\n"), strings.Join(want, "\n"))
	}
}

// TestEnrollmentAudit: enrollment calls are audited with the group and
// counts, never a cardholder ID, and a reversal's entry names the claim.
func TestEnrollmentAudit(t *testing.T) {
	srv := startTeam(t, t.TempDir())
	ctx := context.Background()
	enroll := pb.NewEnrollmentServiceClient(srv.AdminConn)
	fam := demo.Config().Families[0]
	fam.CardholderID = "SECRET0042"
	if _, err := enroll.SyncFamilies(as("loader"), &pb.SyncFamiliesRequest{GroupId: fam.GroupID,
		Families: []*pb.FamilyRecord{enrollwire.FamilyToProto(&fam)}}); err != nil {
		t.Fatal(err)
	}
	r, err := client.NewClaims(srv.Conn).Bill(as("switch"), demoClaim("6101"))
	if err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill: %+v %v", r, err)
	}
	if _, err := enroll.ListMemberClaims(as("loader"), &pb.ListMemberClaimsRequest{CardholderId: demo.DemoCardholder,
		PersonCode: demo.DemoSubscriberCode, From: "2026-01-01", To: "2026-12-31"}); err != nil {
		t.Fatal(err)
	}
	if _, err := enroll.ReverseClaim(as("loader"), &pb.ReverseClaimRequest{ClaimId: r.ClaimID}); err != nil {
		t.Fatal(err)
	}
	entries, err := client.NewAdmin(srv.AdminConn, "audrey").Audit(ctx, client.AuditFilter{User: "loader"})
	if err != nil || len(entries) != 3 {
		t.Fatalf("the loader's trail: %+v %v", entries, err)
	}
	want := []string{"group " + fam.GroupID, "", "claim " + r.ClaimID}
	for i, e := range entries {
		if strings.Join(e.Objects, ",") != want[i] || e.Outcome != adjudicator.AuditOK {
			t.Errorf("entry %d: %+v, want objects %q", i, e, want[i])
		}
		for _, phi := range []string{fam.CardholderID, demo.DemoCardholder, demo.DemoSubscriberDOB} {
			if strings.Contains(e.Detail+strings.Join(e.Objects, ""), phi) {
				t.Errorf("entry %d carries member data %q: %+v", i, phi, e)
			}
		}
	}
}

// auditLines reads the trail as audrey, one "subject role method outcome"
// line per entry.
func auditLines(t *testing.T, srv *servertest.Server, f client.AuditFilter) []string {
	t.Helper()
	entries, err := client.NewAdmin(srv.AdminConn, "audrey").Audit(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		method := e.Method[strings.LastIndex(e.Method, "/")+1:]
		out = append(out, strings.Join([]string{e.Subject, e.Role, method, e.Outcome}, " "))
	}
	return out
}

// verifyTrail checks the audit chain of the stopped server's store.
func verifyTrail(t *testing.T, dir string) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.VerifyAudit()
	if err != nil || len(r.Problems) > 0 || r.Entries == 0 {
		t.Fatalf("audit trail: %+v %v", r, err)
	}
}
