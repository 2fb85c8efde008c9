package server_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/server"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// TestScenarios runs the scenario files against a real gRPC server on a
// loopback port, through the generated client.
func TestScenarios(t *testing.T) {
	scenario.RunAll(t, func(t *testing.T, cfg *config.Config, dir string, now func() time.Time) scenario.Target {
		e, _ := scenario.NewEngine(t, cfg, dir, now)
		conn := serve(t, e)
		return grpcTarget{Claims: client.NewClaims(conn), conn: conn}
	})
}

// grpcTarget drives claims and the edits admin over gRPC, so the edit
// worksheets run through AdminService too.
type grpcTarget struct {
	*client.Claims
	conn *grpc.ClientConn
}

func (g grpcTarget) admin(user string) *client.Admin {
	return client.NewAdmin(g.conn, user)
}

func (g grpcTarget) CreateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error) {
	return g.admin(user).CreateDraft(ctx, e)
}

func (g grpcTarget) UpdateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error) {
	return g.admin(user).UpdateDraft(ctx, e)
}

func (g grpcTarget) Activate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	return g.admin(user).Activate(ctx, id, version)
}

func (g grpcTarget) Inactivate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	return g.admin(user).Inactivate(ctx, id, version)
}

func (g grpcTarget) CheckEdit(ctx context.Context, e edits.Edit) ([]edits.Problem, []string, error) {
	return g.admin("").CheckEdit(ctx, e)
}

func (g grpcTarget) TestClaim(ctx context.Context, c *adjudicator.Claim, drafts []adjudicator.EditRef) (*adjudicator.Response, error) {
	return g.admin("").TestClaim(ctx, c, drafts)
}

// serve starts a gRPC server for e on 127.0.0.1 and returns a connection to it.
func serve(t testing.TB, e *adjudicator.Engine) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(e, server.Config{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestNewServesEveryService: New registers every service of the
// adjudicator, so a loader can sync through the same server that bills.
func TestNewServesEveryService(t *testing.T) {
	e, _ := scenario.NewEngine(t, demo.Config(), t.TempDir(), time.Now)
	conn := serve(t, e)
	_, err := pb.NewEnrollmentServiceClient(conn).ListMemberClaims(context.Background(), &pb.ListMemberClaimsRequest{})
	if status.Code(err) == codes.Unimplemented {
		t.Fatalf("EnrollmentService: %v", err)
	}
}
