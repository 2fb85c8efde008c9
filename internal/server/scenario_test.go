package server_test

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestScenarios runs the scenario files against a real gRPC server on
// loopback ports with mutual TLS, through the generated client: claims as
// the switch's certificate, each edit action as its user's certificate, so
// maker-checker sees the certificates' identities.
func TestScenarios(t *testing.T) {
	pki := servertest.NewPKI(t)
	scenario.RunAll(t, func(t *testing.T, cfg *config.Config, dir string, now func() time.Time) scenario.Target {
		e, _ := scenario.NewEngine(t, cfg, dir, now)
		claimsAddr, adminAddr := serve(t, e, pki)
		return &grpcTarget{Claims: tracing(client.NewClaims(pki.Dial(t, claimsAddr, "switch"))), t: t, pki: pki, adminAddr: adminAddr}
	})
}

// tracing asks c for each result's trace, which the worksheets show.
func tracing(c *client.Claims) *client.Claims {
	c.Trace = true
	return c
}

// grpcTarget drives claims and the edits admin over gRPC, so the edit
// worksheets run through AdminService too.
type grpcTarget struct {
	*client.Claims
	t         *testing.T
	pki       *servertest.PKI
	adminAddr string
	mu        sync.Mutex
	admins    map[string]*client.Admin
}

// admin is the AdminService client of user, over a connection with user's
// certificate.
func (g *grpcTarget) admin(user string) *client.Admin {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a, ok := g.admins[user]; ok {
		return a
	}
	if g.admins == nil {
		g.admins = map[string]*client.Admin{}
	}
	a := client.NewAdmin(g.pki.Dial(g.t, g.adminAddr, user), "")
	g.admins[user] = a
	return a
}

// ReplayAll replays the server's store through AdminService.ReplayStore,
// as an operator would.
func (g *grpcTarget) ReplayAll(ctx context.Context, fn func(*adjudicator.Replay) error) (adjudicator.ReplaySummary, error) {
	return g.admin("operator").ReplayStore(ctx, 1000, fn)
}

func (g *grpcTarget) CreatePlanDraft(ctx context.Context, p config.Plan, user string) (config.Plan, error) {
	return g.admin(user).CreatePlanDraft(ctx, p)
}

func (g *grpcTarget) UpdatePlanDraft(ctx context.Context, p config.Plan, user string) (config.Plan, error) {
	return g.admin(user).UpdatePlanDraft(ctx, p)
}

func (g *grpcTarget) ActivatePlan(ctx context.Context, id string, version int, user string) (config.Plan, error) {
	return g.admin(user).ActivatePlan(ctx, id, version)
}

func (g *grpcTarget) InactivatePlan(ctx context.Context, id string, version int, user string) (config.Plan, error) {
	return g.admin(user).InactivatePlan(ctx, id, version)
}

// PlanVersions reads as an auditor would.
func (g *grpcTarget) PlanVersions(ctx context.Context, id string) ([]config.Plan, error) {
	return g.admin("auditor").PlanVersions(ctx, id)
}

func (g *grpcTarget) CreateNetworkDraft(ctx context.Context, n config.Network, user string) (config.Network, error) {
	return g.admin(user).CreateNetworkDraft(ctx, n)
}

func (g *grpcTarget) UpdateNetworkDraft(ctx context.Context, n config.Network, user string) (config.Network, error) {
	return g.admin(user).UpdateNetworkDraft(ctx, n)
}

func (g *grpcTarget) ActivateNetwork(ctx context.Context, id string, version int, user string) (config.Network, error) {
	return g.admin(user).ActivateNetwork(ctx, id, version)
}

func (g *grpcTarget) InactivateNetwork(ctx context.Context, id string, version int, user string) (config.Network, error) {
	return g.admin(user).InactivateNetwork(ctx, id, version)
}

func (g *grpcTarget) CreateScheduleDraft(ctx context.Context, s config.Schedule, user string) (config.Schedule, error) {
	return g.admin(user).CreateScheduleDraft(ctx, s)
}

func (g *grpcTarget) UpdateScheduleDraft(ctx context.Context, s config.Schedule, user string) (config.Schedule, error) {
	return g.admin(user).UpdateScheduleDraft(ctx, s)
}

func (g *grpcTarget) ActivateSchedule(ctx context.Context, id string, version int, user string) (config.Schedule, error) {
	return g.admin(user).ActivateSchedule(ctx, id, version)
}

func (g *grpcTarget) InactivateSchedule(ctx context.Context, id string, version int, user string) (config.Schedule, error) {
	return g.admin(user).InactivateSchedule(ctx, id, version)
}

// ScheduleVersions reads as an auditor would.
func (g *grpcTarget) ScheduleVersions(ctx context.Context, id string) ([]config.Schedule, error) {
	return g.admin("auditor").ScheduleVersions(ctx, id)
}

