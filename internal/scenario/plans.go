package scenario

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/datadriven"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	sigsyaml "sigs.k8s.io/yaml"
)

// PlanAdmin is the plan version lifecycle a target may offer. Worksheet
// commands (targets that implement it; others skip the file):
//
//	plan-draft user=U             creates a Draft plan version from the plan (YAML) in the input
//	plan-update user=U            replaces a Draft plan version with the input's
//	plan-activate plan=ID version=N user=U
//	plan-inactivate plan=ID version=N user=U
//	plan-show plan=ID             every version of the plan, with its dates and status
type PlanAdmin interface {
	CreatePlanDraft(ctx context.Context, p config.Plan, user string) (config.Plan, error)
	UpdatePlanDraft(ctx context.Context, p config.Plan, user string) (config.Plan, error)
	ActivatePlan(ctx context.Context, id string, version int, user string) (config.Plan, error)
	InactivatePlan(ctx context.Context, id string, version int, user string) (config.Plan, error)
	PlanVersions(ctx context.Context, id string) ([]config.Plan, error)
}

func (s *state) plans(ctx context.Context, d *datadriven.TestData, args map[string]string) (string, error) {
	pa, ok := s.target.(PlanAdmin)
	if !ok {
		s.t.Skipf("%s: the target has no plan admin", d.Cmd)
	}
	var (
		p   config.Plan
		err error
	)
	switch d.Cmd {
	case "plan-draft", "plan-update":
		if err := sigsyaml.UnmarshalStrict([]byte(d.Input), &p); err != nil {
			return "", fmt.Errorf("plan: %w", err)
		}
		if d.Cmd == "plan-draft" {
			p, err = pa.CreatePlanDraft(ctx, p, args["user"])
		} else {
			p, err = pa.UpdatePlanDraft(ctx, p, args["user"])
		}
	case "plan-activate", "plan-inactivate":
		version, verr := strconv.Atoi(args["version"])
		if verr != nil {
			return "", fmt.Errorf("version: %w", verr)
		}
		if d.Cmd == "plan-activate" {
			p, err = pa.ActivatePlan(ctx, args["plan"], version, args["user"])
		} else {
			p, err = pa.InactivatePlan(ctx, args["plan"], version, args["user"])
		}
	case "plan-show":
		vs, err := pa.PlanVersions(ctx, args["plan"])
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for _, v := range vs {
			b.WriteString(formatPlan(&v))
		}
		return b.String(), nil
	}
	if err != nil {
		return "", err
	}
	return formatPlan(&p), nil
}

func formatPlan(p *config.Plan) string {
	out := fmt.Sprintf("%s %s effective %s to %s", p.Ref(), p.Status, orOpen(p.Effective.String()), orOpen(p.Termination.String()))
	if a := p.Audit; p.Status == edits.Active {
		out += " activated by " + a.ActivatedBy
		if a.SelfActivated {
			out += " (self-activated: maker-checker relaxed)"
		}
	}
	return out + "\n"
}

func orOpen(s string) string {
	if s == "" {
		return "open"
	}
	return s
}
