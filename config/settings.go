package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// The hierarchy's settings (the PBM's, each client's and each group's) are
// dated versions with the lifecycle of plan versions (DOMAIN.md §3): the
// functions below apply it (versions.go) to c.Settings, c.Clients and
// c.Groups.

// SettingsVersions are the versions of the PBM settings. A bundle may give
// one mapping (what settings always were: version 1, Active, in force on
// every date, unless it says otherwise) or a list of versions; an empty
// mapping is no settings.
type SettingsVersions []Settings

// UnmarshalJSON reads one mapping or a list of versions, strictly.
func (s *SettingsVersions) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one Settings
		if err := strictJSON(b, &one); err != nil {
			return err
		}
		*s = nil
		if !reflect.DeepEqual(one, Settings{}) {
			*s = SettingsVersions{one}
		}
		return nil
	}
	var list []Settings
	if err := strictJSON(b, &list); err != nil {
		return err
	}
	*s = list
	return nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// PBMID is the key of the PBM settings' versions: the PBM is one.
const PBMID = "PBM"

// Ref names one version of the PBM settings.
func (s *Settings) Ref() string { return fmt.Sprintf("settings %s v%d", PBMID, s.Version) }

func (s *Settings) key() string         { return PBMID }
func (s *Settings) dated() *Dated       { return &s.Dated }
func (s *Settings) audit() *edits.Audit { return &s.Audit }

// Ref names one version of a client.
func (c *Client) Ref() string { return fmt.Sprintf("client %s v%d", c.ID, c.Version) }

func (c *Client) key() string         { return c.ID }
func (c *Client) dated() *Dated       { return &c.Dated }
func (c *Client) audit() *edits.Audit { return &c.Audit }

// Ref names one version of a group.
func (g *Group) Ref() string { return fmt.Sprintf("group %s v%d", g.ID, g.Version) }

func (g *Group) key() string         { return g.ID }
func (g *Group) dated() *Dated       { return &g.Dated }
func (g *Group) audit() *edits.Audit { return &g.Audit }

// LatestActive returns the Active version of list with the highest number
// (nil when none is): where the fields that are not about a claim's date
// (routes, allow_self_activation) come from.
func LatestActive[T any, P versioned[T]](list []T) map[string]*T {
	out := map[string]*T{}
	for i := range list {
		p := P(&list[i])
		if p.dated().Status != edits.Active {
			continue
		}
		if o := out[p.key()]; o == nil || P(o).dated().Version < p.dated().Version {
			out[p.key()] = &list[i]
		}
	}
	return out
}

// PBM returns the latest Active version of the PBM settings, or zero
// settings.
func (c *Config) PBM() Settings {
	if s := LatestActive(c.Settings)[PBMID]; s != nil {
		return *s
	}
	return Settings{}
}

// Level names a level of the hierarchy whose settings are versioned.
type Level string

// The levels with versioned settings.
const (
	LevelPBM    Level = "pbm"
	LevelClient Level = "client"
	LevelGroup  Level = "group"
)

// SettingsVersion is one version of one level's settings as the lifecycle
// API carries it: its level, ID (PBMID for the PBM), dates, status and
// audit, and the whole version as JSON (a Settings, Client or Group).
type SettingsVersion struct {
	Level Level
	ID    string
	Dated
	Audit edits.Audit
	JSON  []byte
}

// Ref names the version.
func (v *SettingsVersion) Ref() string {
	if v.Level == LevelPBM {
		return fmt.Sprintf("settings %s v%d", PBMID, v.Version)
	}
	return fmt.Sprintf("%s %s v%d", v.Level, v.ID, v.Version)
}

// levelKind applies the lifecycle to the versions of one level.
type levelKind interface {
	draft(c *Config, doc []byte, update bool, user string, now time.Time) (SettingsVersion, error)
	step(c *Config, id string, version int, on bool, user string, now time.Time) (SettingsVersion, error)
	versions(c *Config, id string) ([]SettingsVersion, error)
}

type levelList[T any, P versioned[T]] struct {
	level Level
	noun  string
	list  func(*Config) *[]T
	check func(c *Config, x P) error // what a draft must be besides its ID
	own   func(x P) error            // the version's own problems, at paths within it
}

var levels = map[Level]levelKind{
	LevelPBM: levelList[Settings, *Settings]{LevelPBM, "settings", func(c *Config) *[]Settings { return (*[]Settings)(&c.Settings) },
		func(*Config, *Settings) error { return nil }, settingsProblems},
	LevelClient: levelList[Client, *Client]{LevelClient, "client", func(c *Config) *[]Client { return &c.Clients },
		func(*Config, *Client) error { return nil }, clientProblems},
	LevelGroup: levelList[Group, *Group]{LevelGroup, "group", func(c *Config) *[]Group { return &c.Groups }, checkGroupDraft, groupProblems},
}