func (g *grpcTarget) CreateSettingsDraft(ctx context.Context, v config.SettingsVersion, user string) (config.SettingsVersion, error) {
	return g.admin(user).CreateSettingsDraft(ctx, v)
}

func (g *grpcTarget) UpdateSettingsDraft(ctx context.Context, v config.SettingsVersion, user string) (config.SettingsVersion, error) {
	return g.admin(user).UpdateSettingsDraft(ctx, v)
}

func (g *grpcTarget) ActivateSettings(ctx context.Context, level config.Level, id string, version int, user string) (config.SettingsVersion, error) {
	return g.admin(user).ActivateSettings(ctx, level, id, version)
}

func (g *grpcTarget) InactivateSettings(ctx context.Context, level config.Level, id string, version int, user string) (config.SettingsVersion, error) {
	return g.admin(user).InactivateSettings(ctx, level, id, version)
}

// SettingsVersions reads as an auditor would.
func (g *grpcTarget) SettingsVersions(ctx context.Context, level config.Level, id string) ([]config.SettingsVersion, error) {
	return g.admin("auditor").SettingsVersions(ctx, level, id)
}

// NetworkVersions reads as an auditor would.
func (g *grpcTarget) NetworkVersions(ctx context.Context, id string) ([]config.Network, error) {
	return g.admin("auditor").NetworkVersions(ctx, id)
}

// DryRun runs a dry run through AdminService.DryRun, as an analyst would.
func (g *grpcTarget) DryRun(ctx context.Context, sel adjudicator.DryRunSelection, drafts []adjudicator.DraftRef,
	fn func(*adjudicator.DryRunChange) error) (*adjudicator.DryRunReport, error) {
	return g.admin("analyst").DryRun(ctx, sel, drafts, fn)
}

func (g *grpcTarget) CreateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error) {
	return g.admin(user).CreateDraft(ctx, e)
}

func (g *grpcTarget) UpdateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error) {
	return g.admin(user).UpdateDraft(ctx, e)
}

func (g *grpcTarget) Activate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	return g.admin(user).Activate(ctx, id, version)
}

func (g *grpcTarget) Inactivate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	return g.admin(user).Inactivate(ctx, id, version)
}

func (g *grpcTarget) CheckEdit(ctx context.Context, e edits.Edit) ([]edits.Problem, []string, error) {
	return g.admin("analyst").CheckEdit(ctx, e)
}

func (g *grpcTarget) TestClaim(ctx context.Context, c *adjudicator.Claim, drafts []adjudicator.EditRef) (*adjudicator.Response, error) {
	return g.admin("analyst").TestClaim(ctx, c, drafts)
}

