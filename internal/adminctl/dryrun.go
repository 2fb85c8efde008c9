package adminctl

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/wire"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

type dryRunCmd struct {
	From       string   `name:"from" required:"" placeholder:"YYYY-MM-DD" help:"The first date of service."`
	To         string   `name:"to" required:"" placeholder:"YYYY-MM-DD" help:"The last date of service (at most 731 days after --from)."`
	Plan       string   `name:"plan" help:"Only claims this plan paid."`
	Group      string   `name:"group" help:"Only families of this group."`
	Client     string   `name:"client" help:"Only families of this client's groups."`
	Cardholder string   `name:"cardholder" help:"Only this family."`
	Person     string   `name:"person" help:"Only this member of the --cardholder family."`
	Drafts     []string `name:"draft" placeholder:"[KIND:]ID:VERSION" help:"A draft version to apply as though active (repeatable): an edit's ID:VERSION, or KIND:ID:VERSION with KIND edit, plan, network, schedule, settings (settings:PBM:2), client or group (plan:PPO:2); none: the configuration in force."`
	Compare    string   `name:"compare" enum:"baseline,stored" default:"baseline" help:"What the answers under the drafts are compared with: baseline (the same claims re-run without the drafts in the same run: only the drafts' changes show; the go-live check) or stored (the answers stored when the claims were paid; claims billed out of date order show too)."`
	Format     string   `name:"format" enum:"table,csv,json" default:"table" help:"table, csv (one row per changed claim; totals on stderr) or json (--json too)."`
}

func (c *dryRunCmd) Run(s *session) error {
	sel := adjudicator.DryRunSelection{PlanID: c.Plan, GroupID: c.Group, ClientID: c.Client, CardholderID: c.Cardholder, PersonCode: c.Person,
		Compare: adjudicator.DryRunCompare(c.Compare)}
	var err error
	if sel.From, err = domain.ParseDate(c.From); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if sel.To, err = domain.ParseDate(c.To); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	var drafts []adjudicator.DraftRef
	for _, d := range c.Drafts {
		r, err := parseDraftRef(d)
		if err != nil {
			return fmt.Errorf("--draft %w", err)
		}
		drafts = append(drafts, r)
	}
	format := c.Format
	if s.json {
		format = "json"
	}
	var p dryRunPrinter
	switch format {
	case "csv":
		p = newCSVPrinter(s.out, s.errOut, sel.Compare)
	case "json":
		p = &jsonPrinter{out: s.out}
	default:
		p = newTablePrinter(s.out)
	}
	rep, err := s.admin.DryRun(s.ctx, sel, drafts, p.change)
	if err != nil {
		return err
	}
	return p.totals(rep)
}

// parseDraftRef parses a dry run's --draft: ID:VERSION (an edit) or
// KIND:ID:VERSION.
func parseDraftRef(s string) (adjudicator.DraftRef, error) {
	kind := adjudicator.DraftEdit
	if k, rest, ok := strings.Cut(s, ":"); ok && strings.Contains(rest, ":") {
		kind, s = adjudicator.DraftKind(k), rest
	}
	r, err := parseRef(s)
	if err != nil {
		return adjudicator.DraftRef{}, fmt.Errorf("%w, or KIND:ID:VERSION, e.g. plan:PPO:2", err)
	}
	return adjudicator.DraftRef{Kind: kind, ID: r.ID, Version: r.Version}, nil
}

// befores says what a dry run's befores are.
func befores(r *adjudicator.DryRunReport) string {
	if r.Compare == adjudicator.CompareStored {
		return "before = the stored answers (claims billed out of date order or reversed after a later claim show as changes too)"
	}
	return fmt.Sprintf("before = the baseline: the same claims re-run without the drafts (%d of them differ from the stored answers: not the drafts' doing)",
		r.BaselineDiffers)
}

// dryRunPrinter prints a dry run's changes as they come, then its totals.
type dryRunPrinter interface {
	change(*adjudicator.DryRunChange) error
	totals(*adjudicator.DryRunReport) error
}

// dryRunAmount is one amount of an answer a dry run compares.
type dryRunAmount struct {
	name, column string
	of           func(*adjudicator.Response) decimal.NullDecimal
}

func some(d decimal.Decimal) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d, Valid: true} }

