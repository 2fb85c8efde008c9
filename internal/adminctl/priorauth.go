package adminctl

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/domain"
	"sigs.k8s.io/yaml"
)

// The "pa" commands: prior authorizations through PriorAuthService
// (role clinical-reviewer; list and show also auditor).

// paFile is the argument of the commands that read a prior authorization.
type paFile struct {
	File string `arg:"" name:"FILE" help:"The prior authorization, JSON or YAML (.yaml, .yml): cardholder_id, person_code, number, type, ndc or class_prefix, effective, termination, max_quantity, max_days_supply, tier, max_fills, max_total_quantity, note."`
}

// readPriorAuth reads a prior authorization file; unknown fields are errors.
func readPriorAuth(path string) (domain.PriorAuth, error) {
	var pa domain.PriorAuth
	b, err := os.ReadFile(path)
	if err != nil {
		return pa, err
	}
	if isYAML(path) {
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return pa, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := yaml.UnmarshalStrict(b, &pa); err != nil {
		return pa, fmt.Errorf("%s: %w", path, err)
	}
	return pa, nil
}

// memberArgs name a member.
type memberArgs struct {
	Cardholder string `arg:"" name:"CARDHOLDER" help:"The cardholder ID."`
	Person     string `arg:"" name:"PERSON" help:"The person code (001 the subscriber)."`
}

type paCreateCmd struct{ paFile }

func (c *paCreateCmd) Run(s *session) error {
	pa, err := readPriorAuth(c.File)
	if err != nil {
		return err
	}
	out, err := s.priorAuths.Create(s.ctx, pa)
	if err != nil {
		return err
	}
	return s.printPriorAuths([]domain.PriorAuth{out})
}

type paChangeCmd struct{ paFile }

func (c *paChangeCmd) Run(s *session) error {
	pa, err := readPriorAuth(c.File)
	if err != nil {
		return err
	}
	out, err := s.priorAuths.Change(s.ctx, pa)
	if err != nil {
		return err
	}
	return s.printPriorAuths([]domain.PriorAuth{out})
}

type paEndCmd struct {
	memberArgs
	Number string `arg:"" name:"NUMBER" help:"The prior authorization number."`
	Date   string `arg:"" name:"END" help:"The last day it covers, YYYY-MM-DD."`
}

func (c *paEndCmd) Run(s *session) error {
	end, err := domain.ParseDate(c.Date)
	if err != nil {
		return fmt.Errorf("pa end: END: %w", err)
	}
	out, err := s.priorAuths.End(s.ctx, domain.PriorAuthKey{CardholderID: c.Cardholder, PersonCode: c.Person, Number: c.Number}, end)
	if err != nil {
		return err
	}
	return s.printPriorAuths([]domain.PriorAuth{out})
}

type paListCmd struct {
	Cardholder string `arg:"" name:"CARDHOLDER" help:"The cardholder ID."`
	Person     string `arg:"" optional:"" name:"PERSON" help:"Only this member (every member of the family without it)."`
}

func (c *paListCmd) Run(s *session) error {
	list, err := s.priorAuths.List(s.ctx, c.Cardholder, c.Person)
	if err != nil {
		return err
	}
	return s.printPriorAuths(list)
}

type paShowCmd struct {
	memberArgs
	Number string `arg:"" name:"NUMBER" help:"The prior authorization number."`
}

func (c *paShowCmd) Run(s *session) error {
	pa, err := s.priorAuths.Get(s.ctx, domain.PriorAuthKey{CardholderID: c.Cardholder, PersonCode: c.Person, Number: c.Number})
	if err != nil {
		return err
	}
	return s.printPriorAuths([]domain.PriorAuth{pa})
}

// printPriorAuths prints prior authorizations as a table or JSON.
func (c *session) printPriorAuths(list []domain.PriorAuth) error {
	if c.json {
		if list == nil {
			list = []domain.PriorAuth{}
		}
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.out, "%s\n", b)
		return err
	}
	w := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PERSON\tNUMBER\tTYPE\tDRUG\tEFFECTIVE\tTERMINATION\tAPPROVES\tMAX FILLS\tMAX TOTAL QTY\tNOTE")
	for _, p := range list {
		fills, total := "-", "-"
		if p.MaxFills > 0 {
			fills = fmt.Sprint(p.MaxFills)
		}
		if p.MaxTotalQuantity.IsPositive() {
			total = p.MaxTotalQuantity.String()
		}
		to := "-"
		if !p.To.IsZero() {
			to = p.To.String()
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.PersonCode, p.Number, p.Kind(), p.DrugRef, p.From, to,
			p.Describe(), fills, total, dash(p.Note))
	}
	return w.Flush()
}
