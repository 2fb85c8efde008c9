package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/authz"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
)

// BenchmarkAuthorizeClaim measures what authorization adds to a claim
// call (a claim is not audited): the policy's roles for the caller and the
// table lookup, with the development policy and with a policy of 20
// entries the caller matches last.
//
//	go test ./internal/server -run '^$' -bench AuthorizeClaim
func BenchmarkAuthorizeClaim(b *testing.B) {
	var rules strings.Builder
	rules.WriteString("identities:\n")
	for i := range 19 {
		fmt.Fprintf(&rules, "  - subject: someone-%d\n    roles: [config-author]\n", i)
	}
	rules.WriteString("  - subject_prefix: spiffe://example.org/switch/\n    roles: [claims-submitter]\n")
	file, err := authz.Parse([]byte(rules.String()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := auth.NewContext(context.Background(), auth.Identity{Subject: "spiffe://example.org/switch/a", Source: auth.SourceCertificate})
	info := &grpc.UnaryServerInfo{FullMethod: pb.ClaimsService_Bill_FullMethodName}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	for name, p := range map[string]*authz.Policy{"allow-all": authz.AllowAll(), "policy-20": file} {
		a := &authorizer{policy: p, log: slog.New(slog.DiscardHandler), now: time.Now}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.unary(ctx, nil, info, handler); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
