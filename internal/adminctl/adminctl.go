// Package adminctl is adjctl: a command line for the AdminService (edits,
// plan versions, configuration bundles, test claims), the PriorAuthService (prior
// authorizations) and the OperatorService (backup). cmd/adjctl is its thin main; the
// commands are kong subcommands, each a type with a Run method.
package adminctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/cli"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/dialer"
	"google.golang.org/grpc/status"
)

// ErrInvalidEdit is returned by "edits validate" for an invalid edit, after
// its problems are printed.
var ErrInvalidEdit = errors.New("the edit is invalid")

// CLI is adjctl's command line.
type CLI struct {
	Addr    string           `name:"addr" env:"RXCLAIMS_ADDR" default:"localhost:50052" help:"The adjudicator's admin listener (AdminService)."`
	User    string           `name:"user" env:"RXCLAIMS_USER,USER" help:"The acting user, sent as x-user metadata: a development-mode server's only notion of who calls (with TLS, the client certificate or token says who you are and this is ignored)."`
	TLS     dialer.Flags     `embed:""`
	JSON    bool             `name:"json" help:"Print JSON instead of tables."`
	Version kong.VersionFlag `name:"version" help:"Print the version and exit."`

	Edits struct {
		List       listCmd       `cmd:"" help:"List edit versions."`
		Show       showCmd       `cmd:"" help:"Every version of an edit, with its audit."`
		Create     createCmd     `cmd:"" help:"Store an edit (JSON or YAML) as a new draft."`
		Update     updateCmd     `cmd:"" help:"Replace a draft's content (the file names id and version)."`
		Validate   validateCmd   `cmd:"" help:"Check an edit without storing it."`
		Activate   activateCmd   `cmd:"" help:"Make a draft active (not by its creator)."`
		Inactivate inactivateCmd `cmd:"" help:"Retire a version for good."`
	} `cmd:"" help:"Manage edits."`
	Plans     plansCmd     `cmd:"" help:"Manage plan versions (Draft, Active, Inactive, with maker-checker like edits)."`
	Networks  networksCmd  `cmd:"" help:"Manage network versions: dated pricing terms (Draft, Active, Inactive, with maker-checker like edits)."`
	Schedules schedulesCmd `cmd:"" help:"Manage schedule versions: dated rate schedules and adjustment rules (Draft, Active, Inactive, with maker-checker like edits)."`
	Settings  settingsCmd  `cmd:"" help:"Manage the PBM's, clients' and groups' settings versions (Draft, Active, Inactive, with maker-checker like edits)."`
	Bundle    struct {
		Export  exportCmd  `cmd:"" help:"Write the configuration bundle (YAML)."`
		Import  importCmd  `cmd:"" help:"Propose a YAML or JSON bundle for import (another approver approves it)."`
		Approve approveCmd `cmd:"" help:"Apply a pending import (not one you proposed)."`
		Reject  rejectCmd  `cmd:"" help:"Discard a pending import."`
		Pending pendingCmd `cmd:"" help:"List the pending imports."`
	} `cmd:"" help:"Export, import and approve configuration bundles."`
	PA struct {
		Create paCreateCmd `cmd:"" help:"Store a new prior authorization (JSON or YAML) for a member on file."`
		Change paChangeCmd `cmd:"" help:"Replace a stored prior authorization's terms (the file names its member and number)."`
		End    paEndCmd    `cmd:"" help:"End-date a prior authorization (never deleted)."`
		List   paListCmd   `cmd:"" help:"List a family's or member's prior authorizations, ended ones too."`
		Show   paShowCmd   `cmd:"" help:"One prior authorization."`
	} `cmd:"" name:"pa" help:"Manage members' prior authorizations (PriorAuthService; role clinical-reviewer, list and show also auditor)."`
	TestClaim   testClaimCmd   `cmd:"" name:"test-claim" help:"Dry-run a claim (claims.proto Claim as JSON, bare or as {\"claim\": {...}})."`
	Replay      replayCmd      `cmd:"" help:"Re-adjudicate a stored claim as it was adjudicated (its configuration version, clock and accumulators) and compare with its stored answer; writes nothing."`
	ReplayStore replayStoreCmd `cmd:"" name:"replay-store" help:"Replay every stored claim and report those that differ (operator or auditor role); exits 1 on any difference."`
	DryRun      dryRunCmd      `cmd:"" name:"dry-run" help:"Re-adjudicate past paid claims (by date of service, plan, group, client or member) under drafts or the configuration in force, writing nothing, and list every changed answer with totals."`
	Retro       struct {
		Run    retroRunCmd    `cmd:"" help:"Re-adjudicate the paid claims of a plan, group or client over a date range after a configuration change effective in the past: each is reversed and billed again under the configuration in force, per family in date-of-service order (role config-approver). Resumable: run it again with its JOB."`
		Report retroReportCmd `cmd:"" help:"A retro job's report (config-approver, enrollment-operator or auditor)."`
		Cancel retroCancelCmd `cmd:"" help:"Cancel a RUNNING retro job: one not yet running never runs; a running one stops at its next family (never within one) and its report says how far it got (the role that starts the job's kind)."`
	} `cmd:"" help:"Retroactive re-adjudication (RetroService)."`
	Backup backupCmd `cmd:"" help:"Back up the running server's store under its --backup-dir (OperatorService; role operator)."`
	Audit  auditCmd  `cmd:"" help:"Read the audit trail (auditor role)."`
}

