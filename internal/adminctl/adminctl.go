// Package adminctl is adjctl: a command line for the AdminService (edits,
// configuration bundles, test claims). cmd/adjctl is its thin main.
package adminctl

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Usage is adjctl's help text.
const Usage = `usage: adjctl [flags] COMMAND [ARGS]

commands:
  edits list [--status S] [--kind K] [--level L]   list edit versions
  edits show ID                                    every version of an edit
  edits create FILE                                store an edit (JSON or YAML) as a new draft
  edits update FILE                                replace a draft's content (the file names id and version)
  edits validate FILE                              check an edit without storing it
  edits activate ID VERSION                        make a draft active (not by its creator)
  edits inactivate ID VERSION                      retire a version for good
  bundle export [FILE]                             write the configuration bundle (YAML)
  bundle import FILE                               merge a YAML or JSON bundle
  test-claim CLAIM.json [--draft ID:VERSION ...]   dry-run a claim (claims.proto Claim as JSON)

flags (anywhere on the line):
`

// ErrInvalidEdit is returned by "edits validate" for an invalid edit, after
// its problems are printed.
var ErrInvalidEdit = errors.New("the edit is invalid")

type drafts []adjudicator.EditRef

func (d *drafts) String() string { return fmt.Sprint(*d) }

func (d *drafts) Set(s string) error {
	r, err := parseRef(s)
	if err != nil {
		return err
	}
	*d = append(*d, r)
	return nil
}

func parseRef(s string) (adjudicator.EditRef, error) {
	id, v, ok := strings.Cut(s, ":")
	n, err := strconv.Atoi(v)
	if !ok || id == "" || err != nil || n <= 0 {
		return adjudicator.EditRef{}, fmt.Errorf("%q: want ID:VERSION, e.g. QTY-10:1", s)
	}
	return adjudicator.EditRef{ID: id, Version: n}, nil
}

type cli struct {
	admin  *server.AdminClient
	out    io.Writer
	json   bool
	filter server.EditFilter
	drafts drafts
}

// Run runs adjctl with args (without the program name).
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	def := func(name, fallback string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return fallback
	}
	c := &cli{out: stdout}
	fs := flag.NewFlagSet("adjctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, Usage); fs.PrintDefaults() }
	addr := fs.String("addr", def("RXCLAIMS_ADDR", "localhost:50051"), "the adjudicator's gRPC address (env RXCLAIMS_ADDR)")
	user := fs.String("user", def("RXCLAIMS_USER", getenv("USER")), "the acting user, sent as x-user metadata (env RXCLAIMS_USER, else USER)")
	fs.BoolVar(&c.json, "json", false, "print JSON instead of tables")
	fs.StringVar(&c.filter.Status, "status", "", "edits list: only this status (DRAFT, ACTIVE, INACTIVE)")
	fs.StringVar(&c.filter.Kind, "kind", "", "edits list: only this kind (e.g. COST_SHARE)")
	fs.StringVar(&c.filter.Level, "level", "", `edits list: only this level (PBM, CLIENT, GROUP, PLAN or e.g. "PLAN PPO-2026")`)
	fs.Var(&c.drafts, "draft", "test-claim: a draft version ID:VERSION to apply as though active (repeatable)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errors.New("a command is required")
	}
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	c.admin = server.NewAdminClient(conn, *user)
	return describe(c.dispatch(ctx, pos))
}

// parseInterspersed parses flags given before, between or after the
// positional arguments, and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// describe turns a gRPC error into one naming its code, message and any
// validation problems.
func describe(err error) error {
	st, ok := status.FromError(err)
	if err == nil || !ok {
		return err
	}
	msg := st.Code().String() + ": " + st.Message()
	for _, p := range server.Problems(err) {
		msg += "\n  " + p.String()
	}
	return errors.New(msg)
}