// serve starts the gRPC servers for e on 127.0.0.1, with pki's mutual TLS
// (development mode when pki is nil), and returns the claims and admin
// addresses.
func serve(t testing.TB, e *adjudicator.Engine, pki *servertest.PKI) (claimsAddr, adminAddr string) {
	t.Helper()
	var cfg server.Config
	if pki != nil {
		creds, authn, err := pki.Security().Transport(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Creds, cfg.Authenticator = creds, authn
	}
	var lis server.Listeners
	for _, l := range []*net.Listener{&lis.Claims, &lis.Admin} {
		var err error
		if *l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Policy, cfg.Logger = authz.AllowAll(), slog.New(slog.DiscardHandler)
	srv := server.New(e, cfg)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Claims.Addr().String(), lis.Admin.Addr().String()
}

// TestNewServesEveryService: New registers ClaimsService on the claims
// listener and AdminService, EnrollmentService, PriorAuthService and
// RetroService on the admin listener,
// and no service on the other.
func TestNewServesEveryService(t *testing.T) {
	e, _ := scenario.NewEngine(t, demo.Config(), t.TempDir(), time.Now)
	claimsAddr, adminAddr := serve(t, e, nil)
	ctx := context.Background()
	claims, admin := dial(t, claimsAddr), dial(t, adminAddr)
	for _, tc := range []struct {
		name   string
		call   func() error
		served bool
	}{
		{"enrollment on admin", func() error {
			_, err := pb.NewEnrollmentServiceClient(admin).ListMemberClaims(ctx, &pb.ListMemberClaimsRequest{})
			return err
		}, true},
		{"admin on admin", func() error {
			_, err := pb.NewAdminServiceClient(admin).ListEdits(ctx, &pb.ListEditsRequest{})
			return err
		}, true},
		{"prior auths on admin", func() error {
			_, err := pb.NewPriorAuthServiceClient(admin).ListPriorAuths(ctx, &pb.ListPriorAuthsRequest{})
			return err
		}, true},
		{"retro on admin", func() error {
			_, err := pb.NewRetroServiceClient(admin).GetRetroReport(ctx, &pb.GetRetroReportRequest{})
			return err
		}, true},
		{"retro on claims", func() error {
			_, err := pb.NewRetroServiceClient(claims).GetRetroReport(ctx, &pb.GetRetroReportRequest{})
			return err
		}, false},
		{"prior auths on claims", func() error {
			_, err := pb.NewPriorAuthServiceClient(claims).ListPriorAuths(ctx, &pb.ListPriorAuthsRequest{})
			return err
		}, false},
		{"claims on claims", func() error { _, err := pb.NewClaimsServiceClient(claims).Bill(ctx, &pb.BillRequest{}); return err }, true},
		{"enrollment on claims", func() error {
			_, err := pb.NewEnrollmentServiceClient(claims).ListMemberClaims(ctx, &pb.ListMemberClaimsRequest{})
			return err
		}, false},
		{"admin on claims", func() error {
			_, err := pb.NewAdminServiceClient(claims).ListEdits(ctx, &pb.ListEditsRequest{})
			return err
		}, false},
		{"claims on admin", func() error { _, err := pb.NewClaimsServiceClient(admin).Bill(ctx, &pb.BillRequest{}); return err }, false},
	} {
		if got := status.Code(tc.call()) != codes.Unimplemented; got != tc.served {
			t.Errorf("%s: served %v, want %v", tc.name, got, tc.served)
		}
	}
}

// priorAuths is the PriorAuthService client of user.
func (g *grpcTarget) priorAuths(user string) *client.PriorAuths {
	return client.NewPriorAuths(g.pki.Dial(g.t, g.adminAddr, user), "")
}

func (g *grpcTarget) CreatePriorAuth(ctx context.Context, pa domain.PriorAuth, user string) (domain.PriorAuth, error) {
	return g.priorAuths(user).Create(ctx, pa)
}

func (g *grpcTarget) ChangePriorAuth(ctx context.Context, pa domain.PriorAuth, user string) (domain.PriorAuth, error) {
	return g.priorAuths(user).Change(ctx, pa)
}

func (g *grpcTarget) EndPriorAuth(ctx context.Context, key domain.PriorAuthKey, end domain.Date, user string) (domain.PriorAuth, error) {
	return g.priorAuths(user).End(ctx, key, end)
}

func (g *grpcTarget) ListPriorAuths(ctx context.Context, cardholderID, personCode, user string) ([]domain.PriorAuth, error) {
	return g.priorAuths(user).List(ctx, cardholderID, personCode)
}

func (g *grpcTarget) SyncPriorAuths(ctx context.Context, pas []domain.PriorAuth, user string) error {
	return g.priorAuths(user).Sync(ctx, "scenario", 1, pas)
}

// SyncFamilies sends the families through EnrollmentService as the loader's
// certificate, one batch per group, as the loader does.
func (g *grpcTarget) SyncFamilies(ctx context.Context, fams []domain.Family) error {
	c := pb.NewEnrollmentServiceClient(g.pki.Dial(g.t, g.adminAddr, "loader"))
	for _, f := range fams {
		req := &pb.SyncFamiliesRequest{Source: "scenario", GroupId: f.GroupID, Families: []*pb.FamilyRecord{enrollwire.FamilyToProto(&f)}}
		if _, err := c.SyncFamilies(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

// TestScenariosPostgres runs the scenario files over gRPC against the
// engine on the PostgreSQL store, each on a database of its own.
func TestScenariosPostgres(t *testing.T) {
	pki := servertest.NewPKI(t)
	scenario.RunAll(t, func(t *testing.T, cfg *config.Config, _ string, now func() time.Time) scenario.Target {
		e := scenario.NewEngineOn(t, cfg, pgtest.Store(t), now)
		claimsAddr, adminAddr := serve(t, e, pki)
		return &grpcTarget{Claims: tracing(client.NewClaims(pki.Dial(t, claimsAddr, "switch"))), t: t, pki: pki, adminAddr: adminAddr}
	})
}

// TestMain stops the PostgreSQL cluster the tests on the PostgreSQL store
// started.
func TestMain(m *testing.M) { pgtest.Main(m) }

// StartRetro starts a retro job through RetroService as user, and waits
// for the server's runner to end it.
func (g *grpcTarget) StartRetro(ctx context.Context, req adjudicator.RetroRequest, user string) (*adjudicator.RetroReport, error) {
	c := client.NewRetro(g.pki.Dial(g.t, g.adminAddr, user), "")
	rep, err := c.Start(ctx, req)
	if err != nil || rep.State != adjudicator.RetroJobRunning {
		return rep, err
	}
	return c.Wait(ctx, req.JobID)
}

// RetroReport reads a retro job's report through RetroService, as an auditor.
func (g *grpcTarget) RetroReport(ctx context.Context, id string) (*adjudicator.RetroReport, error) {
	return client.NewRetro(g.pki.Dial(g.t, g.adminAddr, "auditor"), "").Report(ctx, id)
}
