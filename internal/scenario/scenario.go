// Package scenario runs the analyst-readable scenario files in testdata/
// (cockroachdb/datadriven) against any Target: the engine in process or the
// real gRPC server. Commands:
//
//	config [bundle=F] [now=D]    a configuration bundle (YAML) in the input or in testdata/bundles/F;
//	                             starts a fresh store
//	now YYYY-MM-DD               sets the clock (claims after it are post-dated)
//	defaults k=v ...             claim fields used by every later claim unless given
//	bill|rebill k=v ... [trace]  a B1 or B3; prints the response (and the trace)
//	reverse k=v ...              a B2 for the claim key in the arguments (and defaults)
//	eligibility k=v ...          an E1
//	dry-run from=D to=D [drafts=ID:N,...] [plan-drafts=ID:N,...] [network-drafts=ID:N,...]
//	        [schedule-drafts=ID:N,...] [settings-drafts=PBM:N] [client-drafts=ID:N,...] [group-drafts=ID:N,...]
//	        [compare=baseline|stored] [plan=P] [group=G] [client=C] [cardholder=C [person=P]]
//	                             re-adjudicates the paid claims selected under the drafts
//	                             (edits, plans, networks, schedules, settings), writing nothing; prints what the
//	                             answers are compared with, the totals and each changed
//	                             claim (targets that implement DryRunner)
//	replay                       replays every stored claim; prints the count and each
//	                             difference (targets that implement Replayer)
//	benefits k=v ...             the member's accumulators on as-of (segment=MAIL/IN: the
//	                             segment DEFAULT-accumulation limits read)
//
// Edits (targets that implement Admin; others skip the file):
//
//	draft user=U                 creates a Draft from the edit (YAML) in the input
//	update user=U                replaces a Draft with the edit in the input
//	activate edit=ID version=N user=U
//	inactivate edit=ID version=N user=U
//	test-claim drafts=ID:N,... k=v ... [trace]   a dry run with those drafts active
//	validate                     checks the edit (YAML) in the input as activation would:
//	                             its problems, or "valid" and its warnings (targets that
//	                             implement Checker; "activate" then prints warnings too)
//
// Plan, network, schedule and settings versions: see PlanAdmin,
// NetworkAdmin, ScheduleAdmin and SettingsAdmin. Prior authorizations and enrollment syncs: see
// PriorAuthAdmin. Retro jobs: see Retroer.
//
// Claim fields: bin pcn group cardholder person dob gender date rx fill ndc
// qty days daw ingredient fee uc gross pharmacy prescriber scc (comma list)
// dur (reason/professional/result, comma list) pa written (414-DE) refills
// (415-DF) qty-prescribed (460-ET) occ (308-C8).
package scenario

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/goccy/go-yaml"
	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
	sigsyaml "sigs.k8s.io/yaml"
)

// Target is what a scenario drives.
type Target interface {
	Bill(ctx context.Context, c *adjudicator.Claim) (*adjudicator.Response, error)
	Rebill(ctx context.Context, c *adjudicator.Claim) (*adjudicator.Response, error)
	Reverse(ctx context.Context, r *adjudicator.Reversal) (*adjudicator.Response, error)
	CheckEligibility(ctx context.Context, q *adjudicator.EligibilityQuery) (*adjudicator.EligibilityResult, error)
	Benefits(ctx context.Context, q *adjudicator.BenefitsQuery) (*adjudicator.Benefits, error)
}

// Admin is the edit lifecycle a target may offer.
type Admin interface {
	CreateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error)
	UpdateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error)
	Activate(ctx context.Context, id string, version int, user string) (edits.Edit, error)
	Inactivate(ctx context.Context, id string, version int, user string) (edits.Edit, error)
	TestClaim(ctx context.Context, c *adjudicator.Claim, drafts []adjudicator.EditRef) (*adjudicator.Response, error)
}

