package server_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"google.golang.org/grpc/codes"
)

// retroPolicy: olga runs eligibility retros, carl configuration retros,
// dave both, audrey audits.
const retroPolicy = `identities:
  - subject: olga
    roles: [enrollment-operator]
  - subject: carl
    roles: [config-approver]
  - subject: audrey
    roles: [auditor]
  - subject: dave
    roles: [enrollment-operator, config-approver]
`

// TestRetroCancelRolesAndAudit: cancelling a retro job needs the role
// that starts a job of its kind (an enrollment operator for an
// eligibility job, a config approver for a configuration job; an auditor
// neither); a job that has ended stays as it ended; an unknown job is
// NotFound; every call has its audit entry, naming the job and the role
// that allowed it, never the member.
func TestRetroCancelRolesAndAudit(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(retroPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := servertest.StartWithPolicy(t, t.TempDir(), policy)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	olga, carl, audrey := client.NewRetro(srv.AdminConn, "olga"), client.NewRetro(srv.AdminConn, "carl"), client.NewRetro(srv.AdminConn, "audrey")
	dave := client.NewRetro(srv.AdminConn, "dave")

	from := domain.MustDate("2026-01-01")
	start := func(c *client.Retro, req adjudicator.RetroRequest) {
		t.Helper()
		if _, err := c.Start(ctx, req); err != nil {
			t.Fatalf("start %s: %v", req.JobID, err)
		}
		if rep, err := c.Wait(ctx, req.JobID); err != nil || rep.State != adjudicator.RetroJobDone {
			t.Fatalf("job %s: %+v %v", req.JobID, rep, err)
		}
	}
	start(olga, adjudicator.RetroRequest{JobID: "E1", Kind: adjudicator.RetroEligibility,
		CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode, From: from, Reason: "coverage back-dated"})
	start(carl, adjudicator.RetroRequest{JobID: "C1", Kind: adjudicator.RetroConfiguration,
		From: from, To: domain.MustDate("2026-06-30"), PlanID: demo.PlanPPO, Reason: "plan v2"})

	_, err := carl.Cancel(ctx, "E1")
	wantCode(t, "cancel an eligibility job as a config approver", err, codes.PermissionDenied)
	_, err = olga.Cancel(ctx, "C1")
	wantCode(t, "cancel a configuration job as an enrollment operator", err, codes.PermissionDenied)
	_, err = audrey.Cancel(ctx, "C1")
	wantCode(t, "cancel as an auditor", err, codes.PermissionDenied)
	_, err = carl.Cancel(ctx, "NOPE")
	wantCode(t, "cancel an unknown job", err, codes.NotFound)
	for _, c := range []struct {
		who *client.Retro
		id  string
	}{{olga, "E1"}, {carl, "C1"}, {dave, "C1"}} {
		rep, err := c.who.Cancel(ctx, c.id)
		if err != nil || rep.State != adjudicator.RetroJobDone {
			t.Fatalf("cancel the ended job %s: %+v %v; want it left DONE", c.id, rep, err)
		}
	}

	var lines []string
	for _, l := range auditLines(t, srv, client.AuditFilter{}) {
		if strings.Contains(l, "CancelRetroJob") {
			lines = append(lines, l)
		}
	}
	want := []string{
		"carl config-approver CancelRetroJob FAILED PermissionDenied",
		"olga enrollment-operator CancelRetroJob FAILED PermissionDenied",
		"audrey enrollment-operator or config-approver CancelRetroJob DENIED",
		"carl config-approver CancelRetroJob FAILED NotFound",
		"olga enrollment-operator CancelRetroJob OK",
		"carl config-approver CancelRetroJob OK",
		"dave config-approver CancelRetroJob OK", // the role a configuration job's cancel needs, though dave holds both
	}
	if !slices.Equal(lines, want) {
		t.Errorf("audit trail:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	entries, err := client.NewAdmin(srv.AdminConn, "audrey").Audit(ctx, client.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.Contains(e.Method, "CancelRetroJob") {
			continue
		}
		if strings.Contains(e.Detail+strings.Join(e.Objects, ","), demo.DemoCardholder) {
			t.Errorf("entry %d carries member data: %+v", e.Seq, e)
		}
		if e.Outcome == adjudicator.AuditOK && !slices.Contains(e.Objects, "retro job E1") && !slices.Contains(e.Objects, "retro job C1") {
			t.Errorf("the cancel's entry does not name the job: %+v", e)
		}
	}
}