func levelOf(l Level) (levelKind, error) {
	k := levels[l]
	if k == nil {
		return nil, invalidRecord(fmt.Sprintf("level %s: must be %s, %s or %s", domain.Quote(string(l)), LevelPBM, LevelClient, LevelGroup))
	}
	return k, nil
}

func (k levelList[T, P]) draft(c *Config, doc []byte, update bool, user string, now time.Time) (SettingsVersion, error) {
	var x T
	if err := strictJSON(doc, &x); err != nil {
		return SettingsVersion{}, invalidRecord(fmt.Sprintf("%s: %v", k.noun, err))
	}
	p := P(&x)
	if !edits.ValidID(p.key()) {
		return SettingsVersion{}, invalidRecord(fmt.Sprintf("%s %s: id must be 1 to 64 letters, digits, '-', '_' or '.'", k.noun, domain.Quote(p.key())))
	}
	if v := p.dated().Version; v < 0 {
		return SettingsVersion{}, invalidRecord(fmt.Sprintf("%s %s: version %d: a draft's version is given by the lifecycle (leave it out) or names the draft to update", k.noun, p.key(), v))
	}
	if err := k.check(c, p); err != nil {
		return SettingsVersion{}, err
	}
	var err error
	if update {
		x, err = updateDraft[T, P](k.list(c), k.noun, x, user, now)
	} else {
		x, err = createDraft[T, P](k.list(c), k.noun, x, user, now)
	}
	if err != nil {
		return SettingsVersion{}, err
	}
	if err := inVersion(P(&x).Ref(), k.own(P(&x))); err != nil {
		// Reported by the version the document is, not by where the
		// configuration keeps it ("settings[6]").
		return SettingsVersion{}, err
	}
	return k.out(&x)
}

// inVersion puts each of a version's problems under its name.
func inVersion(ref string, err error) error {
	var ps domain.Problems
	if !errors.As(err, &ps) {
		return err
	}
	out := make(domain.Problems, len(ps))
	for i, p := range ps {
		out[i] = domain.Problem{Path: ref, Err: p}
	}
	return out
}

func (k levelList[T, P]) step(c *Config, id string, version int, on bool, user string, now time.Time) (SettingsVersion, error) {
	var (
		x   T
		err error
	)
	if k.level == LevelPBM && id == "" {
		id = PBMID
	}
	if !edits.ValidID(id) {
		return SettingsVersion{}, invalidID(k.noun)
	}
	before := undatedOf(c)
	if on {
		x, err = activate[T, P](k.list(c), k.noun, id, version, user, now, c.PBM().AllowSelfActivation)
	} else {
		x, err = inactivate[T, P](k.list(c), k.noun, id, version, user, now)
	}
	if err != nil {
		return SettingsVersion{}, err
	}
	if err := before.check(undatedOf(c), on, P(&x).Ref()); err != nil {
		return SettingsVersion{}, err
	}
	return k.out(&x)
}

// undated are the settings that are not about a claim's date: the routes
// of the PBM and of each client, and allow_self_activation. They come from
// the latest Active version of their level, so a lifecycle step may change
// them at once.
type undated struct {
	pbmRoutes    string
	clientRoutes map[string]string
	selfActivate bool
}

func undatedOf(c *Config) undated {
	u := undated{pbmRoutes: routeList(c.PBM().Routes), clientRoutes: map[string]string{}, selfActivate: c.PBM().AllowSelfActivation}
	for id, cl := range LatestActive(c.Clients) {
		u.clientRoutes[id] = routeList(cl.Routes)
	}
	return u
}

func routeList(rs []Route) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.String())
		b.WriteByte(' ')
	}
	return b.String()
}

// check refuses a step that would change the undated settings where that
// takes one person or fails open: an inactivation must leave them as they
// are (it would otherwise hand routing or maker-checker back to an older
// version on one person's word: activate a new version instead), and an
// activation may not leave the PBM without routes when it had some (every
// BIN/PCN would then be accepted).
func (u undated) check(after undated, activated bool, ref string) error {
	if !activated {
		if u.pbmRoutes != after.pbmRoutes || u.selfActivate != after.selfActivate || !maps.Equal(u.clientRoutes, after.clientRoutes) {
			return fmt.Errorf("%w: inactivating %s would change the routes or allow_self_activation in force now, which come from the latest Active version; activate a new version with the values wanted instead",
				edits.ErrConflict, ref)
		}
		return nil
	}
	if u.pbmRoutes != "" && after.pbmRoutes == "" {
		return fmt.Errorf("%w: %s has no routes, so activating it would accept every BIN/PCN; repeat the routes in use (%s)",
			edits.ErrConflict, ref, strings.TrimSpace(u.pbmRoutes))
	}
	return nil
}

