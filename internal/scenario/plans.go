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

// NetworkAdmin is the network version lifecycle a target may offer, with
// the worksheet commands of PlanAdmin named network-draft, network-update,
// network-activate network=ID version=N user=U, network-inactivate and
// network-show network=ID.
type NetworkAdmin interface {
	CreateNetworkDraft(ctx context.Context, n config.Network, user string) (config.Network, error)
	UpdateNetworkDraft(ctx context.Context, n config.Network, user string) (config.Network, error)
	ActivateNetwork(ctx context.Context, id string, version int, user string) (config.Network, error)
	InactivateNetwork(ctx context.Context, id string, version int, user string) (config.Network, error)
	NetworkVersions(ctx context.Context, id string) ([]config.Network, error)
}

// ScheduleAdmin is the schedule version lifecycle a target may offer,
// with the worksheet commands of PlanAdmin named schedule-draft,
// schedule-update, schedule-activate schedule=ID version=N user=U,
// schedule-inactivate and schedule-show schedule=ID.
type ScheduleAdmin interface {
	CreateScheduleDraft(ctx context.Context, s config.Schedule, user string) (config.Schedule, error)
	UpdateScheduleDraft(ctx context.Context, s config.Schedule, user string) (config.Schedule, error)
	ActivateSchedule(ctx context.Context, id string, version int, user string) (config.Schedule, error)
	InactivateSchedule(ctx context.Context, id string, version int, user string) (config.Schedule, error)
	ScheduleVersions(ctx context.Context, id string) ([]config.Schedule, error)
}

// SettingsAdmin is the settings version lifecycle a target may offer
// (PBM, client and group settings), with the worksheet commands of
// PlanAdmin named settings-draft level=L user=U, settings-update,
// settings-activate level=L id=ID version=N user=U, settings-inactivate
// and settings-show level=L id=ID (level pbm, client or group; the PBM
// needs no id).
type SettingsAdmin interface {
	CreateSettingsDraft(ctx context.Context, v config.SettingsVersion, user string) (config.SettingsVersion, error)
	UpdateSettingsDraft(ctx context.Context, v config.SettingsVersion, user string) (config.SettingsVersion, error)
	ActivateSettings(ctx context.Context, level config.Level, id string, version int, user string) (config.SettingsVersion, error)
	InactivateSettings(ctx context.Context, level config.Level, id string, version int, user string) (config.SettingsVersion, error)
	SettingsVersions(ctx context.Context, level config.Level, id string) ([]config.SettingsVersion, error)
}

// lifecycle is the version lifecycle of one kind of record, as worksheet
// commands "<kind>-draft", "<kind>-update", "<kind>-activate",
// "<kind>-inactivate" and "<kind>-show" use it.
type lifecycle[T any] struct {
	create, update       func(context.Context, T, string) (T, error)
	activate, inactivate func(context.Context, string, int, string) (T, error)
	versions             func(context.Context, string) ([]T, error)
	format               func(*T) string
	// decode reads a draft's input (unset: strict YAML into T), and key
	// is the argument naming a record (unset: the kind).
	decode func(string) (T, error)
	key    string
}

func (s *state) plans(ctx context.Context, d *datadriven.TestData, args map[string]string) (string, error) {
	pa, ok := s.target.(PlanAdmin)
	if !ok {
		s.t.Skipf("%s: the target has no plan admin", d.Cmd)
	}
	return runLifecycle(ctx, d, args, "plan", lifecycle[config.Plan]{pa.CreatePlanDraft, pa.UpdatePlanDraft,
		pa.ActivatePlan, pa.InactivatePlan, pa.PlanVersions, func(p *config.Plan) string { return formatDated(p.Ref(), &p.Dated, p.Audit) }, nil, ""})
}

