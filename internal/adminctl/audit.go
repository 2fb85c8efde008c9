package adminctl

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

type approveCmd struct {
	ID string `arg:"" name:"ID" help:"The pending import (adjctl bundle pending lists them)."`
}

func (c *approveCmd) Run(s *session) error {
	sum, err := s.admin.ApproveImport(s.ctx, c.ID)
	if err != nil {
		return err
	}
	if s.json {
		out := wire.ImportSummaryToProto(sum)
		out.Applied = true
		return s.printProto(&pb.ApproveImportResponse{Summary: out})
	}
	return s.printSummary("imported "+c.ID, sum)
}

type rejectCmd struct {
	ID string `arg:"" name:"ID" help:"The pending import."`
}

func (c *rejectCmd) Run(s *session) error {
	if err := s.admin.RejectImport(s.ctx, c.ID); err != nil {
		return err
	}
	_, err := fmt.Fprintf(s.out, "import %s rejected\n", c.ID)
	return err
}

type pendingCmd struct{}

func (c *pendingCmd) Run(s *session) error {
	list, err := s.admin.PendingImports(s.ctx)
	if err != nil {
		return err
	}
	if s.json {
		out := &pb.ListImportsResponse{}
		for _, p := range list {
			out.Imports = append(out.Imports, wire.PendingImportToProto(p))
		}
		return s.printProto(out)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(s.out, "no pending imports")
		return err
	}
	for _, p := range list {
		fmt.Fprintf(s.out, "import %s proposed by %s at %s\n", p.ID, p.ProposedBy, p.ProposedAt.Format(time.RFC3339))
		if err := s.printSummary("  would change", p.Summary); err != nil {
			return err
		}
	}
	return nil
}

type auditCmd struct {
	From   string `name:"from" placeholder:"TIME" help:"From this RFC 3339 time or YYYY-MM-DD date (included)."`
	To     string `name:"to" placeholder:"TIME" help:"Up to this RFC 3339 time (excluded) or YYYY-MM-DD date (included)."`
	Who    string `name:"who" placeholder:"SUBJECT" help:"Only the entries of this identity."`
	Object string `name:"object" placeholder:"REF" help:"Only the entries touching this object, e.g. \"edit QTY-10\" or \"import 3f2a...\"."`
	After  uint64 `name:"after" placeholder:"SEQ" help:"Only the entries after this sequence number (paging)."`
	Limit  int    `name:"limit" default:"100" help:"At most this many entries (up to 1000)."`
}

func (c *auditCmd) Run(s *session) error {
	list, err := s.admin.Audit(s.ctx, client.AuditFilter{From: c.From, To: c.To, User: c.Who, Object: c.Object, AfterSeq: c.After, Limit: c.Limit})
	if err != nil {
		return err
	}
	if s.json {
		out := &pb.ListAuditResponse{}
		for _, e := range list {
			out.Entries = append(out.Entries, wire.AuditEntryToProto(e))
		}
		return s.printProto(out)
	}
	return printAudit(s, list)
}

func printAudit(s *session, list []adjudicator.AuditEntry) error {
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tTIME\tWHO\tROLE\tMETHOD\tOUTCOME\tOBJECTS\tDETAIL")
	for _, e := range list {
		method := e.Method[strings.LastIndex(e.Method, ".")+1:] // AdminService/ActivateEdit
		role := dash(e.Role)
		if e.Outcome == adjudicator.AuditDenied { // the role it needed, not one the caller holds
			role = "needs " + e.Role
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Format(time.RFC3339), e.Subject, role, method,
			e.Outcome, dash(strings.Join(e.Objects, ", ")), dash(e.Detail))
	}
	return w.Flush()
}