// Checker checks an edit as activation would: its problems and, for a
// valid edit, its warnings. Targets that implement it run "validate", and
// "activate" prints the warnings of the version it activates.
type Checker interface {
	CheckEdit(ctx context.Context, e edits.Edit) ([]edits.Problem, []string, error)
}

// Replayer replays every claim of the target's store (DOMAIN.md §3). A
// target that implements it is checked at the end of each worksheet
// section: every stored claim must replay to its stored answer, to the
// cent and trace line.
type Replayer interface {
	ReplayAll(ctx context.Context, fn func(*adjudicator.Replay) error) (adjudicator.ReplaySummary, error)
}

// DryRunner re-adjudicates past claims under drafts, writing nothing.
// The "dry-run" command needs it (other targets skip the file).
type DryRunner interface {
	DryRun(ctx context.Context, sel adjudicator.DryRunSelection, drafts []adjudicator.DraftRef, fn func(*adjudicator.DryRunChange) error) (*adjudicator.DryRunReport, error)
}

// Factory starts a target on cfg with a fresh store under dir; now is the
// clock the engine must use. Cleanup goes through t.Cleanup.
type Factory func(t *testing.T, cfg *config.Config, dir string, now func() time.Time) Target

// Dir is the directory of the scenario files.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata")
}

// RunAll runs every scenario file against targets made by f.
func RunAll(t *testing.T, f Factory) {
	files, err := filepath.Glob(filepath.Join(Dir(), "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files in %s: %v", Dir(), err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			t.Parallel()
			runFile(t, path, f)
		})
	}
}

type state struct {
	t        *testing.T
	factory  Factory
	target   Target
	clock    time.Time
	defaults map[string]string
	paid     map[adjudicator.ClaimKey]string // claim key -> ID of the paid claim, to check duplicates
}

func runFile(t *testing.T, path string, f Factory) {
	s := &state{t: t, factory: f, defaults: map[string]string{}, paid: map[adjudicator.ClaimKey]string{},
		clock: time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)}
	defer s.checkReplay()
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		out, err := s.run(d)
		if err != nil {
			// A gRPC target's errors carry the status; the message is what matters.
			msg := err.Error()
			if i := strings.Index(msg, " desc = "); strings.HasPrefix(msg, "rpc error: ") && i > 0 {
				msg = msg[i+len(" desc = "):]
			}
			return "error: " + msg + "\n"
		}
		return out
	})
}

func (s *state) run(d *datadriven.TestData) (string, error) {
	args := map[string]string{}
	flags := map[string]bool{}
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 0 {
			flags[a.Key] = true
		} else {
			args[a.Key] = strings.Join(a.Vals, ",")
		}
	}
	ctx := context.Background()
	if d.Cmd != "config" && s.target == nil {
		return "", fmt.Errorf("%s before config", d.Cmd)
	}
	switch d.Cmd {
	case "config":
		return s.config(d, args)
	case "now":
		if len(d.CmdArgs) != 1 {
			return "", fmt.Errorf("now takes a date")
		}
		return "", s.setClock(d.CmdArgs[0].Key)
	case "defaults":
		for k, v := range args {
			s.defaults[k] = v
		}
		return "", nil
	case "bill", "rebill":
		return s.bill(ctx, d.Cmd, args, flags["trace"])
	case "reverse":
		return s.reverse(ctx, args, flags["trace"])
	case "eligibility":
		return s.eligibility(ctx, args)
	case "validate":
		return s.validate(ctx, d)
	case "pa-create", "pa-change", "pa-end", "pa-list", "pa-sync", "sync-families":
		return s.priorAuths(ctx, d, args)
	case "draft", "update", "activate", "inactivate", "test-claim":
		admin, ok := s.target.(Admin)
		if !ok {
			s.t.Skipf("%s: the target has no edits admin", d.Cmd)
		}
		return s.admin(ctx, admin, d, args, flags)
	case "plan-draft", "plan-update", "plan-activate", "plan-inactivate", "plan-show":
		return s.plans(ctx, d, args)
	case "network-draft", "network-update", "network-activate", "network-inactivate", "network-show":
		return s.networks(ctx, d, args)
	case "schedule-draft", "schedule-update", "schedule-activate", "schedule-inactivate", "schedule-show":
		return s.schedules(ctx, d, args)
	case "settings-draft", "settings-update", "settings-activate", "settings-inactivate", "settings-show":
		return s.settings(ctx, d, args)
	case "replay":
		return s.replay(ctx)
	case "retro", "retro-report":
		return s.retro(ctx, d.Cmd, args)
	case "dry-run":
		return s.dryRun(ctx, args)
	case "benefits":
		m := s.merged(args)
		q := &adjudicator.BenefitsQuery{CardholderID: m["cardholder"], PersonCode: m["person"], DateOfBirth: m["dob"], AsOf: m["as-of"]}
		q.NetworkType, q.NetworkClass, _ = strings.Cut(args["segment"], "/")
		b, err := s.target.Benefits(ctx, q)
		if err != nil {
			return "", err
		}
		return formatBenefits(b), nil
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}