// dryRunAmounts are the amounts, in the order the table and CSV show them.
var dryRunAmounts = []dryRunAmount{
	{"plan_paid", "PLAN PAID", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.PlanPaid) }},
	{"patient_pay", "PATIENT PAY", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.PatientPay) }},
	{"ingredient_cost_paid", "INGREDIENT", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.IngredientCostPaid) }},
	{"dispensing_fee_paid", "FEE", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.DispensingFeePaid) }},
	{"total_allowed", "ALLOWED", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.TotalAllowed) }},
	{"deductible", "DEDUCTIBLE", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.Deductible) }},
	{"copay", "COPAY", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.Copay) }},
	{"coinsurance", "COINSURANCE", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.Coinsurance) }},
	{"product_selection", "BRAND PENALTY", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.ProductSelection) }},
	{"exceeding_benefit_max", "OVER MAX", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.ExceedingBenefitMax) }},
	{"accumulated_deductible", "DED ACCUMULATED", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.AccumulatedDeductible) }},
	{"remaining_deductible", "DED REMAINING", func(r *adjudicator.Response) decimal.NullDecimal { return some(r.RemainingDeductible) }},
	{"remaining_benefit", "BENEFIT REMAINING", func(r *adjudicator.Response) decimal.NullDecimal { return r.RemainingBenefit }},
	{"remaining_out_of_pocket", "OOP REMAINING", func(r *adjudicator.Response) decimal.NullDecimal { return r.RemainingOutOfPocket }},
}

// money is an amount as the table and CSV print it; "" when absent (the
// table says "none").
func money(d decimal.NullDecimal) string {
	if !d.Valid {
		return ""
	}
	return domain.FormatCents(d.Decimal)
}

// statusOf is "P", or "R" and the reject codes.
func statusOf(r *adjudicator.Response) string {
	s := string(r.Status)
	for _, c := range r.Rejects {
		s += " " + string(c)
	}
	return s
}

// tablePrinter prints a readable table: one row per changed claim with
// the status, plan paid and patient pay before and after, and the other
// amounts that changed; then the totals.
type tablePrinter struct {
	out io.Writer
	w   *tabwriter.Writer
}

func newTablePrinter(out io.Writer) *tablePrinter {
	p := &tablePrinter{out: out, w: tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)}
	fmt.Fprintln(p.w, "DATE\tRX\tCLAIM\tPLAN\tSTATUS\tPLAN PAID\tPATIENT PAY\tALSO CHANGED")
	return p
}

func (p *tablePrinter) change(c *adjudicator.DryRunChange) error {
	cell := func(a, b string) string {
		if a == b {
			return a
		}
		return a + " -> " + b
	}
	var also []string // a rejected answer has no amounts: its status says it
	for _, a := range dryRunAmounts[2:] {
		if c.Before.Status == adjudicator.Rejected || c.After.Status == adjudicator.Rejected {
			break
		}
		if x, y := money(a.of(c.Before)), money(a.of(c.After)); x != y {
			also = append(also, fmt.Sprintf("%s %s -> %s", strings.ToLower(a.column), orNone(x), orNone(y)))
		}
	}
	_, err := fmt.Fprintf(p.w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.DateOfService, c.RxNumber, c.ClaimID, c.PlanID,
		cell(statusOf(c.Before), statusOf(c.After)),
		cell(money(some(c.Before.PlanPaid)), money(some(c.After.PlanPaid))),
		cell(money(some(c.Before.PatientPay)), money(some(c.After.PatientPay))), strings.Join(also, "; "))
	return err
}

