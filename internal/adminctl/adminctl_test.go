package adminctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/adminctl"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/cli"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"google.golang.org/grpc/metadata"
)

type adjctl struct {
	t    *testing.T
	addr string
	// pki, when set, makes adjctl present user's client certificate
	// (mutual TLS) besides naming user in --user.
	pki *servertest.PKI
}

// run runs adjctl against the server as user and returns its output.
func (a adjctl) run(user string, args ...string) (string, error) {
	a.t.Helper()
	var out, errOut bytes.Buffer
	flags := []string{"--addr", a.addr, "--user", user}
	if a.pki != nil {
		f := a.pki.Client(a.t, user).TLS
		flags = append(flags, "--tls-ca", f.CA, "--tls-cert", f.Cert, "--tls-key", f.Key)
	}
	err := adminctl.Run(context.Background(), append(flags, args...), &out, &errOut)
	return out.String() + errOut.String(), err
}

func (a adjctl) ok(user string, args ...string) string {
	a.t.Helper()
	out, err := a.run(user, args...)
	if err != nil {
		a.t.Fatalf("adjctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (a adjctl) fails(want string, user string, args ...string) string {
	a.t.Helper()
	out, err := a.run(user, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		a.t.Fatalf("adjctl %s: got %v, want an error with %q\n%s", strings.Join(args, " "), err, want, out)
	}
	return err.Error()
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// value returns what a "key  value" line of out says.
func value(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, key+" "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// qtyEdit limits every claim to 10 units, in YAML.
const qtyEdit = `
id: QTY-10
name: Ten units a claim
kind: QUANTITY
level: {kind: PBM}
effective: "2026-01-01"
quantity: {max_quantity: "10"}
`

// bareClaim is a demo claim for 30 units as a bare claims.proto Claim.
const bareClaim = `{"bin":"` + demo.BIN + `","processor_control_number":"` + demo.PCN + `",
	"cardholder_id":"` + demo.DemoCardholder + `","person_code":"` + demo.DemoSubscriberCode + `",
	"date_of_birth":"` + demo.DemoSubscriberDOB + `","date_of_service":"2026-11-20","rx_number":"4242",
	"product_id":"` + demo.DemoGenericNDC + `","quantity_dispensed":"30","days_supply":30,
	"ingredient_cost_submitted":"20.00","usual_and_customary_charge":"30.00","gross_amount_due":"30.00",
	"pharmacy_npi":"` + demo.DemoPharmacyNPI + `","prescriber_npi":"` + demo.DemoPrescriberNPI + `"}`

func TestAdjctl(t *testing.T) {
	dir := t.TempDir()
	a := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	edit := write(t, dir, "qty.yaml", qtyEdit)
	checkValidateAndCreate(t, a, dir, edit)

	// The draft in a dry run rejects the claim; without it the claim pays.
	// The claim may be bare or a Bill request (testdata/claim.json).
	for _, claim := range []string{write(t, dir, "claim.json", bareClaim), filepath.Join("testdata", "claim.json")} {
		if out := a.ok("alice", "test-claim", claim, "--draft", "QTY-10:1"); value(out, "status") != "R" || !strings.HasPrefix(value(out, "reject"), "9G ") || !strings.Contains(out, "trace:") {
			t.Fatalf("test-claim %s with the draft:\n%s", claim, out)
		}
		if out := a.ok("alice", "test-claim", claim); value(out, "status") != "P" {
			t.Fatalf("test-claim %s without the draft:\n%s", claim, out)
		}
	}
	a.fails("unknown flag --draft", "alice", "edits", "list", "--draft", "QTY-10:1")

	checkActivateAndList(t, a, dir)
	checkBundleRoundTrip(t, a, dir)

	a.ok("alice", "edits", "inactivate", "QTY-10", "1")
	a.fails("FailedPrecondition", "bob", "edits", "activate", "QTY-10", "1")
	a.fails("NotFound", "bob", "edits", "show", "NOPE")
	a.fails("unexpected argument frobnicate", "bob", "edits", "frobnicate")
	a.fails("VERSION", "bob", "edits", "activate", "QTY-10", "one")
}

// checkValidateAndCreate validates a good and a bad edit, and creates the
// good one as alice's draft, which she may not activate.
func checkValidateAndCreate(t *testing.T, a adjctl, dir, edit string) {
	t.Helper()
	bad := write(t, dir, "bad.json", `{"id":"BAD","kind":"QUANTITY","level":{"kind":"PBM"},"effective":"2026-01-01"}`)
	if out := a.ok("alice", "edits", "validate", edit); strings.TrimSpace(out) != "valid" {
		t.Fatalf("validate: %q", out)
	}
	out, err := a.run("alice", "edits", "validate", bad)
	if !errors.Is(err, adminctl.ErrInvalidEdit) || !strings.Contains(out, "quantity") {
		t.Fatalf("validate bad: %v\n%s", err, out)
	}
	a.fails("InvalidArgument", "alice", "edits", "create", bad)

	if out := a.ok("alice", "edits", "create", edit); !strings.Contains(out, "QTY-10 v1 DRAFT") {
		t.Fatalf("create: %s", out)
	}
	a.fails("PermissionDenied", "alice", "edits", "activate", "QTY-10", "1")
}

// checkActivateAndList has bob activate the draft, then lists and shows it.
func checkActivateAndList(t *testing.T, a adjctl, dir string) {
	t.Helper()
	if out := a.ok("bob", "edits", "activate", "QTY-10", "1"); !strings.Contains(out, "QTY-10 v1 ACTIVE") || !strings.Contains(out, "activated by bob") {
		t.Fatalf("activate: %s", out)
	}
	v1 := write(t, dir, "qty-v1.json", `{"id":"QTY-10","version":1,"kind":"QUANTITY","level":{"kind":"PBM"},
		"effective":"2026-01-01","quantity":{"max_quantity":"20"}}`)
	a.fails("FailedPrecondition", "alice", "edits", "update", v1)

	list := a.ok("alice", "edits", "list", "--status", "ACTIVE", "--json")
	var got []edits.Edit
	if err := json.Unmarshal([]byte(list), &got); err != nil || len(got) == 0 {
		t.Fatalf("list --json: %v\n%s", err, list)
	}
	found := false
	for _, e := range got {
		found = found || e.ID == "QTY-10" && e.Status == edits.Active && e.Audit.ActivatedBy == "bob"
	}
	if !found {
		t.Fatalf("list --json lacks the active edit:\n%s", list)
	}
	if out := a.ok("alice", "edits", "show", "QTY-10"); !strings.Contains(out, "CREATED BY") || !strings.Contains(out, "alice") || !strings.Contains(out, "bob") {
		t.Fatalf("show:\n%s", out)
	}
}

// checkBundleRoundTrip exports a's bundle, then imports it into a fresh
// server: ops proposes it, ops may not approve it, dave does; proposing it
// again changes nothing. The audit trail shows each step.
func checkBundleRoundTrip(t *testing.T, a adjctl, dir string) {
	t.Helper()
	bundle := filepath.Join(dir, "bundle.yaml")
	a.ok("alice", "bundle", "export", bundle)
	b := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	summary := func() map[string]any {
		var m map[string]any
		if out := b.ok("ops", "bundle", "import", bundle, "--json"); json.Unmarshal([]byte(out), &m) != nil {
			t.Fatalf("import --json: %s", out)
		}
		return m
	}
	first := summary()
	id, _ := first["pending_id"].(string)
	if first["edits_added"] == 0.0 || id == "" || first["applied"] != false {
		t.Fatalf("import: %v", first)
	}
	if out := b.ok("dave", "bundle", "pending"); !strings.Contains(out, id) || !strings.Contains(out, "proposed by ops") {
		t.Fatalf("pending:\n%s", out)
	}
	b.fails("PermissionDenied", "ops", "bundle", "approve", id)
	if out := b.ok("dave", "bundle", "approve", id); !strings.Contains(out, "imported "+id) {
		t.Fatalf("approve:\n%s", out)
	}
	second := summary()
	for k, v := range second {
		var want any = 0.0
		switch k {
		case "edits_unchanged":
			want = first["edits_added"].(float64) + first["edits_unchanged"].(float64)
		case "applied":
			want = true
		case "pending_id":
			want = ""
		case "proposed_by":
			want = "ops"
		case "settings":
			want = []any{}
		}
		if fmt.Sprint(v) != fmt.Sprint(want) {
			t.Errorf("second import: %s = %v, want %v (first import %v)", k, v, want, first)
		}
	}
	if out := b.ok("ops", "bundle", "import", bundle); !strings.Contains(out, "edits: 0 added") {
		t.Fatalf("import table: %s", out)
	}
	if out := b.ok("ops", "edits", "list"); !strings.Contains(out, "QTY-10") || !strings.Contains(out, "ACTIVE") {
		t.Fatalf("list on the importing server:\n%s", out)
	}
	trail := b.ok("carol", "audit", "--object", "import "+id)
	for _, want := range []string{"ops", "AdminService/ImportBundle", "dave", "AdminService/ApproveImport", "FAILED PermissionDenied"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit --object: no %q in\n%s", want, trail)
		}
	}
}

// TestAdjctlTLS: over mutual TLS the client certificate is the acting
// user and --user is ignored: alice's certificate cannot activate her own
// draft by claiming to be bob; bob's certificate can. Without a
// certificate the server refuses the connection.
func TestAdjctlTLS(t *testing.T) {
	pki := servertest.NewPKI(t)
	srv := servertest.StartTLS(t, t.TempDir(), pki, servertest.Policy(t, map[string][]string{
		"alice": {authz.ConfigAuthor, authz.ConfigApprover}, "bob": {authz.ConfigAuthor, authz.ConfigApprover}}))
	a := adjctl{t: t, addr: srv.AdminAddr, pki: pki}
	edit := write(t, t.TempDir(), "qty.yaml", qtyEdit)
	if out := a.ok("alice", "edits", "create", edit); !strings.Contains(out, "created by alice") {
		t.Fatalf("create: %s", out)
	}
	var out bytes.Buffer
	f := pki.Client(t, "alice").TLS
	err := adminctl.Run(context.Background(), []string{"--addr", srv.AdminAddr, "--user", "bob", "--tls-ca", f.CA, "--tls-cert", f.Cert, "--tls-key", f.Key,
		"edits", "activate", "QTY-10", "1"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "PermissionDenied") {
		t.Fatalf("alice's certificate with --user bob activates her own draft: %v\n%s", err, out.String())
	}
	if out := a.ok("bob", "edits", "activate", "QTY-10", "1"); !strings.Contains(out, "activated by bob") {
		t.Fatalf("activate: %s", out)
	}
	if err := adminctl.Run(context.Background(), []string{"--addr", srv.AdminAddr, "--tls-ca", f.CA, "edits", "list"}, &out, &out); err == nil {
		t.Fatal("a call without a client certificate succeeded")
	}
}

// TestEditYAMLErrors: a YAML edit's syntax errors name the line and column.
func TestEditYAMLErrors(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "bad.yaml", "id: QTY-10\nkind: QUANTITY\nlevel: {kind: PBM\n")
	var out bytes.Buffer
	// No server is needed: the file is read before any call.
	err := adminctl.Run(context.Background(), []string{"--addr", "127.0.0.1:1", "edits", "validate", bad}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "[3:") {
		t.Fatalf("got %v, want an error at line 3", err)
	}
}

// TestHelpAndVersion: --help lists the commands and the environment
// variables, --version prints the version; both exit 0.
func TestHelpAndVersion(t *testing.T) {
	for arg, want := range map[string][]string{
		"--help":    {"edits", "bundle", "test-claim", "$RXCLAIMS_ADDR", "$RXCLAIMS_USER", "--tls-ca", "--tls-cert", "--tls-key", "--token-file"},
		"--version": {"adjctl "},
	} {
		var out bytes.Buffer
		if err := adminctl.Run(context.Background(), []string{arg}, &out, &out); !errors.Is(err, cli.ErrExited) {
			t.Fatalf("%s: %v", arg, err)
		}
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s lacks %q:\n%s", arg, w, out.String())
			}
		}
	}
}

// TestAuditDeniedRole: a denied call's row shows the role the caller
// needed, marked as such, not as a role the caller holds.
func TestAuditDeniedRole(t *testing.T) {
	policy := servertest.Policy(t, map[string][]string{"carol": {authz.Auditor}, "eve": {authz.ConfigAuthor}})
	a := adjctl{t: t, addr: servertest.StartWithPolicy(t, t.TempDir(), policy).AdminAddr}
	a.fails("PermissionDenied", "eve", "audit")
	out := a.ok("carol", "audit", "--who", "eve")
	if !strings.Contains(out, "needs auditor") || !strings.Contains(out, "DENIED") {
		t.Fatalf("eve's denied call:\n%s", out)
	}
}

// TestAdjctlPriorAuths: a prior authorization created, listed, changed,
// ended and shown through adjctl against a development-mode server; a bad
// one is refused with its reason and no cardholder ID.
func TestAdjctlPriorAuths(t *testing.T) {
	dir := t.TempDir()
	a := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	pa := write(t, dir, "pa.yaml", "cardholder_id: "+demo.DemoCardholder+"\nperson_code: \"001\"\nnumber: QL9\ntype: QUANTITY\n"+
		"class_prefix: \"3940\"\neffective: \"2026-01-01\"\nmax_quantity: \"90\"\nmax_fills: 3\n")
	if out := a.ok("pam", "pa", "create", pa); !strings.Contains(out, "QL9") || !strings.Contains(out, "quantity exception up to 90") {
		t.Fatalf("pa create:\n%s", out)
	}
	changed := write(t, dir, "pa2.yaml", "cardholder_id: "+demo.DemoCardholder+"\nperson_code: \"001\"\nnumber: QL9\ntype: QUANTITY\n"+
		"class_prefix: \"3940\"\neffective: \"2026-01-01\"\nmax_quantity: \"120\"\nnote: dose increase\n")
	if out := a.ok("pam", "pa", "change", changed); !strings.Contains(out, "up to 120") || !strings.Contains(out, "dose increase") {
		t.Fatalf("pa change:\n%s", out)
	}
	if out := a.ok("pam", "pa", "end", demo.DemoCardholder, "001", "QL9", "2026-09-30"); !strings.Contains(out, "2026-09-30") {
		t.Fatalf("pa end:\n%s", out)
	}
	if out := a.ok("pam", "pa", "list", demo.DemoCardholder); strings.Count(out, "QL9") != 1 || !strings.Contains(out, "2026-09-30") {
		t.Fatalf("pa list:\n%s", out)
	}
	if out := a.ok("pam", "--json", "pa", "show", demo.DemoCardholder, "001", "QL9"); !strings.Contains(out, `"max_quantity": "120"`) {
		t.Fatalf("pa show --json:\n%s", out)
	}
	bad := write(t, dir, "bad.yaml", "cardholder_id: "+demo.DemoCardholder+"\nperson_code: \"007\"\nnumber: PA1\nndc: \"00074433902\"\neffective: \"2026-01-01\"\n")
	if msg := a.fails("InvalidArgument", "pam", "pa", "create", bad); strings.Contains(msg, demo.DemoCardholder) {
		t.Errorf("the refusal names the cardholder: %s", msg)
	}
}

// TestAdjctlReplay: a claim paid before a configuration change and a
// server restart replays to its stored answer, alone and with the store.
func TestAdjctlReplay(t *testing.T) {
	ctx := context.Background()
	data, dir := t.TempDir(), t.TempDir()
	srv := servertest.Start(t, data)
	c := &adjudicator.Claim{BIN: demo.BIN, PCN: demo.PCN, CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode,
		DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: "4343", ProductID: demo.DemoGenericNDC,
		Quantity: "30", DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI}
	r, err := client.NewClaims(srv.Conn).Bill(ctx, c)
	if err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill: %+v, %v", r, err)
	}
	a := adjctl{t: t, addr: srv.AdminAddr}
	a.ok("alice", "edits", "create", write(t, dir, "qty.yaml", qtyEdit))
	a.ok("bob", "edits", "activate", "QTY-10", "1") // the claim would now reject 9G
	srv.Stop()
	a.addr = servertest.Start(t, data).AdminAddr
	if out := a.ok("carol", "replay", r.ClaimID); !strings.Contains(out, "replay gives the stored answer") || value(out, "status") != "P" {
		t.Fatalf("replay:\n%s", out)
	}
	if out := a.ok("ops", "replay-store"); !strings.Contains(out, "replayed 1 claims: 1 same, 0 different") {
		t.Fatalf("replay-store:\n%s", out)
	}
	a.fails("NotFound", "carol", "replay", "00000000000000000000")
}