func (k levelList[T, P]) versions(c *Config, id string) ([]SettingsVersion, error) {
	if k.level == LevelPBM && id == "" {
		id = PBMID
	}
	if !edits.ValidID(id) {
		return nil, invalidID(k.noun)
	}
	vs := versionsOf[T, P](*k.list(c), id)
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: %s %s", edits.ErrNotFound, k.noun, id)
	}
	out := make([]SettingsVersion, 0, len(vs))
	for i := range vs {
		v, err := k.out(&vs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (k levelList[T, P]) out(x *T) (SettingsVersion, error) {
	p := P(x)
	b, err := json.Marshal(x)
	if err != nil {
		return SettingsVersion{}, err
	}
	return SettingsVersion{Level: k.level, ID: p.key(), Dated: *p.dated(), Audit: *p.audit(), JSON: b}, nil
}

// checkGroupDraft refuses a group version naming a client that is not
// configured, or another client than the group's Active versions: a
// group's client is its identity. (A Draft or an Inactive version that was
// never in force does not fix it.)
func checkGroupDraft(c *Config, g *Group) error {
	for _, o := range versionsOf(c.Groups, g.ID) {
		if o.Status == edits.Active && o.ClientID != g.ClientID {
			return invalidRecord(fmt.Sprintf("group %s: client_id %s differs from %s's, %s; a group's client never changes (configure a new group)",
				g.ID, domain.Quote(g.ClientID), o.Ref(), domain.Quote(o.ClientID)))
		}
	}
	if !slices.ContainsFunc(c.Clients, func(cl Client) bool { return cl.ID == g.ClientID }) {
		return invalidRecord(fmt.Sprintf("group %s: client %s is not configured", g.ID, domain.Quote(g.ClientID)))
	}
	return nil
}

// CreateSettingsDraft adds the version doc holds (a Settings, Client or
// Group as JSON, as level says) as a Draft: version 1 of a new record or
// the next version of an existing one.
func (c *Config) CreateSettingsDraft(level Level, doc []byte, user string, now time.Time) (SettingsVersion, error) {
	k, err := levelOf(level)
	if err != nil {
		return SettingsVersion{}, err
	}
	return k.draft(c, doc, false, user, now)
}

// UpdateSettingsDraft replaces the content of the Draft version doc names
// (its id and version); its creator stays.
func (c *Config) UpdateSettingsDraft(level Level, doc []byte, user string, now time.Time) (SettingsVersion, error) {
	k, err := levelOf(level)
	if err != nil {
		return SettingsVersion{}, err
	}
	return k.draft(c, doc, true, user, now)
}

// ActivateSettings makes a Draft version Active, maker-checker applying
// unless the PBM settings allow self-activation; overlapping Active
// versions are refused (versions.go, activate). id may be empty for the
// PBM.
func (c *Config) ActivateSettings(level Level, id string, version int, user string, now time.Time) (SettingsVersion, error) {
	k, err := levelOf(level)
	if err != nil {
		return SettingsVersion{}, err
	}
	return k.step(c, id, version, true, user, now)
}

// InactivateSettings retires a Draft or Active version for good; it never
// gives its dates back to an earlier version.
func (c *Config) InactivateSettings(level Level, id string, version int, user string, now time.Time) (SettingsVersion, error) {
	k, err := levelOf(level)
	if err != nil {
		return SettingsVersion{}, err
	}
	return k.step(c, id, version, false, user, now)
}

// SettingsVersionsOf returns every version of one level's record, by
// version.
func (c *Config) SettingsVersionsOf(level Level, id string) ([]SettingsVersion, error) {
	k, err := levelOf(level)
	if err != nil {
		return nil, err
	}
	return k.versions(c, id)
}

// ImportHierarchy puts the PBM settings, client and group versions of src
// into c as an import does (importVersions: an Active or Inactive version
// is never replaced by different content, except a bundle's own undated
// version 1) and returns how many versions of each changed.
func (c *Config) ImportHierarchy(src *Config, maker, checker string, now time.Time) (settings, clients, groups int, err error) {
	if settings, err = importVersions((*[]Settings)(&c.Settings), src.Settings, maker, checker, now); err != nil {
		return 0, 0, 0, err
	}
	if clients, err = importVersions(&c.Clients, src.Clients, maker, checker, now); err != nil {
		return 0, 0, 0, err
	}
	if groups, err = importVersions(&c.Groups, src.Groups, maker, checker, now); err != nil {
		return 0, 0, 0, err
	}
	return settings, clients, groups, nil
}

// normalizeHierarchy makes each settings, client and group version without
// number version 1, and one without status Active.
func (c *Config) normalizeHierarchy() {
	for i := range c.Settings {
		c.Settings[i].Dated.normalize(&c.Settings[i].Audit)
	}
	for i := range c.Clients {
		c.Clients[i].Dated.normalize(&c.Clients[i].Audit)
	}
	for i := range c.Groups {
		c.Groups[i].Dated.normalize(&c.Groups[i].Audit)
	}
}

// invalidID refuses an ID no record can have, without repeating it (it
// may be long or not text).
func invalidID(noun string) error {
	return invalidRecord(fmt.Sprintf("%s id: must be 1 to 64 letters, digits, '-', '_' or '.'", noun))
}