// config reads the bundle (a testdata bundle with the input as an overlay,
// or the input), validates it and starts a fresh target on it.
func (s *state) config(d *datadriven.TestData, args map[string]string) (string, error) {
	input := []byte(d.Input)
	if name, ok := args["bundle"]; ok {
		b, err := os.ReadFile(filepath.Join(Dir(), "bundles", name))
		if err != nil {
			return "", err
		}
		if input, err = overlay(b, input); err != nil {
			return "", err
		}
	}
	cfg, err := config.Parse(input)
	if err == nil {
		err = adjudicator.Validate(cfg)
	}
	if err != nil {
		return "", err
	}
	if v, ok := args["now"]; ok {
		if err := s.setClock(v); err != nil {
			return "", err
		}
	}
	s.checkReplay()
	s.target = s.factory(s.t, cfg, s.t.TempDir(), func() time.Time { return s.clock })
	return "ok\n", nil
}

// bill sends a claim as a B1 (cmd "bill") or a B3 ("rebill").
func (s *state) bill(ctx context.Context, cmd string, args map[string]string, trace bool) (string, error) {
	c, err := s.claim(args)
	if err != nil {
		return "", err
	}
	var r *adjudicator.Response
	if cmd == "bill" {
		r, err = s.target.Bill(ctx, c)
	} else {
		r, err = s.target.Rebill(ctx, c)
	}
	if err != nil {
		return "", err
	}
	return s.response(r, claimKey(c), trace)
}

// reverse sends a B2.
func (s *state) reverse(ctx context.Context, args map[string]string, trace bool) (string, error) {
	rv, err := s.reversal(args)
	if err != nil {
		return "", err
	}
	r, err := s.target.Reverse(ctx, rv)
	if err != nil {
		return "", err
	}
	return s.response(r, adjudicator.ClaimKey{}, trace)
}

// eligibility sends an E1.
func (s *state) eligibility(ctx context.Context, args map[string]string) (string, error) {
	m := s.merged(args)
	res, err := s.target.CheckEligibility(ctx, &adjudicator.EligibilityQuery{
		BIN: m["bin"], PCN: m["pcn"], GroupID: m["group"], CardholderID: m["cardholder"], PersonCode: m["person"],
		DateOfBirth: m["dob"], DateOfService: m["date"], PharmacyNPI: m["pharmacy"],
	})
	if err != nil {
		return "", err
	}
	return formatEligibility(res), nil
}