// TestAdjctlDryRun: a paid claim dry-run under a draft that rejects it,
// as a table, CSV and JSON; the selection's bounds and an unknown draft
// are refused; nothing is written.
func TestAdjctlDryRun(t *testing.T) {
	ctx := context.Background()
	srv := servertest.Start(t, t.TempDir())
	c := &adjudicator.Claim{BIN: demo.BIN, PCN: demo.PCN, CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode,
		DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: "4444", ProductID: demo.DemoGenericNDC,
		Quantity: "30", DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI}
	r, err := client.NewClaims(srv.Conn).Bill(ctx, c)
	if err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill: %+v, %v", r, err)
	}
	a := adjctl{t: t, addr: srv.AdminAddr}
	a.ok("alice", "edits", "create", write(t, t.TempDir(), "qty.yaml", qtyEdit))
	year := []string{"dry-run", "--from", "2026-01-01", "--to", "2026-12-31"}

	out := a.ok("alice", append(year, "--draft", "QTY-10:1")...)
	if !strings.Contains(out, "P -> R 9G") || !strings.Contains(out, r.ClaimID) || !strings.Contains(out, "1 changed, 1 members affected") ||
		!strings.Contains(out, "before = the baseline") {
		t.Errorf("table:\n%s", out)
	}
	if out := a.ok("alice", append(year, "--draft", "edit:QTY-10:1", "--compare", "stored")...); !strings.Contains(out, "P -> R 9G") ||
		!strings.Contains(out, "before = the stored answers") {
		t.Errorf("table compared with the stored answers:\n%s", out)
	}
	if strings.Contains(out, demo.DemoCardholder) {
		t.Errorf("the table names the cardholder:\n%s", out)
	}
	out = a.ok("alice", append(year, "--draft", "QTY-10:1", "--format", "csv")...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "claim_id,date_of_service") ||
		!strings.HasPrefix(lines[1], r.ClaimID+",2026-11-20,4444,") || !strings.Contains(lines[1], ",P,R 9G,") ||
		!strings.HasSuffix(lines[0], ",compare") || !strings.HasSuffix(lines[1], ",baseline") {
		t.Errorf("csv:\n%s", out)
	}
	out = a.ok("carol", append(year, "--draft", "QTY-10:1", "--format", "json")...)
	var doc struct {
		Changes []struct {
			ClaimID string `json:"claim_id"`
		} `json:"changes"`
		Totals struct {
			Claims, Changed int // numbers, not protojson's int64 strings
			Compare         string
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Changes) != 1 || doc.Changes[0].ClaimID != r.ClaimID || doc.Totals.Changed != 1 ||
		doc.Totals.Compare != "baseline" {
		t.Errorf("json: %v\n%s", err, out)
	}
	// Under the configuration in force nothing changes.
	if out := a.ok("alice", year...); !strings.Contains(out, "1 claims re-adjudicated") || !strings.Contains(out, "0 changed") {
		t.Errorf("no drafts:\n%s", out)
	}

	a.fails("InvalidArgument", "alice", "dry-run", "--from", "2026-12-31", "--to", "2026-01-01")
	a.fails("InvalidArgument", "alice", "dry-run", "--from", "2020-01-01", "--to", "2026-12-31")
	a.fails("NotFound", "alice", append(year, "--draft", "NO-SUCH:1")...)
	a.fails("NotFound", "alice", append(year, "--draft", "plan:NO-SUCH:1")...)
	a.fails("InvalidArgument", "alice", append(year, "--draft", "settlement:X:1")...)
	a.fails("named twice", "alice", append(year, "--draft", "QTY-10:1", "--draft", "QTY-10:1")...)
	if out := a.ok("ops", "replay-store"); !strings.Contains(out, "replayed 1 claims: 1 same, 0 different") {
		t.Fatalf("replay-store after the dry runs:\n%s", out)
	}
}