const description = "Manage the adjudicator's edits, configuration bundles and test claims through its AdminService, members' prior authorizations through its PriorAuthService, retroactive re-adjudication through its RetroService, and back it up through its OperatorService."

// session is what a command runs with.
type session struct {
	ctx        context.Context
	admin      *client.Admin
	operator   *client.Operator
	priorAuths *client.PriorAuths
	retro      *client.Retro
	out        io.Writer
	errOut     io.Writer
	json       bool
}

// Run runs adjctl with args (without the program name). --help and
// --version return cli.ErrExited.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c CLI
	kctx, err := cli.Parse("adjctl", &c, args, stdout, stderr, kong.Description(description))
	if err != nil {
		return err
	}
	conn, err := dialer.Dial(c.Addr, c.TLS.Options())
	if err != nil {
		return err
	}
	defer conn.Close()
	s := &session{ctx: ctx, admin: client.NewAdmin(conn, c.User), operator: client.NewOperator(conn, c.User),
		priorAuths: client.NewPriorAuths(conn, c.User), retro: client.NewRetro(conn, c.User), out: stdout, errOut: stderr, json: c.JSON}
	return describe(kctx.Run(s))
}

// describe turns a gRPC error into one naming its code, message and any
// validation problems.
func describe(err error) error {
	// The status itself, not status.FromError's: kong wraps a command's
	// error, and FromError would repeat the wrapper's whole text.
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return err
	}
	st := se.GRPCStatus()
	msg := st.Code().String() + ": " + st.Message()
	for _, p := range client.Problems(err) {
		msg += "\n  " + p.String()
	}
	return errors.New(msg)
}

// parseRef parses a --draft value.
func parseRef(s string) (adjudicator.EditRef, error) {
	id, v, ok := strings.Cut(s, ":")
	n, err := parseVersionNumber(v)
	if !ok || id == "" || err != nil {
		return adjudicator.EditRef{}, fmt.Errorf("%q: want ID:VERSION, e.g. QTY-10:1", s)
	}
	return adjudicator.EditRef{ID: id, Version: n}, nil
}

// parseVersion parses a VERSION argument.
func parseVersion(cmd, s string) (int, error) {
	v, err := parseVersionNumber(s)
	if err != nil {
		return 0, fmt.Errorf("%s: VERSION %q must be a number from 1 to %d", cmd, s, math.MaxInt32)
	}
	return v, nil
}

// parseVersionNumber parses a version number: 1 to MaxInt32, what the
// API carries (a larger one would wrap and name another version).
func parseVersionNumber(s string) (int, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("version %q: want a number from 1 to %d", s, math.MaxInt32)
	}
	return int(v), nil
}
