package adjudicator

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// DraftKind names a kind of versioned configuration record whose Draft
// versions a dry run can apply as though Active.
type DraftKind string

// The kinds of drafts a dry run applies (draftKinds).
const (
	DraftEdit     DraftKind = "edit"
	DraftPlan     DraftKind = "plan"
	DraftNetwork  DraftKind = "network"
	DraftSchedule DraftKind = "schedule"
	// The hierarchy's settings versions: the PBM's (ID "PBM"), a
	// client's and a group's.
	DraftSettings DraftKind = "settings"
	DraftPBM      DraftKind = "pbm" // the same as settings, as adjctl settings names the level
	DraftClient   DraftKind = "client"
	DraftGroup    DraftKind = "group"
)

// DraftRef names one Draft version: its kind (empty: an edit), record ID
// and version.
type DraftRef struct {
	Kind    DraftKind
	ID      string
	Version int
}

// String is "plan PPO v2", as an audit entry names it.
func (r DraftRef) String() string { return fmt.Sprintf("%s %s v%d", r.kind(), r.ID, r.Version) }

func (r DraftRef) kind() DraftKind {
	if r.Kind == "" {
		return DraftEdit
	}
	return r.Kind
}

// DraftKinds lists the kinds a DraftRef may name, sorted.
func DraftKinds() []DraftKind {
	out := make([]DraftKind, 0, len(draftKinds))
	for k := range draftKinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// draftKinds activates a Draft version of each kind in a private copy of
// the configuration, as the record's own activation would (by names who
// activates it): its lifecycle's checks apply, a version that is not a
// Draft is refused (edits.ErrConflict), an unknown one is edits.ErrNotFound,
// and the versions of the record hand over by date (config.VersionsInForce)
// when the copy compiles. A new kind of versioned record (one with the
// generic lifecycle of config/versions.go) is added here by its name.
//
// Each returns the first date of service the version can change an answer
// on: its effective date, as versions hand over by date; zero when it may
// change every date (a version without an effective date, or one that may
// change what is undated: the PBM's and clients' routes, and which groups
// belong to the hierarchy; DOMAIN.md §2).
var draftKinds = map[DraftKind]func(cfg *config.Config, id string, version int, by string) (domain.Date, error){
	DraftEdit: func(cfg *config.Config, id string, version int, by string) (domain.Date, error) {
		book, err := edits.NewBook(cfg.Edits)
		if err != nil {
			return domain.Date{}, err
		}
		ed, err := book.Get(id, version)
		if err != nil {
			return domain.Date{}, err
		}
		if ed.Status != edits.Draft {
			return domain.Date{}, fmt.Errorf("%w: %s is %s, not a draft", edits.ErrConflict, ed.Ref(), ed.Status)
		}
		if _, err := book.Activate(id, version, by, time.Time{}, true); err != nil {
			return domain.Date{}, err
		}
		cfg.Edits = book.All()
		return ed.From, nil
	},
	DraftPlan: func(cfg *config.Config, id string, version int, by string) (domain.Date, error) {
		p, err := cfg.ActivatePlan(id, version, by, time.Time{})
		return p.Effective, err
	},
	DraftNetwork: func(cfg *config.Config, id string, version int, by string) (domain.Date, error) {
		n, err := cfg.ActivateNetwork(id, version, by, time.Time{})
		return n.Effective, err
	},
	DraftSchedule: func(cfg *config.Config, id string, version int, by string) (domain.Date, error) {
		s, err := cfg.ActivateSchedule(id, version, by, time.Time{})
		return s.Effective, err
	},
	DraftSettings: activateSettings(config.LevelPBM),
	DraftPBM:      activateSettings(config.LevelPBM),
	DraftClient:   activateSettings(config.LevelClient),
	DraftGroup:    activateSettings(config.LevelGroup),
}

func activateSettings(level config.Level) func(cfg *config.Config, id string, version int, by string) (domain.Date, error) {
	return func(cfg *config.Config, id string, version int, by string) (domain.Date, error) {
		joins := level == config.LevelGroup && config.LatestActive(cfg.Groups)[id] == nil
		v, err := cfg.ActivateSettings(level, id, version, by, time.Time{})
		if level != config.LevelGroup || joins {
			// The PBM's and a client's routes are undated: the latest
			// Active version's apply on every date. So is the hierarchy:
			// a group's first Active version puts it, with its client's
			// edits and settings, under every claim of the group, on
			// every date (hierarchy.go, pathFor).
			return domain.Date{}, err
		}
		return v.Effective, err
	}
}

// draftSnapshot compiles the configuration in force with drafts active,
// as though activated by by (the name a trace gives their activation),
// and returns the first date of service it can answer differently on
// from the configuration in force (zero: any date). Without drafts it is
// the snapshot in force.
func (e *Engine) draftSnapshot(drafts []DraftRef, by string) (*snapshot, domain.Date, error) {
	if len(drafts) == 0 {
		return e.snap.Load(), domain.Date{}, nil
	}
	seen := map[DraftRef]bool{}
	for i, d := range drafts {
		if draftKinds[d.kind()] == nil {
			return nil, domain.Date{}, fmt.Errorf("%w: draft %d: unknown kind; want one of %s", ErrInvalid, i+1, kindList())
		}
		same := DraftRef{Kind: d.kind(), ID: d.ID, Version: d.Version}
		if same.Kind == DraftPBM { // pbm:PBM:N and settings:PBM:N name one version
			same.Kind = DraftSettings
		}
		if seen[same] {
			return nil, domain.Date{}, fmt.Errorf("%w: draft %d: %s is named twice", ErrInvalid, i+1, d)
		}
		seen[same] = true
	}
	e.adminMu.Lock()
	cfg, err := snapshotCopy(e.cfg)
	e.adminMu.Unlock()
	if err != nil {
		return nil, domain.Date{}, err
	}
	var first domain.Date
	for i, d := range drafts {
		from, err := draftKinds[d.kind()](cfg, d.ID, d.Version, by)
		if err != nil {
			return nil, domain.Date{}, err
		}
		if i == 0 || from.IsZero() || !first.IsZero() && from.Before(first) {
			first = from
		}
	}
	snap, err := compile(cfg)
	if err != nil {
		return nil, domain.Date{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return snap, first, nil
}

func kindList() string {
	var ks []string
	for _, k := range DraftKinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}

// editDrafts names edit drafts as DraftRefs.
func editDrafts(refs []EditRef) []DraftRef {
	out := make([]DraftRef, len(refs))
	for i, r := range refs {
		out[i] = DraftRef{Kind: DraftEdit, ID: r.ID, Version: r.Version}
	}
	return out
}
