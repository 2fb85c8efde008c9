package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/servertest"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// publicServices need no role.
var publicServices = []string{"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}

// servedMethods lists every method of every service server.New registers.
func servedMethods(t *testing.T) []string {
	t.Helper()
	e, _ := scenario.NewEngine(t, demo.Config(), t.TempDir(), time.Now)
	return server.New(e, server.Config{Policy: authz.AllowAll()}).Methods()
}

// TestEveryRPCHasRoles walks the registered services: every RPC but those
// of health and reflection has an entry in the role table, every entry
// names an RPC that exists and only known roles.
func TestEveryRPCHasRoles(t *testing.T) {
	table := server.MethodRoles()
	served := servedMethods(t)
	for _, m := range served {
		service := strings.Split(m, "/")[1]
		if slices.Contains(publicServices, service) {
			continue
		}
		if len(table[m]) == 0 {
			t.Errorf("%s has no entry in the role table (internal/server/roles.go): give it the roles that may call it", m)
		}
	}
	for m, roles := range table {
		if !slices.Contains(served, m) {
			t.Errorf("the role table names %s, which no service serves", m)
		}
		for _, r := range roles {
			if !slices.Contains(authz.Roles, r) {
				t.Errorf("%s: %q is not a role", m, r)
			}
		}
	}
}

// rolePolicy writes a policy in which each subject "only:<role>" holds that
// role alone and "none" holds none (it matches no entry).
func rolePolicy(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("identities:\n")
	for _, r := range authz.Roles {
		fmt.Fprintf(&b, "  - subject: only:%s\n    roles: [%s]\n", r, r)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func as(subject string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), server.UserMetadataKey, subject)
}

// call invokes method with an empty request (valid for any request type)
// as subject.
func callAs(conn *grpc.ClientConn, subject, method string) error {
	return conn.Invoke(as(subject), method, &emptypb.Empty{}, &emptypb.Empty{})
}

// connFor returns the connection whose listener serves method: claims for
// ClaimsService, admin for the rest.
func connFor(claims, admin *grpc.ClientConn, method string) *grpc.ClientConn {
	if strings.HasPrefix(method, "/"+pb.ClaimsService_ServiceDesc.ServiceName+"/") {
		return claims
	}
	return admin
}

// TestRolesPerRPC: over a real server with a policy, for every RPC in the
// table, a caller with one of its roles is not refused for want of a role
// (its empty request may fail otherwise), while callers without any of
// them (no role at all, or every other role) get PermissionDenied naming
// the method and the role. The policy applies in development mode too.
func TestRolesPerRPC(t *testing.T) {
	srv := servertest.StartWithPolicy(t, t.TempDir(), rolePolicy(t))
	for method, allowed := range server.MethodRoles() {
		for _, role := range authz.Roles {
			err := callAs(connFor(srv.Conn, srv.AdminConn, method), "only:"+role, method)
			if slices.Contains(allowed, role) {
				if status.Code(err) == codes.Unimplemented || status.Code(err) == codes.PermissionDenied && strings.Contains(err.Error(), "requires the role") {
					t.Errorf("%s as %s: %v", method, role, err)
				}
				continue
			}
			checkDenied(t, method, role, allowed, err)
		}
		checkDenied(t, method, "none", allowed, callAs(connFor(srv.Conn, srv.AdminConn, method), "none", method))
	}
}

func checkDenied(t *testing.T, method, caller string, allowed []string, err error) {
	t.Helper()
	msg := status.Convert(err).Message()
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(msg, method) || !strings.Contains(msg, strings.Join(allowed, " or ")) {
		t.Errorf("%s as %s: %v; want PermissionDenied naming the method and %v", method, caller, err, allowed)
	}
}

// TestDeniedCallsCountedAndAudited: a denied claim call is counted (by
// method and role), not audited; a denied admin call is counted and has an
// audit entry of its own; the audit trail's reader needs the auditor role.
func TestDeniedCallsCountedAndAudited(t *testing.T) {
	logs := &syncBuffer{}
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("identities:\n  - subject: carol\n    roles: [auditor]\n  - subject: alice\n    roles: [config-author]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startRunWith(t, logs, func(o *server.Options) { o.PolicyFile = policy })
	conn, adminConn := dial(t, srv.addrs.GRPC.String()), dial(t, srv.addrs.Admin.String())
	claims := client.NewClaims(conn)
	_, err := claims.Bill(as("alice"), demoClaim("5001"))
	wantCode(t, "bill as alice", err, codes.PermissionDenied)
	_, err = client.NewAdmin(adminConn, "alice").Activate(context.Background(), "QTY-10", 1)
	wantCode(t, "activate as alice", err, codes.PermissionDenied)
	_, err = client.NewAdmin(adminConn, "alice").Audit(context.Background(), client.AuditFilter{})
	wantCode(t, "audit as alice", err, codes.PermissionDenied)

	trail, err := client.NewAdmin(adminConn, "carol").Audit(context.Background(), client.AuditFilter{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range trail {
		got = append(got, e.Method+" "+e.Outcome+" "+e.Role)
	}
	want := []string{
		"/rxclaims.v1.AdminService/ActivateEdit DENIED config-approver",
		"/rxclaims.v1.AdminService/ListAudit DENIED auditor",
	}
	if !slices.Equal(got, want) {
		t.Errorf("alice's audit entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	metrics := readMetrics(t, srv.addrs.Metrics)
	for _, line := range []string{
		`rxclaims_calls_denied_total{method="/rxclaims.v1.ClaimsService/Bill",role="claims-submitter"} 1`,
		`rxclaims_calls_denied_total{method="/rxclaims.v1.AdminService/ActivateEdit",role="config-approver"} 1`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"call denied"`) || strings.Contains(logs.String(), demo.DemoCardholder) {
		t.Errorf("denied calls are not logged, or their log carries member data:\n%s", logs)
	}
}

// TestPolicyRequired: a server that must have a policy (TLS mode) refuses
// to start without one, and a broken policy file stops the start.
func TestPolicyRequired(t *testing.T) {
	for name, o := range map[string]server.Options{
		"required":   {Security: server.Security{TLSCert: "tls.crt", TLSKey: "tls.key"}},
		"unreadable": {PolicyFile: filepath.Join(t.TempDir(), "missing.yaml")},
	} {
		o.GRPCAddr, o.MetricsAddr, o.DataDir, o.Config = "127.0.0.1:0", "-", t.TempDir(), servertest.Demo()
		o.Logger = discardLogger()
		if err := server.Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "policy") {
			t.Errorf("%s: %v, want a refusal naming the policy", name, err)
		}
	}
}

// TestDevelopmentModeGrantsAll: without a policy file every caller has
// every role, and the log says so loudly.
func TestDevelopmentModeGrantsAll(t *testing.T) {
	logs := &syncBuffer{}
	srv := startRunWith(t, logs, nil)
	conn, adminConn := dial(t, srv.addrs.GRPC.String()), dial(t, srv.addrs.Admin.String())
	for method := range server.MethodRoles() {
		err := callAs(connFor(conn, adminConn, method), "anyone", method)
		if status.Code(err) == codes.Unimplemented || status.Code(err) == codes.PermissionDenied && strings.Contains(err.Error(), "requires the role") {
			t.Errorf("%s in development mode: %v", method, err)
		}
	}
	if !strings.Contains(logs.String(), "DEVELOPMENT MODE: no policy file") {
		t.Errorf("development mode is not said at start:\n%s", logs)
	}
}