// TestAdjctlRetro: after a quantity limit is activated, an analyst's
// configuration retro over the plan reverses the claim it would now refuse
// and bills it again (it rejects 9G, so the plan no longer pays it);
// running the job again changes nothing, an auditor reads its report, and
// an enrollment operator may not start one.
func TestAdjctlRetro(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	policy := servertest.Policy(t, map[string][]string{"alice": {authz.ConfigAuthor}, "bob": {authz.ConfigApprover},
		"carol": {authz.Auditor}, "erin": {authz.EnrollmentOperator}, "switch": {authz.ClaimsSubmitter}})
	srv := servertest.StartWithPolicy(t, t.TempDir(), policy)
	c := &adjudicator.Claim{BIN: demo.BIN, PCN: demo.PCN, CardholderID: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode,
		DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: "4344", ProductID: demo.DemoGenericNDC,
		Quantity: "30", DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI}
	r, err := client.NewClaims(srv.Conn).Bill(metadata.AppendToOutgoingContext(ctx, client.UserMetadataKey, "switch"), c)
	if err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("bill: %+v, %v", r, err)
	}
	a := adjctl{t: t, addr: srv.AdminAddr}
	a.ok("alice", "edits", "create", write(t, dir, "qty.yaml", qtyEdit))
	a.ok("bob", "edits", "activate", "QTY-10", "1")
	today := servertest.Now.Format(time.DateOnly)
	args := []string{"retro", "run", "QTY-10-GOLIVE", "--plan", r.PlanID, "--from", "2026-11-20", "--to", today, "--reason", "QTY-10 back-dated"}
	a.fails("PermissionDenied", "erin", args...)
	out := a.ok("bob", args...)
	if !strings.Contains(out, "): DONE") || !strings.Contains(out, "1 claims: 1 re-adjudicated, 0 skipped, 1 changed") ||
		!strings.Contains(out, r.ClaimID) || !strings.Contains(out, "R 9G") {
		t.Fatalf("retro run:\n%s", out)
	}
	if again := a.ok("bob", args...); again != out {
		t.Fatalf("the finished job run again:\n%s\nwant the same report:\n%s", again, out)
	}
	if again := a.ok("bob", append(args, "--no-wait")...); again != out {
		t.Fatalf("the finished job run again, --no-wait:\n%s\nwant the same report:\n%s", again, out)
	}
	if rep := a.ok("carol", "retro", "report", "QTY-10-GOLIVE"); rep != out {
		t.Fatalf("retro report:\n%s", rep)
	}
	if js := a.ok("carol", "--json", "retro", "report", "QTY-10-GOLIVE"); !strings.Contains(js, `"rejectCodes"`) && !strings.Contains(js, `"reject_codes"`) {
		t.Fatalf("retro report --json:\n%s", js)
	}
	a.fails("InvalidArgument", "bob", "retro", "run", "BAD", "--plan", r.PlanID, "--from", "2020-01-01", "--to", today)
	a.fails("NotFound", "carol", "retro", "report", "NO-SUCH-JOB")
	a.fails("nothing to cancel: retro job QTY-10-GOLIVE had ended DONE", "bob", "retro", "cancel", "QTY-10-GOLIVE")
	a.fails("PermissionDenied", "erin", "retro", "cancel", "QTY-10-GOLIVE")
	if rep := a.ok("carol", "retro", "report", "QTY-10-GOLIVE"); rep != out {
		t.Fatalf("the report after a cancel of the ended job:\n%s", rep)
	}
}
