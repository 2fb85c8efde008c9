package server_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
)

// paPolicy: pam reviews prior authorizations, alice authors edits, audrey
// audits, the loader syncs.
const paPolicy = `identities:
  - subject: pam
    roles: [clinical-reviewer]
  - subject: alice
    roles: [config-author]
  - subject: audrey
    roles: [auditor]
  - subject: loader
    roles: [enrollment-operator]
`

// TestPriorAuthRolesAndAudit: only a clinical reviewer changes prior
// authorizations (an auditor may read them); every call has its audit
// entry, naming the PA number, never the cardholder ID or birth date; a
// refused change writes nothing but its failed entry.
func TestPriorAuthRolesAndAudit(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(paPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := servertest.StartWithPolicy(t, t.TempDir(), policy)
	ctx := context.Background()
	pam, alice, audrey := client.NewPriorAuths(srv.AdminConn, "pam"), client.NewPriorAuths(srv.AdminConn, "alice"), client.NewPriorAuths(srv.AdminConn, "audrey")
	pa := domain.PriorAuth{CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode, Number: "QL7",
		Type: domain.PAQuantity, DrugRef: domain.DrugRef{ClassPrefix: "39"}, Range: domain.Range{From: domain.MustDate("2026-01-01")}}
	pa.MaxQuantity = decimal.NewFromInt(90)

	_, err := alice.Create(ctx, pa)
	wantCode(t, "create as a config author", err, codes.PermissionDenied)
	if _, err := pam.Create(ctx, pa); err != nil {
		t.Fatal(err)
	}
	bad := pa
	bad.Number, bad.PersonCode = "QL8", "099"
	_, err = pam.Create(ctx, bad)
	wantCode(t, "create for an unknown member", err, codes.InvalidArgument)
	if strings.Contains(err.Error(), demo.DemoCardholder) {
		t.Errorf("the error names the cardholder: %v", err)
	}
	_, err = audrey.End(ctx, pa.Key(), domain.MustDate("2026-06-30"))
	wantCode(t, "end as an auditor", err, codes.PermissionDenied)
	if _, err := pam.End(ctx, pa.Key(), domain.MustDate("2026-06-30")); err != nil {
		t.Fatal(err)
	}
	list, err := audrey.List(ctx, demo.DemoCardholder, "")
	if err != nil || len(list) != 1 || list[0].To != domain.MustDate("2026-06-30") {
		t.Fatalf("list as auditor: %+v %v", list, err)
	}
	got, err := pam.Get(ctx, pa.Key())
	if err != nil || got.Number != "QL7" || !got.MaxQuantity.Equal(pa.MaxQuantity) {
		t.Fatalf("get: %+v %v", got, err)
	}
	err = client.NewPriorAuths(srv.AdminConn, "pam").Sync(ctx, "test", 1, []domain.PriorAuth{pa})
	wantCode(t, "sync as a clinical reviewer", err, codes.PermissionDenied)

	want := []string{
		"alice clinical-reviewer CreatePriorAuth DENIED",
		"pam clinical-reviewer CreatePriorAuth OK",
		"pam clinical-reviewer CreatePriorAuth FAILED InvalidArgument",
		"audrey clinical-reviewer EndPriorAuth DENIED",
		"pam clinical-reviewer EndPriorAuth OK",
		"audrey auditor ListPriorAuths OK",
		"pam clinical-reviewer GetPriorAuth OK",
		"pam enrollment-operator SyncPriorAuths DENIED",
	}
	var lines []string
	for _, l := range auditLines(t, srv, client.AuditFilter{}) {
		if strings.Contains(l, "PriorAuth") {
			lines = append(lines, l)
		}
	}
	if !slices.Equal(lines, want) {
		t.Errorf("audit trail:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	entries, err := client.NewAdmin(srv.AdminConn, "audrey").Audit(ctx, client.AuditFilter{User: "pam"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		text := e.Detail + strings.Join(e.Objects, ",")
		for _, phi := range []string{demo.DemoCardholder, demo.DemoSubscriberDOB} {
			if strings.Contains(text, phi) {
				t.Errorf("entry %d carries member data: %+v", e.Seq, e)
			}
		}
		if e.Outcome == adjudicator.AuditOK && strings.Contains(e.Method, "CreatePriorAuth") && !slices.Contains(e.Objects, "prior authorization QL7") {
			t.Errorf("the create's entry does not name the PA: %+v", e)
		}
	}
}