func (c *cli) dispatch(ctx context.Context, pos []string) error {
	cmd, args := strings.Join(pos[:min(2, len(pos))], " "), pos[min(2, len(pos)):]
	if pos[0] == "test-claim" {
		cmd, args = pos[0], pos[1:]
	} else if len(c.drafts) > 0 {
		return errors.New("--draft applies to test-claim only")
	}
	want := func(n int, names string) error {
		if len(args) != n {
			return fmt.Errorf("%s: want %s", cmd, names)
		}
		return nil
	}
	switch cmd {
	case "edits list":
		if err := want(0, "no arguments"); err != nil {
			return err
		}
		list, err := c.admin.Edits(ctx, c.filter)
		if err != nil {
			return err
		}
		return c.printEdits(list, false)
	case "edits show":
		if err := want(1, "ID"); err != nil {
			return err
		}
		list, err := c.admin.EditVersions(ctx, args[0])
		if err != nil {
			return err
		}
		return c.printEdits(list, true)
	case "edits create", "edits update", "edits validate":
		if err := want(1, "FILE"); err != nil {
			return err
		}
		ed, err := readEdit(args[0])
		if err != nil {
			return err
		}
		switch cmd {
		case "edits create":
			return c.printEdit(c.admin.CreateDraft(ctx, ed))
		case "edits update":
			return c.printEdit(c.admin.UpdateDraft(ctx, ed))
		}
		return c.validate(ctx, ed)
	case "edits activate", "edits inactivate":
		if err := want(2, "ID VERSION"); err != nil {
			return err
		}
		v, err := strconv.Atoi(args[1])
		if err != nil || v <= 0 {
			return fmt.Errorf("%s: VERSION %q must be a positive number", cmd, args[1])
		}
		if cmd == "edits activate" {
			return c.printEdit(c.admin.Activate(ctx, args[0], v))
		}
		return c.printEdit(c.admin.Inactivate(ctx, args[0], v))
	case "bundle export":
		if len(args) > 1 {
			return errors.New("bundle export: want at most FILE")
		}
		b, err := c.admin.ExportBundle(ctx)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			_, err = c.out.Write(b)
			return err
		}
		return os.WriteFile(args[0], b, 0o644)
	case "bundle import":
		if err := want(1, "FILE"); err != nil {
			return err
		}
		b, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		sum, err := c.admin.ImportBundle(ctx, b)
		if err != nil {
			return err
		}
		return c.printSummary(sum)
	case "test-claim":
		if err := want(1, "CLAIM.json"); err != nil {
			return err
		}
		return c.testClaim(ctx, args[0])
	}
	return fmt.Errorf("unknown command %q (see adjctl -h)", strings.Join(pos, " "))
}

func readEdit(path string) (edits.Edit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return edits.Edit{}, err
	}
	ed, err := wire.EditFromJSON(b)
	if err != nil {
		return edits.Edit{}, fmt.Errorf("%s: %w", path, err)
	}
	return ed, nil
}

func (c *cli) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", b)
	return err
}

// printProto prints a response message as protojson (the field names of
// the .proto, zero values included), as grpcurl shows it.
func (c *cli) printProto(m proto.Message) error {
	out, err := protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", out)
	return err
}

