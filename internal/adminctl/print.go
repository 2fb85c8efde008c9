package adminctl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func (c *session) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", b)
	return err
}

// printProto prints a response message as protojson (the field names of
// the .proto, zero values included), as grpcurl shows it.
func (c *session) printProto(m proto.Message) error {
	out, err := protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", out)
	return err
}

func (c *session) printEdits(list []edits.Edit, audit bool) error {
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

func (c *session) printEdit(e edits.Edit, err error) error {
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

// printWarnings prints what an edit leaves uncovered, one a line.
func (c *session) printWarnings(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintln(c.out, "warning: "+w)
	}
}

func (c *session) validate(ctx context.Context, ed edits.Edit) error {
	ps, warnings, err := c.admin.CheckEdit(ctx, ed)
	if err != nil {
		return err
	}
	if c.json {
		if ps == nil {
			ps = []edits.Problem{}
		}
		if warnings == nil {
			warnings = []string{}
		}
		if err := c.printJSON(map[string]any{"valid": len(ps) == 0, "problems": ps, "warnings": warnings}); err != nil {
			return err
		}
	} else if len(ps) == 0 {
		fmt.Fprintln(c.out, "valid")
		c.printWarnings(warnings)
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

// printSummary prints what an import changed (or, pending, would change)
// after the word what.
func (c *session) printSummary(what string, s adjudicator.ImportSummary) error {
	_, err := fmt.Fprintf(c.out, "%s: %d plans, %d networks, %d pharmacies, %d drugs, %d schedules, %d clients, %d groups, %d families changed; edits: %d added (%d active), %d unchanged\n",
		what, s.Plans, s.Networks, s.Pharmacies, s.Drugs, s.Schedules, s.Clients, s.Groups, s.Families, s.EditsAdded, s.EditsActivated, s.EditsUnchanged)
	for _, set := range s.Settings {
		fmt.Fprintf(c.out, "  setting %s\n", set)
	}
	return err
}

// printPending prints a proposed import: pending, or applied at once
// because it changes nothing.
func (c *session) printPending(p adjudicator.PendingImport) error {
	if c.json {
		out := wire.ImportSummaryToProto(p.Summary)
		out.PendingId, out.ProposedBy, out.Applied = p.ID, p.ProposedBy, p.ID == ""
		return c.printProto(out)
	}
	if p.ID == "" {
		return c.printSummary("imported (nothing to change)", p.Summary)
	}
	fmt.Fprintf(c.out, "import %s proposed by %s; another configuration approver applies it with: adjctl bundle approve %s\n", p.ID, p.ProposedBy, p.ID)
	return c.printSummary("it would change", p.Summary)
}

// printResult prints a test claim's result: its outcome and amounts, then
// its trace.
func (c *session) printResult(r *adjudicator.Response) error {
	p := wire.ResultToProto(r, true)
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
	return c.printTrace(p.GetTrace())
}

func (c *session) printTrace(trace []*pb.TraceStep) error {
	fmt.Fprintln(c.out, "\ntrace:")
	w := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tRULE\tOUTCOME")
	for _, s := range trace {
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.GetStep(), dash(s.GetRule()), s.GetOutcome())
	}
	return w.Flush()
}
