package server_test

import (
	"context"
	"testing"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCatalogSyncLeavesDatedNetworks: once a network has a second, dated
// version, the loader's network file may not change it: SyncCatalog
// answers FailedPrecondition and changes nothing, while a network with
// its one open-ended version still takes the file's terms.
func TestCatalogSyncLeavesDatedNetworks(t *testing.T) {
	srv := servertest.Start(t, t.TempDir())
	ctx := context.Background()
	alice, bob := client.NewAdmin(srv.AdminConn, "alice"), client.NewAdmin(srv.AdminConn, "bob")
	vs, err := alice.NetworkVersions(ctx, demo.NetRetailPref)
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	next := config.Network{Network: vs[0].Network, Dated: config.Dated{Effective: domain.NewDate(2027, 1, 1)}}
	if _, err := alice.CreateNetworkDraft(ctx, next); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ActivateNetwork(ctx, demo.NetRetailPref, 2); err != nil {
		t.Fatal(err)
	}

	enroll := pb.NewEnrollmentServiceClient(srv.AdminConn)
	_, err = enroll.SyncCatalog(as("loader"), &pb.SyncCatalogRequest{Networks: []*pb.NetworkRecord{enrollwire.NetworkToProto(&vs[0].Network)}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("a network file naming a dated network: %v, want FailedPrecondition", err)
	}
	mail, err := alice.NetworkVersions(ctx, demo.NetMail)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enroll.SyncCatalog(as("loader"), &pb.SyncCatalogRequest{Networks: []*pb.NetworkRecord{enrollwire.NetworkToProto(&mail[0].Network)}}); err != nil {
		t.Fatalf("a network file naming an undated network: %v", err)
	}
}
