package client

import (
	"context"
	"encoding/json"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// CreateScheduleDraft stores n as a new Draft schedule version and returns it as stored.
func (c *Admin) CreateScheduleDraft(ctx context.Context, n config.Schedule) (config.Schedule, error) {
	doc, err := json.Marshal(n)
	if err != nil {
		return config.Schedule{}, err
	}
	r, err := c.c.CreateScheduleDraft(c.ctx(ctx), &pb.CreateScheduleDraftRequest{ScheduleJson: string(doc)})
	if err != nil {
		return config.Schedule{}, err
	}
	return wire.ScheduleFromProto(r.GetSchedule())
}

// UpdateScheduleDraft replaces a Draft schedule version's content.
func (c *Admin) UpdateScheduleDraft(ctx context.Context, n config.Schedule) (config.Schedule, error) {
	doc, err := json.Marshal(n)
	if err != nil {
		return config.Schedule{}, err
	}
	r, err := c.c.UpdateScheduleDraft(c.ctx(ctx), &pb.UpdateScheduleDraftRequest{ScheduleJson: string(doc)})
	if err != nil {
		return config.Schedule{}, err
	}
	return wire.ScheduleFromProto(r.GetSchedule())
}

// ActivateSchedule makes a Draft schedule version Active.
func (c *Admin) ActivateSchedule(ctx context.Context, id string, version int) (config.Schedule, error) {
	r, err := c.c.ActivateSchedule(c.ctx(ctx), &pb.ActivateScheduleRequest{Id: id, Version: int32(version)})
	if err != nil {
		return config.Schedule{}, err
	}
	return wire.ScheduleFromProto(r.GetSchedule())
}

// InactivateSchedule retires a schedule version.
func (c *Admin) InactivateSchedule(ctx context.Context, id string, version int) (config.Schedule, error) {
	r, err := c.c.InactivateSchedule(c.ctx(ctx), &pb.InactivateScheduleRequest{Id: id, Version: int32(version)})
	if err != nil {
		return config.Schedule{}, err
	}
	return wire.ScheduleFromProto(r.GetSchedule())
}

// ScheduleVersions returns every version of one schedule.
func (c *Admin) ScheduleVersions(ctx context.Context, id string) ([]config.Schedule, error) {
	r, err := c.c.GetSchedule(c.ctx(ctx), &pb.GetScheduleRequest{Id: id})
	if err != nil {
		return nil, err
	}
	out := make([]config.Schedule, 0, len(r.GetVersions()))
	for _, v := range r.GetVersions() {
		n, err := wire.ScheduleFromProto(v)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
