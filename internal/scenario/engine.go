package scenario

import (
	"context"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/store"
)

// NewEngine opens a real store in dir, loads cfg's families into it (their
// prior authorizations as records of their own, as a server's seed does) and
// returns an engine over it; both are closed when the test ends.
func NewEngine(t testing.TB, cfg *config.Config, dir string, now func() time.Time) (*adjudicator.Engine, *store.Store) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return NewEngineOn(t, cfg, st, now), st
}

// Store is what an engine needs of a store: the contract's store and
// configuration store.
type Store interface {
	adjudicator.Store
	adjudicator.ConfigStore
}

// NewEngineOn loads cfg's families into st, an empty store of any kind,
// and returns an engine over it.
func NewEngineOn(t testing.TB, cfg *config.Config, st Store, now func() time.Time) *adjudicator.Engine {
	t.Helper()
	fams, pas := cfg.Families, []domain.PriorAuth(nil)
	pst, keepsPAs := st.(adjudicator.PriorAuthStore)
	if keepsPAs { // their prior authorizations as records of their own, as a server's seed does
		fams, pas = adjudicator.SplitPriorAuths(fams)
	}
	if err := st.PutFamilies(context.Background(), "", fams, nil); err != nil {
		t.Fatal(err)
	}
	if keepsPAs {
		if err := pst.PutPriorAuths(context.Background(), pas, nil); err != nil {
			t.Fatal(err)
		}
	}
	e, err := adjudicator.New(cfg, adjudicator.Options{Store: st, Configs: st, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// EngineTarget is the engine as a scenario target: its edit lifecycle
// acts as the worksheet's user (adjudicator.Actor).
func EngineTarget(e *adjudicator.Engine) Target { return engineTarget{e} }

type engineTarget struct{ *adjudicator.Engine }

func (t engineTarget) CreatePlanDraft(ctx context.Context, p config.Plan, user string) (config.Plan, error) {
	return t.Engine.CreatePlanDraft(ctx, p, adjudicator.Actor(user))
}

func (t engineTarget) UpdatePlanDraft(ctx context.Context, p config.Plan, user string) (config.Plan, error) {
	return t.Engine.UpdatePlanDraft(ctx, p, adjudicator.Actor(user))
}

func (t engineTarget) ActivatePlan(ctx context.Context, id string, version int, user string) (config.Plan, error) {
	return t.Engine.ActivatePlan(ctx, id, version, adjudicator.Actor(user))
}

func (t engineTarget) InactivatePlan(ctx context.Context, id string, version int, user string) (config.Plan, error) {
	return t.Engine.InactivatePlan(ctx, id, version, adjudicator.Actor(user))
}

func (t engineTarget) CreateSettingsDraft(ctx context.Context, v config.SettingsVersion, user string) (config.SettingsVersion, error) {
	return t.Engine.CreateSettingsDraft(ctx, v, adjudicator.Actor(user))
}

func (t engineTarget) UpdateSettingsDraft(ctx context.Context, v config.SettingsVersion, user string) (config.SettingsVersion, error) {
	return t.Engine.UpdateSettingsDraft(ctx, v, adjudicator.Actor(user))
}

func (t engineTarget) ActivateSettings(ctx context.Context, level config.Level, id string, version int, user string) (config.SettingsVersion, error) {
	return t.Engine.ActivateSettings(ctx, level, id, version, adjudicator.Actor(user))
}

func (t engineTarget) InactivateSettings(ctx context.Context, level config.Level, id string, version int, user string) (config.SettingsVersion, error) {
	return t.Engine.InactivateSettings(ctx, level, id, version, adjudicator.Actor(user))
}

func (t engineTarget) SettingsVersions(_ context.Context, level config.Level, id string) ([]config.SettingsVersion, error) {
	return t.Engine.SettingsVersions(level, id)
}

func (t engineTarget) PlanVersions(_ context.Context, id string) ([]config.Plan, error) {
	return t.Engine.PlanVersions(id)
}

func (t engineTarget) CreateNetworkDraft(ctx context.Context, n config.Network, user string) (config.Network, error) {
	return t.Engine.CreateNetworkDraft(ctx, n, adjudicator.Actor(user))
}

func (t engineTarget) UpdateNetworkDraft(ctx context.Context, n config.Network, user string) (config.Network, error) {
	return t.Engine.UpdateNetworkDraft(ctx, n, adjudicator.Actor(user))
}

func (t engineTarget) ActivateNetwork(ctx context.Context, id string, version int, user string) (config.Network, error) {
	return t.Engine.ActivateNetwork(ctx, id, version, adjudicator.Actor(user))
}

func (t engineTarget) InactivateNetwork(ctx context.Context, id string, version int, user string) (config.Network, error) {
	return t.Engine.InactivateNetwork(ctx, id, version, adjudicator.Actor(user))
}

func (t engineTarget) NetworkVersions(_ context.Context, id string) ([]config.Network, error) {
	return t.Engine.NetworkVersions(id)
}

func (t engineTarget) CreateScheduleDraft(ctx context.Context, s config.Schedule, user string) (config.Schedule, error) {
	return t.Engine.CreateScheduleDraft(ctx, s, adjudicator.Actor(user))
}

func (t engineTarget) UpdateScheduleDraft(ctx context.Context, s config.Schedule, user string) (config.Schedule, error) {
	return t.Engine.UpdateScheduleDraft(ctx, s, adjudicator.Actor(user))
}

func (t engineTarget) ActivateSchedule(ctx context.Context, id string, version int, user string) (config.Schedule, error) {
	return t.Engine.ActivateSchedule(ctx, id, version, adjudicator.Actor(user))
}

func (t engineTarget) InactivateSchedule(ctx context.Context, id string, version int, user string) (config.Schedule, error) {
	return t.Engine.InactivateSchedule(ctx, id, version, adjudicator.Actor(user))
}

func (t engineTarget) ScheduleVersions(_ context.Context, id string) ([]config.Schedule, error) {
	return t.Engine.ScheduleVersions(id)
}

func (t engineTarget) CreateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error) {
	return t.Engine.CreateDraft(ctx, e, adjudicator.Actor(user))
}

func (t engineTarget) UpdateDraft(ctx context.Context, e edits.Edit, user string) (edits.Edit, error) {
	return t.Engine.UpdateDraft(ctx, e, adjudicator.Actor(user))
}

func (t engineTarget) Activate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	return t.Engine.Activate(ctx, id, version, adjudicator.Actor(user))
}

func (t engineTarget) Inactivate(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
	return t.Engine.Inactivate(ctx, id, version, adjudicator.Actor(user))
}
