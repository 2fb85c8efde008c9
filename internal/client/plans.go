package client

import (
	"context"
	"encoding/json"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// CreatePlanDraft stores p as a new Draft plan version and returns it as stored.
func (c *Admin) CreatePlanDraft(ctx context.Context, p config.Plan) (config.Plan, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return config.Plan{}, err
	}
	r, err := c.c.CreatePlanDraft(c.ctx(ctx), &pb.CreatePlanDraftRequest{PlanJson: string(doc)})
	if err != nil {
		return config.Plan{}, err
	}
	return wire.PlanFromProto(r.GetPlan())
}

// UpdatePlanDraft replaces a Draft plan version's content.
func (c *Admin) UpdatePlanDraft(ctx context.Context, p config.Plan) (config.Plan, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return config.Plan{}, err
	}
	r, err := c.c.UpdatePlanDraft(c.ctx(ctx), &pb.UpdatePlanDraftRequest{PlanJson: string(doc)})
	if err != nil {
		return config.Plan{}, err
	}
	return wire.PlanFromProto(r.GetPlan())
}

// ActivatePlan makes a Draft plan version Active.
func (c *Admin) ActivatePlan(ctx context.Context, id string, version int) (config.Plan, error) {
	r, err := c.c.ActivatePlan(c.ctx(ctx), &pb.ActivatePlanRequest{Id: id, Version: int32(version)})
	if err != nil {
		return config.Plan{}, err
	}
	return wire.PlanFromProto(r.GetPlan())
}

// InactivatePlan retires a plan version.
func (c *Admin) InactivatePlan(ctx context.Context, id string, version int) (config.Plan, error) {
	r, err := c.c.InactivatePlan(c.ctx(ctx), &pb.InactivatePlanRequest{Id: id, Version: int32(version)})
	if err != nil {
		return config.Plan{}, err
	}
	return wire.PlanFromProto(r.GetPlan())
}

// PlanVersions returns every version of one plan.
func (c *Admin) PlanVersions(ctx context.Context, id string) ([]config.Plan, error) {
	r, err := c.c.GetPlan(c.ctx(ctx), &pb.GetPlanRequest{Id: id})
	if err != nil {
		return nil, err
	}
	out := make([]config.Plan, 0, len(r.GetVersions()))
	for _, v := range r.GetVersions() {
		p, err := wire.PlanFromProto(v)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