func (s *state) admin(ctx context.Context, admin Admin, d *datadriven.TestData, args map[string]string, flags map[string]bool) (string, error) {
	var (
		e   edits.Edit
		err error
	)
	switch d.Cmd {
	case "draft", "update":
		if err := sigsyaml.UnmarshalStrict([]byte(d.Input), &e); err != nil {
			return "", fmt.Errorf("edit: %w", err)
		}
		if d.Cmd == "draft" {
			e, err = admin.CreateDraft(ctx, e, args["user"])
		} else {
			e, err = admin.UpdateDraft(ctx, e, args["user"])
		}
	case "activate", "inactivate":
		version, verr := strconv.Atoi(args["version"])
		if verr != nil {
			return "", fmt.Errorf("version: %w", verr)
		}
		if d.Cmd == "activate" {
			e, err = admin.Activate(ctx, args["edit"], version, args["user"])
		} else {
			e, err = admin.Inactivate(ctx, args["edit"], version, args["user"])
		}
	case "test-claim":
		refs, err := parseDrafts(args["drafts"])
		if err != nil {
			return "", err
		}
		delete(args, "drafts")
		c, err := s.claim(args)
		if err != nil {
			return "", err
		}
		r, err := admin.TestClaim(ctx, c, refs)
		if err != nil {
			return "", err
		}
		return s.response(r, adjudicator.ClaimKey{}, flags["trace"])
	}
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("%s %s", e.Ref(), e.Status)
	if a := e.Audit; e.Status == edits.Active {
		out += " activated by " + a.ActivatedBy
		if a.SelfActivated {
			out += " (self-activated: maker-checker relaxed)"
		}
	}
	out += "\n"
	if c, ok := s.target.(Checker); ok && d.Cmd == "activate" {
		_, warnings, err := c.CheckEdit(ctx, e)
		if err != nil {
			return "", err
		}
		for _, w := range warnings {
			out += "warning: " + w + "\n"
		}
	}
	return out, nil
}

// validate checks the edit in the input as activation would.
func (s *state) validate(ctx context.Context, d *datadriven.TestData) (string, error) {
	c, ok := s.target.(Checker)
	if !ok {
		s.t.Skipf("validate: the target cannot check edits")
	}
	var e edits.Edit
	if err := sigsyaml.UnmarshalStrict([]byte(d.Input), &e); err != nil {
		return "", fmt.Errorf("edit: %w", err)
	}
	problems, warnings, err := c.CheckEdit(ctx, e)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if len(problems) == 0 {
		b.WriteString("valid\n")
	}
	for _, p := range problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	for _, w := range warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String(), nil
}

func (s *state) setClock(v string) error {
	d, err := domain.ParseDate(v)
	if err != nil {
		return err
	}
	s.clock = d.Time().Add(12 * time.Hour)
	return nil
}

func (s *state) merged(args map[string]string) map[string]string {
	m := make(map[string]string, len(s.defaults)+len(args))
	for k, v := range s.defaults {
		m[k] = v
	}
	for k, v := range args {
		m[k] = v
	}
	return m
}

var claimFields = []string{"bin", "pcn", "group", "cardholder", "person", "dob", "gender", "date", "rx", "fill", "ndc",
	"qty", "days", "daw", "ingredient", "fee", "uc", "gross", "pharmacy", "prescriber", "scc", "dur", "pa", "as-of",
	"written", "refills", "qty-prescribed", "occ"}

func (s *state) claim(args map[string]string) (*adjudicator.Claim, error) {
	m := s.merged(args)
	for k := range args {
		if !slices.Contains(claimFields, k) && k != "trace" {
			return nil, fmt.Errorf("unknown claim field %q", k)
		}
	}
	atoi := func(k string) (int, error) {
		if m[k] == "" {
			return 0, nil
		}
		return strconv.Atoi(m[k])
	}
	fill, err := atoi("fill")
	if err != nil {
		return nil, fmt.Errorf("fill: %w", err)
	}
	days, err := atoi("days")
	if err != nil {
		return nil, fmt.Errorf("days: %w", err)
	}
	c := &adjudicator.Claim{
		BIN: m["bin"], PCN: m["pcn"], GroupID: m["group"], CardholderID: m["cardholder"], PersonCode: m["person"],
		DateOfBirth: m["dob"], PatientGender: m["gender"], DateOfService: m["date"], RxNumber: m["rx"], FillNumber: fill,
		ProductID: m["ndc"], Quantity: m["qty"], DaysSupply: days, DAW: m["daw"], IngredientCostSubmitted: m["ingredient"],
		DispensingFeeSubmitted: m["fee"], UsualAndCustomary: m["uc"], GrossAmountDue: m["gross"], PharmacyNPI: m["pharmacy"],
		PrescriberNPI: m["prescriber"], PriorAuthorizationNumber: m["pa"],
		DatePrescriptionWritten: m["written"], RefillsAuthorized: m["refills"], QuantityPrescribed: m["qty-prescribed"],
		OtherCoverageCode: m["occ"],
	}
	if m["scc"] != "" {
		c.SubmissionClarificationCodes = strings.Split(m["scc"], ",")
	}
	if m["dur"] != "" {
		for _, d := range strings.Split(m["dur"], ",") {
			p := strings.Split(d+"//", "/")
			c.DUR = append(c.DUR, adjudicator.DURService{Reason: p[0], Professional: p[1], Result: p[2]})
		}
	}
	return c, nil
}