func (s *state) settings(ctx context.Context, d *datadriven.TestData, args map[string]string) (string, error) {
	sa, ok := s.target.(SettingsAdmin)
	if !ok {
		s.t.Skipf("%s: the target has no settings admin", d.Cmd)
	}
	level := config.Level(args["level"])
	return runLifecycle(ctx, d, args, "settings", lifecycle[config.SettingsVersion]{
		create: sa.CreateSettingsDraft, update: sa.UpdateSettingsDraft,
		activate: func(ctx context.Context, id string, version int, user string) (config.SettingsVersion, error) {
			return sa.ActivateSettings(ctx, level, id, version, user)
		},
		inactivate: func(ctx context.Context, id string, version int, user string) (config.SettingsVersion, error) {
			return sa.InactivateSettings(ctx, level, id, version, user)
		},
		versions: func(ctx context.Context, id string) ([]config.SettingsVersion, error) {
			return sa.SettingsVersions(ctx, level, id)
		},
		format: func(v *config.SettingsVersion) string { return formatDated(v.Ref(), &v.Dated, v.Audit) },
		decode: func(in string) (config.SettingsVersion, error) {
			j, err := sigsyaml.YAMLToJSON([]byte(in))
			return config.SettingsVersion{Level: level, JSON: j}, err
		},
		key: "id",
	})
}

func (s *state) networks(ctx context.Context, d *datadriven.TestData, args map[string]string) (string, error) {
	na, ok := s.target.(NetworkAdmin)
	if !ok {
		s.t.Skipf("%s: the target has no network admin", d.Cmd)
	}
	return runLifecycle(ctx, d, args, "network", lifecycle[config.Network]{na.CreateNetworkDraft, na.UpdateNetworkDraft,
		na.ActivateNetwork, na.InactivateNetwork, na.NetworkVersions, func(n *config.Network) string { return formatDated(n.Ref(), &n.Dated, n.Audit) }, nil, ""})
}

func (s *state) schedules(ctx context.Context, d *datadriven.TestData, args map[string]string) (string, error) {
	sa, ok := s.target.(ScheduleAdmin)
	if !ok {
		s.t.Skipf("%s: the target has no schedule admin", d.Cmd)
	}
	return runLifecycle(ctx, d, args, "schedule", lifecycle[config.Schedule]{sa.CreateScheduleDraft, sa.UpdateScheduleDraft,
		sa.ActivateSchedule, sa.InactivateSchedule, sa.ScheduleVersions, func(v *config.Schedule) string { return formatDated(v.Ref(), &v.Dated, v.Audit) }, nil, ""})
}

// runLifecycle runs one worksheet command of kind's lifecycle.
func runLifecycle[T any](ctx context.Context, d *datadriven.TestData, args map[string]string, kind string, l lifecycle[T]) (string, error) {
	var (
		x   T
		err error
	)
	key := kind
	if l.key != "" {
		key = l.key
	}
	switch strings.TrimPrefix(d.Cmd, kind+"-") {
	case "draft", "update":
		if l.decode != nil {
			x, err = l.decode(d.Input)
		} else {
			err = sigsyaml.UnmarshalStrict([]byte(d.Input), &x)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", kind, err)
		}
		if d.Cmd == kind+"-draft" {
			x, err = l.create(ctx, x, args["user"])
		} else {
			x, err = l.update(ctx, x, args["user"])
		}
	case "activate", "inactivate":
		version, verr := strconv.Atoi(args["version"])
		if verr != nil {
			return "", fmt.Errorf("version: %w", verr)
		}
		if d.Cmd == kind+"-activate" {
			x, err = l.activate(ctx, args[key], version, args["user"])
		} else {
			x, err = l.inactivate(ctx, args[key], version, args["user"])
		}
	case "show":
		vs, err := l.versions(ctx, args[key])
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for i := range vs {
			b.WriteString(l.format(&vs[i]))
		}
		return b.String(), nil
	}
	if err != nil {
		return "", err
	}
	return l.format(&x), nil
}

func formatDated(ref string, d *config.Dated, a edits.Audit) string {
	out := fmt.Sprintf("%s %s effective %s to %s", ref, d.Status, orOpen(d.Effective.String()), orOpen(d.Termination.String()))
	if d.Status == edits.Active {
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
