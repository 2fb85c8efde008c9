package server_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/servertest"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestDryRunRPC: hostile requests get InvalidArgument or NotFound, naming
// the field and never the member; a dry run streams its totals last and
// is audited with its drafts and plan, never its family.
func TestDryRunRPC(t *testing.T) {
	srv := servertest.Start(t, t.TempDir())
	admin := pb.NewAdminServiceClient(srv.AdminConn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), client.UserMetadataKey, "carol")
	run := func(req *pb.DryRunRequest) ([]*pb.DryRunResponse, error) {
		stream, err := admin.DryRun(ctx, req)
		if err != nil {
			return nil, err
		}
		var out []*pb.DryRunResponse
		for {
			m, err := stream.Recv()
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, err
			}
			out = append(out, m)
		}
	}
	year := func() *pb.DryRunRequest { return &pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31"} }
	long := strings.Repeat("Z", 65)
	for name, c := range map[string]struct {
		req  *pb.DryRunRequest
		code codes.Code
	}{
		"not a date":        {&pb.DryRunRequest{From: "2026-13-01", To: "2026-12-31"}, codes.InvalidArgument},
		"not a date either": {&pb.DryRunRequest{From: "2026-01-01", To: "yesterday"}, codes.InvalidArgument},
		"no dates":          {&pb.DryRunRequest{}, codes.InvalidArgument},
		"backwards":         {&pb.DryRunRequest{From: "2026-12-31", To: "2026-01-01"}, codes.InvalidArgument},
		"three years":       {&pb.DryRunRequest{From: "2024-01-01", To: "2026-12-31"}, codes.InvalidArgument},
		"33 drafts":         {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31", Drafts: make([]*pb.EditRef, 33)}, codes.InvalidArgument},
		"a long plan":       {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31", PlanId: long}, codes.InvalidArgument},
		"a long family":     {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31", CardholderId: long}, codes.InvalidArgument},
		"a member alone":    {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31", PersonCode: "01"}, codes.InvalidArgument},
		"an unknown draft":  {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31", Drafts: []*pb.EditRef{{Id: "NO-SUCH", Version: 1}}}, codes.NotFound},
		"an unknown plan draft": {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31",
			DraftVersions: []*pb.DraftVersion{{Kind: "plan", Id: "NO-SUCH", Version: 1}}}, codes.NotFound},
		"an active network": {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31",
			DraftVersions: []*pb.DraftVersion{{Kind: "network", Id: demo.NetRetailPref, Version: 1}}}, codes.FailedPrecondition},
		"a kind unknown": {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31",
			DraftVersions: []*pb.DraftVersion{{Kind: long, Id: "X", Version: 1}}}, codes.InvalidArgument},
		"a comparison unknown": {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31", Compare: pb.DryRunCompare(7)}, codes.InvalidArgument},
		"33 drafts of two forms": {&pb.DryRunRequest{From: "2026-01-01", To: "2026-12-31", Drafts: make([]*pb.EditRef, 16),
			DraftVersions: make([]*pb.DraftVersion, 17)}, codes.InvalidArgument},
	} {
		_, err := run(c.req)
		if status.Code(err) != c.code {
			t.Errorf("%s: %v, want %v", name, err, c.code)
		}
		if strings.Contains(status.Convert(err).Message(), long) {
			t.Errorf("%s: the message repeats the value: %v", name, err)
		}
	}

	c := &adjudicator.Claim{BIN: demo.BIN, PCN: demo.PCN, CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode,
		DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: "4545", ProductID: demo.DemoGenericNDC,
		Quantity: "30", DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI}
	if r, err := client.NewClaims(srv.Conn).Bill(ctx, c); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill: %+v, %v", r, err)
	}
	req := year()
	req.PlanId, req.CardholderId = demo.PlanPPO, demo.DemoCardholder
	out, err := run(req)
	if err != nil || len(out) != 1 || out[0].GetTotals().GetClaims() != 1 || out[0].GetTotals().GetChanged() != 0 {
		t.Fatalf("dry run of the family: %v, %v; want the totals alone, 1 claim, none changed", out, err)
	}
	entries, err := client.NewAdmin(srv.AdminConn, "audra").Audit(ctx, client.AuditFilter{Object: "plan " + demo.PlanPPO})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(entries, func(e adjudicator.AuditEntry) bool { return e.Method == pb.AdminService_DryRun_FullMethodName })
	if i < 0 {
		t.Fatalf("no audit entry of the dry run in %+v", entries)
	}
	if e := entries[i]; e.Subject != "carol" || !strings.Contains(e.Detail, "1 claims re-adjudicated") || !strings.Contains(e.Detail, "one family") ||
		strings.Contains(e.Detail+strings.Join(e.Objects, " "), demo.DemoCardholder) {
		t.Errorf("audit entry: %+v", e)
	}
}
