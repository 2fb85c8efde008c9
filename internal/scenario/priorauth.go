package scenario

import (
	"context"
	"fmt"
	"strings"

	"github.com/cockroachdb/datadriven"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	sigsyaml "sigs.k8s.io/yaml"
)

// PriorAuthAdmin is the prior authorization admin a target may offer.
// Worksheet commands (targets that implement it; others skip the file):
//
//	pa-create user=U              creates the PA (YAML) in the input
//	pa-change user=U              replaces a stored PA's terms with the input's
//	pa-end cardholder=C person=P number=N date=D user=U
//	pa-list cardholder=C [person=P] user=U
//	pa-sync user=U                upserts the PAs (a YAML list) in the input, all or none
//	sync-families                 an enrollment sync of the families (a YAML
//	                              list) in the input, as the loader sends them:
//	                              whole families, no prior authorizations
type PriorAuthAdmin interface {
	CreatePriorAuth(ctx context.Context, pa domain.PriorAuth, user string) (domain.PriorAuth, error)
	ChangePriorAuth(ctx context.Context, pa domain.PriorAuth, user string) (domain.PriorAuth, error)
	EndPriorAuth(ctx context.Context, key domain.PriorAuthKey, end domain.Date, user string) (domain.PriorAuth, error)
	ListPriorAuths(ctx context.Context, cardholderID, personCode, user string) ([]domain.PriorAuth, error)
	SyncPriorAuths(ctx context.Context, pas []domain.PriorAuth, user string) error
	SyncFamilies(ctx context.Context, fams []domain.Family) error
}

func (s *state) priorAuths(ctx context.Context, d *datadriven.TestData, args map[string]string) (string, error) {
	pa, ok := s.target.(PriorAuthAdmin)
	if !ok {
		s.t.Skipf("%s: the target has no prior authorization admin", d.Cmd)
	}
	user := args["user"]
	switch d.Cmd {
	case "pa-create", "pa-change":
		var in domain.PriorAuth
		if err := sigsyaml.UnmarshalStrict([]byte(d.Input), &in); err != nil {
			return "", fmt.Errorf("prior authorization: %w", err)
		}
		var out domain.PriorAuth
		var err error
		if d.Cmd == "pa-create" {
			out, err = pa.CreatePriorAuth(ctx, in, user)
		} else {
			out, err = pa.ChangePriorAuth(ctx, in, user)
		}
		if err != nil {
			return "", err
		}
		return formatPriorAuth(&out), nil
	case "pa-end":
		end, err := domain.ParseDate(args["date"])
		if err != nil {
			return "", err
		}
		out, err := pa.EndPriorAuth(ctx, domain.PriorAuthKey{CardholderID: args["cardholder"], PersonCode: args["person"], Number: args["number"]}, end, user)
		if err != nil {
			return "", err
		}
		return formatPriorAuth(&out), nil
	case "pa-list":
		list, err := pa.ListPriorAuths(ctx, args["cardholder"], args["person"], user)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for i := range list {
			b.WriteString(formatPriorAuth(&list[i]))
		}
		if len(list) == 0 {
			b.WriteString("no prior authorizations\n")
		}
		return b.String(), nil
	case "pa-sync":
		var in []domain.PriorAuth
		if err := sigsyaml.UnmarshalStrict([]byte(d.Input), &in); err != nil {
			return "", fmt.Errorf("prior authorizations: %w", err)
		}
		if err := pa.SyncPriorAuths(ctx, in, user); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d prior authorizations synced\n", len(in)), nil
	}
	var fams []domain.Family
	if err := sigsyaml.UnmarshalStrict([]byte(d.Input), &fams); err != nil {
		return "", fmt.Errorf("families: %w", err)
	}
	if err := pa.SyncFamilies(ctx, fams); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d families synced\n", len(fams)), nil
}

// formatPriorAuth is one line: "PA9 001 QUANTITY NDC 00093505698 2026-01-01
// to open: quantity exception up to 60; max fills 3".
func formatPriorAuth(p *domain.PriorAuth) string {
	to := "open"
	if !p.To.IsZero() {
		to = p.To.String()
	}
	s := fmt.Sprintf("%s %s %s %s %s to %s: %s", p.Number, p.PersonCode, p.Kind(), p.DrugRef, p.From, to, p.Describe())
	if p.MaxFills > 0 {
		s += fmt.Sprintf("; max fills %d", p.MaxFills)
	}
	if p.MaxTotalQuantity.IsPositive() {
		s += "; max total quantity " + p.MaxTotalQuantity.String()
	}
	if p.Note != "" {
		s += " (" + p.Note + ")"
	}
	return s + "\n"
}

// PriorAuthAdmin methods of the engine target.

func (t engineTarget) CreatePriorAuth(ctx context.Context, pa domain.PriorAuth, user string) (domain.PriorAuth, error) {
	return t.Engine.CreatePriorAuth(ctx, pa, adjudicator.Actor(user))
}

func (t engineTarget) ChangePriorAuth(ctx context.Context, pa domain.PriorAuth, user string) (domain.PriorAuth, error) {
	return t.Engine.ChangePriorAuth(ctx, pa, adjudicator.Actor(user))
}

func (t engineTarget) EndPriorAuth(ctx context.Context, key domain.PriorAuthKey, end domain.Date, user string) (domain.PriorAuth, error) {
	return t.Engine.EndPriorAuth(ctx, key, end, adjudicator.Actor(user))
}

func (t engineTarget) ListPriorAuths(ctx context.Context, cardholderID, personCode, _ string) ([]domain.PriorAuth, error) {
	return t.Engine.PriorAuths(ctx, cardholderID, personCode)
}

func (t engineTarget) SyncPriorAuths(ctx context.Context, pas []domain.PriorAuth, user string) error {
	return t.Engine.SyncPriorAuths(ctx, pas, adjudicator.Actor(user))
}

func (t engineTarget) SyncFamilies(ctx context.Context, fams []domain.Family) error {
	_, err := t.Engine.SyncFamilies(ctx, fams, nil, nil, adjudicator.Actor("loader"))
	return err
}
