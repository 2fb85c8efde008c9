package config_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// fee is a one-line RATE schedule paying amount from 2026.
func fee(id, amount string) edits.Schedule {
	a := decimal.RequireFromString(amount)
	return edits.Schedule{ID: id, Kind: edits.RateSchedule, Columns: []string{},
		Lines: []edits.ScheduleLine{{Values: []string{}, Amount: &a, Range: domain.Range{From: domain.NewDate(2026, 1, 1)}}}}
}

// TestSyncSchedules: the loader's schedule file adds a schedule as version
// 1, Active, undated, and replaces the lines of such a schedule; a
// schedule with versions of its own is refused, and nothing changes.
func TestSyncSchedules(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := &config.Config{}
	if err := c.SyncSchedules([]edits.Schedule{fee("FEES", "1.00")}); err != nil {
		t.Fatal(err)
	}
	if vs := c.ScheduleVersions("FEES"); len(vs) != 1 || vs[0].Version != 1 || vs[0].Status != edits.Active {
		t.Fatalf("after the first sync: %+v", vs)
	}
	if err := c.SyncSchedules([]edits.Schedule{fee("FEES", "2.00")}); err != nil {
		t.Fatal(err)
	}
	if vs := c.ScheduleVersions("FEES"); len(vs) != 1 || vs[0].Lines[0].Amount.String() != "2" {
		t.Fatalf("after the second sync: %+v", vs)
	}
	draft := config.Schedule{Schedule: fee("FEES", "3.00"), Dated: config.Dated{Effective: domain.NewDate(2026, 7, 1)}}
	if _, err := c.CreateScheduleDraft(draft, "alice", now); err != nil {
		t.Fatal(err)
	}
	before := append([]config.Schedule(nil), c.Schedules...)
	err := c.SyncSchedules([]edits.Schedule{fee("NEW", "1.00"), fee("FEES", "4.00")})
	if !errors.Is(err, edits.ErrConflict) || !strings.Contains(err.Error(), "adjctl schedules") {
		t.Errorf("a sync of a schedule with versions: %v; want a conflict naming adjctl schedules", err)
	}
	if !reflect.DeepEqual(before, c.Schedules) {
		t.Error("a refused sync changed the schedules")
	}
}

// TestScheduleKind: a draft cannot change a schedule's kind, nor can a
// bundle bring versions of one schedule of different kinds.
func TestScheduleKind(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := &config.Config{}
	if _, err := c.CreateScheduleDraft(config.Schedule{Schedule: fee("FEES", "1.00")}, "alice", now); err != nil {
		t.Fatal(err)
	}
	adj := config.Schedule{Schedule: fee("FEES", "1.00")}
	adj.Kind = edits.AdjustmentSchedule
	if _, err := c.CreateScheduleDraft(adj, "alice", now); !errors.Is(err, edits.ErrInvalid) {
		t.Errorf("a draft of another kind: %v; want ErrInvalid", err)
	}
	adj.Version, adj.Status, adj.Effective = 2, edits.Active, domain.NewDate(2026, 7, 1)
	c.Schedules = append(c.Schedules, adj)
	if err := c.CheckScheduleVersions(); err == nil || !strings.Contains(err.Error(), "keeps its kind") {
		t.Errorf("versions of two kinds: %v", err)
	}
}