func (s *state) reversal(args map[string]string) (*adjudicator.Reversal, error) {
	m := s.merged(args)
	fill := 0
	if m["fill"] != "" {
		var err error
		if fill, err = strconv.Atoi(m["fill"]); err != nil {
			return nil, fmt.Errorf("fill: %w", err)
		}
	}
	rv := &adjudicator.Reversal{BIN: m["bin"], PCN: m["pcn"], PharmacyNPI: m["pharmacy"], RxNumber: m["rx"], FillNumber: fill, DateOfService: m["date"]}
	if _, ok := args["cardholder"]; ok {
		rv.CardholderID = m["cardholder"]
	}
	if _, ok := args["ndc"]; ok {
		rv.ProductID = m["ndc"]
	}
	return rv, nil
}

// claimKey is the claim's key as NCPDP compares it: the Rx number is
// numeric, so 05550001 and 5550001 are one key.
func claimKey(c *adjudicator.Claim) adjudicator.ClaimKey {
	rx := strings.TrimLeft(c.RxNumber, "0")
	if rx == "" && c.RxNumber != "" {
		rx = "0"
	}
	return adjudicator.ClaimKey{PharmacyNPI: c.PharmacyNPI, RxNumber: rx, FillNumber: c.FillNumber, DateOfService: c.DateOfService}
}

// response formats a response after checking the invariants of DOMAIN.md
// section 5 and, for a duplicate, that it names the original claim.
func (s *state) response(r *adjudicator.Response, key adjudicator.ClaimKey, trace bool) (string, error) {
	if err := r.Check(); err != nil {
		return "", fmt.Errorf("invariant broken: %w", err)
	}
	var b strings.Builder
	switch r.Status {
	case adjudicator.Rejected:
		writeRejects(&b, r.Rejects, r.Message)
	case adjudicator.Accepted:
		b.WriteString("A reversal accepted\n")
	case adjudicator.Paid, adjudicator.Duplicate:
		if r.Status == adjudicator.Duplicate {
			same := "the original claim ID"
			if s.paid[key] != r.ClaimID {
				same = "A DIFFERENT claim ID"
			}
			fmt.Fprintf(&b, "D duplicate of paid claim: original response, %s\n", same)
		} else {
			s.paid[key] = r.ClaimID
			fmt.Fprintf(&b, "P paid  %s/%s  tier %d  %s  basis %s\n", r.NetworkType, r.NetworkClass, r.Tier, r.BrandClass, r.BasisOfReimbursement)
		}
		fmt.Fprintf(&b, "  allowed %s = ingredient %s + fee %s\n", m(r.TotalAllowed), m(r.IngredientCostPaid), m(r.DispensingFeePaid))
		fmt.Fprintf(&b, "  patient %s = deductible %s + copay %s + coinsurance %s + brand penalty %s\n",
			m(r.PatientPay), m(r.Deductible), m(r.Copay), m(r.Coinsurance), m(r.ProductSelection))
		fmt.Fprintf(&b, "  plan    %s\n", m(r.PlanPaid))
		fmt.Fprintf(&b, "  deductible accumulated %s remaining %s; out of pocket remaining %s\n",
			m(r.AccumulatedDeductible), m(r.RemainingDeductible), nm(r.RemainingOutOfPocket))
		if r.ExceedingBenefitMax.IsPositive() || r.RemainingBenefit.Valid {
			fmt.Fprintf(&b, "  exceeding benefit maximum %s; remaining benefit %s\n", m(r.ExceedingBenefitMax), nm(r.RemainingBenefit))
		}
	default:
		fmt.Fprintf(&b, "%s %s\n", r.Status, r.Message)
	}
	for _, a := range r.DURAlerts {
		fmt.Fprintf(&b, "  DUR alert %s: %s\n", a.Reason, a.Message)
	}
	for _, f := range r.Flags {
		fmt.Fprintf(&b, "  flag %s\n", f)
	}
	if trace {
		for _, t := range r.Trace {
			rule := ""
			if t.Rule != "" {
				rule = " [" + t.Rule + "]"
			}
			fmt.Fprintf(&b, "  > %s%s: %s\n", t.Step, rule, t.Outcome())
		}
	}
	return b.String(), nil
}