func (p *tablePrinter) totals(r *adjudicator.DryRunReport) error {
	if err := p.w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(p.out, "\n%s\n", befores(r))
	fmt.Fprintf(p.out, "%d claims re-adjudicated (%d families; %d other claims read for their accumulators and history)\n", r.Claims, r.Families, r.Context)
	fmt.Fprintf(p.out, "%d changed, %d members affected\n", r.Changed, r.MembersAffected)
	fmt.Fprintf(p.out, "plan paid    %s -> %s (%s)\n", domain.FormatCents(r.PlanPaidBefore), domain.FormatCents(r.PlanPaidAfter), signed(r.PlanPaidAfter.Sub(r.PlanPaidBefore)))
	fmt.Fprintf(p.out, "patient pay  %s -> %s (%s)\n", domain.FormatCents(r.PatientBefore), domain.FormatCents(r.PatientAfter), signed(r.PatientAfter.Sub(r.PatientBefore)))
	_, err := fmt.Fprintf(p.out, "elapsed %s%s\n", r.Elapsed, rate(r))
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func signed(d decimal.Decimal) string {
	if d.IsNegative() {
		return domain.FormatCents(d)
	}
	return "+" + domain.FormatCents(d)
}

// rate is the claims re-adjudicated a second, when measurable.
func rate(r *adjudicator.DryRunReport) string {
	if r.Elapsed <= 0 || r.Claims == 0 {
		return ""
	}
	return fmt.Sprintf(", %.0f claims re-adjudicated a second", float64(r.Claims)/r.Elapsed.Seconds())
}

// csvPrinter prints one row per changed claim, every amount before and
// after, and what the before is (compare: baseline or stored); the totals
// go to errOut, so the rows stay one table.
type csvPrinter struct {
	w       *csv.Writer
	errOut  io.Writer
	compare adjudicator.DryRunCompare
}

func newCSVPrinter(out, errOut io.Writer, compare adjudicator.DryRunCompare) *csvPrinter {
	p := &csvPrinter{w: csv.NewWriter(out), errOut: errOut, compare: compare}
	head := []string{"claim_id", "date_of_service", "rx_number", "plan_id", "status_before", "status_after"}
	for _, a := range dryRunAmounts {
		head = append(head, a.name+"_before", a.name+"_after")
	}
	head = append(head, "compare")
	_ = p.w.Write(head)
	return p
}

func (p *csvPrinter) change(c *adjudicator.DryRunChange) error {
	row := []string{c.ClaimID, c.DateOfService, c.RxNumber, c.PlanID, statusOf(c.Before), statusOf(c.After)}
	for _, a := range dryRunAmounts {
		row = append(row, money(a.of(c.Before)), money(a.of(c.After)))
	}
	row = append(row, string(p.compare))
	return p.w.Write(row)
}

func (p *csvPrinter) totals(r *adjudicator.DryRunReport) error {
	p.w.Flush()
	if err := p.w.Error(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(p.errOut, "%s\n%d claims re-adjudicated, %d changed, %d members affected; plan paid %s -> %s; patient pay %s -> %s\n",
		befores(r), r.Claims, r.Changed, r.MembersAffected, domain.FormatCents(r.PlanPaidBefore), domain.FormatCents(r.PlanPaidAfter),
		domain.FormatCents(r.PatientBefore), domain.FormatCents(r.PatientAfter))
	return err
}

// jsonPrinter prints one JSON document, {"changes": [...], "totals": {...}},
// in the .proto's field names, writing each change as it comes.
type jsonPrinter struct {
	out io.Writer
	n   int
}

var protoJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

func (p *jsonPrinter) change(c *adjudicator.DryRunChange) error {
	b, err := protoJSON.Marshal(wire.DryRunChangeToProto(c))
	if err != nil {
		return err
	}
	sep := ",\n  "
	if p.n == 0 {
		sep = "{\"changes\": [\n  "
	}
	p.n++
	_, err = fmt.Fprintf(p.out, "%s%s", sep, b)
	return err
}

func (p *jsonPrinter) totals(r *adjudicator.DryRunReport) error {
	msg := wire.DryRunTotalsToProto(r)
	b, err := protoJSON.Marshal(msg)
	if err != nil {
		return err
	}
	// compare reads as the flag and the CSV give it (baseline, stored),
	// not as the proto enum's name.
	var totals map[string]json.RawMessage
	if err := json.Unmarshal(b, &totals); err != nil {
		return err
	}
	compare := r.Compare
	if compare == "" {
		compare = adjudicator.CompareBaseline
	}
	if totals["compare"], err = json.Marshal(compare); err != nil {
		return err
	}
	// Counts read as JSON numbers: protojson writes 64-bit integers as
	// strings, which a spreadsheet or jq would then compare as text.
	fields := msg.ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); f.Kind() == protoreflect.Int64Kind {
			totals[string(f.Name())] = json.RawMessage(strconv.FormatInt(msg.ProtoReflect().Get(f).Int(), 10))
		}
	}
	if b, err = json.Marshal(totals); err != nil {
		return err
	}
	head := "\n],\n"
	if p.n == 0 {
		head = "{\"changes\": [],\n"
	}
	_, err = fmt.Fprintf(p.out, "%s\"totals\": %s}\n", head, b)
	return err
}