func (c *cli) printEdits(list []edits.Edit, audit bool) error {
	if c.json {
		if list == nil {
			list = []edits.Edit{}
		}
		return c.printJSON(list)
	}
	w := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	head := "ID\tVERSION\tSTATUS\tKIND\tLEVEL\tEFFECTIVE\tTERMINATION\tNAME"
	if audit {
		head += "\tCREATED BY\tACTIVATED BY\tINACTIVATED BY"
	}
	fmt.Fprintln(w, head)
	for _, e := range list {
		line := fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s", e.ID, e.Version, e.Status, e.Kind, e.Level, dash(e.From.String()),
			dash(e.To.String()), dash(e.Name))
		if audit {
			a := e.Audit
			activated := dash(a.ActivatedBy)
			if a.SelfActivated {
				activated += " (self)"
			}
			line += fmt.Sprintf("\t%s\t%s\t%s", dash(a.CreatedBy), activated, dash(a.InactivatedBy))
		}
		fmt.Fprintln(w, line)
	}
	return w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c *cli) printEdit(e edits.Edit, err error) error {
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(e)
	}
	by := "created by " + e.Audit.CreatedBy
	switch {
	case e.Status == edits.Inactive:
		by = "inactivated by " + e.Audit.InactivatedBy
	case e.Status == edits.Active:
		by = "activated by " + e.Audit.ActivatedBy
	case e.Audit.UpdatedBy != "":
		by = "updated by " + e.Audit.UpdatedBy
	}
	_, err = fmt.Fprintf(c.out, "%s %s (%s, %s, %s)\n", e.Ref(), e.Status, e.Kind, e.Level, by)
	return err
}

func (c *cli) validate(ctx context.Context, ed edits.Edit) error {
	ps, err := c.admin.ValidateEdit(ctx, ed)
	if err != nil {
		return err
	}
	if c.json {
		if ps == nil {
			ps = []edits.Problem{}
		}
		if err := c.printJSON(map[string]any{"valid": len(ps) == 0, "problems": ps}); err != nil {
			return err
		}
	} else if len(ps) == 0 {
		fmt.Fprintln(c.out, "valid")
	} else {
		fmt.Fprintln(c.out, "invalid:")
		for _, p := range ps {
			fmt.Fprintln(c.out, "  "+p.String())
		}
	}
	if len(ps) > 0 {
		return ErrInvalidEdit
	}
	return nil
}

func (c *cli) printSummary(s adjudicator.ImportSummary) error {
	if c.json {
		return c.printProto(wire.ImportSummaryToProto(s))
	}
	_, err := fmt.Fprintf(c.out, "imported: %d plans, %d networks, %d pharmacies, %d drugs, %d schedules, %d clients, %d groups, %d families changed; edits: %d added, %d unchanged\n",
		s.Plans, s.Networks, s.Pharmacies, s.Drugs, s.Schedules, s.Clients, s.Groups, s.Families, s.EditsAdded, s.EditsUnchanged)
	return err
}

func (c *cli) testClaim(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var claim pb.Claim
	if err := protojson.Unmarshal(b, &claim); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r, err := c.admin.TestClaim(ctx, wire.ClaimFromProto(&claim), c.drafts)
	if err != nil {
		return err
	}
	p := wire.ResultToProto(r)
	if c.json {
		return c.printProto(p)
	}
	w := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "status\t%s\n", p.GetTransactionStatus())
	for _, rj := range p.GetRejects() {
		fmt.Fprintf(w, "reject\t%s %s\n", rj.GetCode(), rj.GetText())
	}
	if p.GetMessage() != "" {
		fmt.Fprintf(w, "message\t%s\n", p.GetMessage())
	}
	for _, kv := range [][2]string{
		{"plan", p.GetPlanId()}, {"network", strings.TrimSpace(p.GetNetworkType() + " " + p.GetNetworkClassification())},
		{"ingredient cost paid", p.GetIngredientCostPaid()}, {"dispensing fee paid", p.GetDispensingFeePaid()},
		{"total allowed", p.GetTotalAllowed()}, {"plan paid", p.GetTotalAmountPaid()}, {"patient pay", p.GetPatientPayAmount()},
		{"deductible", p.GetDeductibleAmount()}, {"copay", p.GetCopayAmount()}, {"coinsurance", p.GetCoinsuranceAmount()},
	} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%s\t%s\n", kv[0], kv[1])
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.out, "\ntrace:")
	w = tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tRULE\tOUTCOME")
	for _, s := range p.GetTrace() {
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.GetStep(), dash(s.GetRule()), s.GetOutcome())
	}
	return w.Flush()
}