func m(d interface{ StringFixed(int32) string }) string { return d.StringFixed(2) }

func nm(d decimal.NullDecimal) string {
	if !d.Valid {
		return "none"
	}
	return d.Decimal.StringFixed(2)
}

func formatEligibility(r *adjudicator.EligibilityResult) string {
	var b strings.Builder
	if r.Status == adjudicator.Rejected {
		writeRejects(&b, r.Rejects, r.Message)
		return b.String()
	}
	to := r.Coverage.To.String()
	if to == "" {
		to = "open"
	}
	fmt.Fprintf(&b, "A eligible  plan %s  group %s  coverage %s to %s", r.PlanID, r.GroupID, r.Coverage.From, to)
	if r.NetworkType != "" {
		fmt.Fprintf(&b, "  network %s/%s", r.NetworkType, r.NetworkClass)
	}
	b.WriteString("\n")
	return b.String()
}

func formatBenefits(bf *adjudicator.Benefits) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s  period %s to %s\n", bf.PlanID, bf.PeriodStart, bf.PeriodEnd)
	if bf.Segment.Valid() {
		fmt.Fprintf(&b, "  limits with DEFAULT accumulation read %s\n", bf.Segment)
	}
	for _, a := range []struct {
		name string
		v    adjudicator.Amounts
	}{{"deductible individual", bf.IndividualDeductible}, {"deductible family", bf.FamilyDeductible},
		{"out of pocket individual", bf.IndividualOutOfPocket}, {"out of pocket family", bf.FamilyOutOfPocket}} {
		if !a.v.Limit.Valid {
			fmt.Fprintf(&b, "  %-25s %s (no limit)\n", a.name, m(a.v.Accumulated))
			continue
		}
		fmt.Fprintf(&b, "  %-25s %s of %s, %s remaining\n", a.name, m(a.v.Accumulated), m(a.v.Limit.Decimal), m(a.v.Remaining.Decimal))
	}
	fmt.Fprintf(&b, "  %-25s %s\n", "plan paid", m(bf.PlanPaid))
	fmt.Fprintf(&b, "  %-25s %d\n", "prescriptions", bf.RxCount)
	for _, d := range []struct {
		scope string
		doc   *accumulators.Doc
	}{{"member", bf.Member}, {"family", bf.Family}} {
		entries := slices.Clone(d.doc.Entries)
		slices.SortFunc(entries, func(x, y accumulators.Entry) int {
			return strings.Compare(x.Kind.String()+x.Segment.String()+x.Level, y.Kind.String()+y.Segment.String()+y.Level)
		})
		for _, e := range entries {
			if e.Kind == accumulators.RxCount {
				continue
			}
			level := ""
			if e.Level != "" {
				level = "  (exception " + e.Level + ")"
			}
			fmt.Fprintf(&b, "  %s %-13s %-13s %s%s\n", d.scope, e.Kind, e.Segment, m(e.Amount), level)
		}
	}
	return b.String()
}

// overlay merges a YAML fragment onto a bundle: an item of a list replaces
// the bundle's item with the same key (id, npi, ndc or cardholder_id) or is
// appended; any other value replaces the bundle's.
func overlay(bundle, fragment []byte) ([]byte, error) {
	var b, f map[string]any
	if err := yaml.Unmarshal(bundle, &b); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(fragment, &f); err != nil {
		return nil, fmt.Errorf("config overlay: %w", err)
	}
	if len(f) == 0 {
		return bundle, nil
	}
	for k, v := range f {
		items, isList := v.([]any)
		have, _ := b[k].([]any)
		if !isList {
			b[k] = v
			continue
		}
		for _, it := range items {
			i := slices.IndexFunc(have, func(o any) bool { return itemKey(o) != "" && itemKey(o) == itemKey(it) })
			if i >= 0 {
				have[i] = it
			} else {
				have = append(have, it)
			}
		}
		b[k] = have
	}
	return yaml.Marshal(b)
}

func itemKey(v any) string {
	m, _ := v.(map[string]any)
	for _, k := range []string{"id", "npi", "ndc", "cardholder_id"} {
		if s, ok := m[k].(string); ok {
			return k + "=" + s
		}
	}
	return ""
}

// writeRejects prints a rejection: each code with its text, and the
// message when it says more than the codes do.
func writeRejects(b *strings.Builder, rejects []ncpdp.RejectCode, message string) {
	b.WriteString("R rejected\n")
	texts := make([]string, len(rejects))
	for i, c := range rejects {
		fmt.Fprintf(b, "  %s %s\n", c, c.Text())
		texts[i] = string(c) + " " + c.Text()
	}
	if plain := "REJECTED: " + strings.Join(texts, "; "); message != plain {
		fmt.Fprintf(b, "  message: %s\n", message)
	}
}

// replay replays every stored claim and prints what differs.
func (s *state) replay(ctx context.Context) (string, error) {
	r, ok := s.target.(Replayer)
	if !ok {
		s.t.Skip("replay: the target cannot replay")
	}
	var b strings.Builder
	sum, err := r.ReplayAll(ctx, func(p *adjudicator.Replay) error {
		for _, d := range p.Differences {
			fmt.Fprintf(&b, "  claim %s config v%d: %s: %s -> %s\n", p.ClaimID, p.ConfigVersion, d.Field, d.Original, d.Replayed)
		}
		if p.Skipped != "" {
			fmt.Fprintf(&b, "  claim %s skipped: %s\n", p.ClaimID, p.Skipped)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("replayed %d claims: %d same, %d different, %d skipped\n", sum.Claims, sum.Same, sum.Different, sum.Skipped) + b.String(), nil
}

// checkReplay fails the test when a stored claim of the target does not
// replay to its stored answer, or is skipped.
func (s *state) checkReplay() {
	if s.target == nil {
		return
	}
	r, ok := s.target.(Replayer)
	if !ok {
		return
	}
	var bad []string
	_, err := r.ReplayAll(context.Background(), func(p *adjudicator.Replay) error {
		for _, d := range p.Differences {
			bad = append(bad, fmt.Sprintf("claim %s config v%d: %s: %s -> %s", p.ClaimID, p.ConfigVersion, d.Field, d.Original, d.Replayed))
		}
		if p.Skipped != "" {
			bad = append(bad, fmt.Sprintf("claim %s skipped: %s", p.ClaimID, p.Skipped))
		}
		return nil
	})
	if err != nil {
		s.t.Errorf("replay: %v", err)
		return
	}
	if len(bad) > 0 {
		s.t.Errorf("a stored claim does not replay to its answer:\n%s", strings.Join(bad, "\n"))
	}
}

// dryRun runs a dry-run diff and prints it as an analyst reads it.
func (s *state) dryRun(ctx context.Context, args map[string]string) (string, error) {
	d, ok := s.target.(DryRunner)
	if !ok {
		s.t.Skip("dry-run: the target has no dry run")
	}
	var sel adjudicator.DryRunSelection
	var err error
	for k, dst := range map[string]*domain.Date{"from": &sel.From, "to": &sel.To} {
		if v, ok := args[k]; ok {
			if *dst, err = domain.ParseDate(v); err != nil {
				return "", err
			}
		}
	}
	sel.PlanID, sel.GroupID, sel.ClientID = args["plan"], args["group"], args["client"]
	sel.CardholderID, sel.PersonCode = args["cardholder"], args["person"]
	sel.Compare = adjudicator.DryRunCompare(args["compare"])
	editRefs, err := parseDrafts(args["drafts"])
	if err != nil {
		return "", err
	}
	var drafts []adjudicator.DraftRef
	for _, r := range editRefs {
		drafts = append(drafts, adjudicator.DraftRef{Kind: adjudicator.DraftEdit, ID: r.ID, Version: r.Version})
	}
	for _, kind := range []adjudicator.DraftKind{adjudicator.DraftPlan, adjudicator.DraftNetwork, adjudicator.DraftSchedule,
		adjudicator.DraftSettings, adjudicator.DraftClient, adjudicator.DraftGroup} {
		refs, err := parseDrafts(args[string(kind)+"-drafts"])
		if err != nil {
			return "", err
		}
		for _, r := range refs {
			drafts = append(drafts, adjudicator.DraftRef{Kind: kind, ID: r.ID, Version: r.Version})
		}
	}
	var changes []*adjudicator.DryRunChange
	rep, err := d.DryRun(ctx, sel, drafts, func(c *adjudicator.DryRunChange) error {
		changes = append(changes, c)
		return nil
	})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "compared with the %s answers", rep.Compare)
	if rep.Compare == adjudicator.CompareBaseline {
		fmt.Fprintf(&b, " (%d differ from the stored answers)", rep.BaselineDiffers)
	}
	fmt.Fprintf(&b, "\n%d claims re-adjudicated, %d changed, %d members affected\n", rep.Claims, rep.Changed, rep.MembersAffected)
	fmt.Fprintf(&b, "plan paid %s -> %s; patient pay %s -> %s\n", domain.FormatCents(rep.PlanPaidBefore), domain.FormatCents(rep.PlanPaidAfter),
		domain.FormatCents(rep.PatientBefore), domain.FormatCents(rep.PatientAfter))
	for _, c := range changes {
		fmt.Fprintf(&b, "  %s rx %s: %s\n    -> %s\n", c.DateOfService, c.RxNumber, outcome(c.Before), outcome(c.After))
	}
	return b.String(), nil
}

// outcome is a one-line answer: status and reject codes, or the amounts.
func outcome(r *adjudicator.Response) string {
	if r.Status == adjudicator.Rejected {
		codes := make([]string, len(r.Rejects))
		for i, c := range r.Rejects {
			codes[i] = string(c)
		}
		return "R " + strings.Join(codes, " ")
	}
	return fmt.Sprintf("%s plan %s patient %s (deductible %s copay %s coinsurance %s); deductible accumulated %s remaining %s",
		r.Status, domain.FormatCents(r.PlanPaid), domain.FormatCents(r.PatientPay), domain.FormatCents(r.Deductible),
		domain.FormatCents(r.Copay), domain.FormatCents(r.Coinsurance), domain.FormatCents(r.AccumulatedDeductible),
		domain.FormatCents(r.RemainingDeductible))
}

// parseDrafts parses "ID:N,ID:N" (empty: none).
func parseDrafts(list string) ([]adjudicator.EditRef, error) {
	var refs []adjudicator.EditRef
	if list == "" {
		return nil, nil
	}
	for _, r := range strings.Split(list, ",") {
		id, v, _ := strings.Cut(r, ":")
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("drafts: %q: want ID:VERSION", r)
		}
		refs = append(refs, adjudicator.EditRef{ID: id, Version: n})
	}
	return refs, nil
}
