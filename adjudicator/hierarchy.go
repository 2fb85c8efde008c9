package adjudicator

import (
	"fmt"
	"strings"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// path is a claim's place in the hierarchy: its plan and group, the
// group's client, and the settings that apply there.
type path struct {
	levels   [4]edits.Level // plan, group, client, PBM
	settings config.LevelSettings
	// trace names the settings versions the path took, for the claim's
	// trace (stepSettings): empty while every level has at most one
	// version, and that version 1, as before settings had versions.
	trace string
}

// stepSettings is the trace step naming the hierarchy's settings versions
// a claim read (path.trace).
const stepSettings = "settings"

// pathKey names a path: a plan version, a group, and the versions of the
// group's, its client's and the PBM's settings in force (nil: none).
type pathKey struct {
	plan   *compiledPlan
	group  *config.Group
	gv     *config.Group
	cv     *config.Client
	pbm    *config.Settings
	unseen string // a group ID not configured
}

// pathFor resolves the hierarchy of a member of group on plan, with each
// level's settings from its version in force on day (the claim's date of
// service).
func (s *snapshot) pathFor(p *compiledPlan, groupID string, day domain.Date) *path {
	key := pathKey{plan: p, pbm: versionOn(s.pbm, day)}
	var c *config.Client
	if g := s.groups[groupID]; g != nil {
		key.group, key.gv = g, versionOn(s.groupVersions[groupID], day)
		if c = s.clients[g.ClientID]; c != nil {
			key.cv = versionOn(s.clientVersions[c.ID], day)
		}
	} else {
		key.unseen = groupID
	}
	if v, ok := s.paths.Load(key); ok {
		return v.(*path)
	}
	pt := &path{}
	pt.levels[0] = edits.Level{Kind: edits.PlanLevel, ID: p.ID}
	pt.levels[3] = edits.Level{Kind: edits.PBMLevel}
	set := p.LevelSettings
	if key.group != nil {
		pt.levels[1] = edits.Level{Kind: edits.GroupLevel, ID: key.group.ID}
		if key.gv != nil {
			set = set.Merge(key.gv.LevelSettings)
		}
		if c != nil {
			pt.levels[2] = edits.Level{Kind: edits.ClientLevel, ID: c.ID}
			if key.cv != nil {
				set = set.Merge(key.cv.LevelSettings)
			}
		}
	}
	if key.pbm != nil {
		set = set.Merge(key.pbm.LevelSettings)
	}
	pt.settings = set.Merge(defaultSettings)
	pt.trace = s.settingsTrace(key)
	v, _ := s.paths.LoadOrStore(key, pt)
	return v.(*path)
}

// settingsTrace names the versions of the PBM's, the client's and the
// group's settings key took ("PBM v2, client ACME v1, group G1 v3"), or
// nothing when none of those levels has more than one version nor a
// version numbered above 1.
func (s *snapshot) settingsTrace(key pathKey) string {
	type level struct {
		name     string
		version  int
		versions int
	}
	var levels []level
	if key.pbm != nil {
		levels = append(levels, level{"PBM", key.pbm.Version, len(s.pbm)})
	}
	if key.cv != nil {
		levels = append(levels, level{"client " + key.cv.ID, key.cv.Version, len(s.clientVersions[key.cv.ID])})
	}
	if key.gv != nil {
		levels = append(levels, level{"group " + key.gv.ID, key.gv.Version, len(s.groupVersions[key.gv.ID])})
	}
	versioned := false
	var b strings.Builder
	for i, l := range levels {
		versioned = versioned || l.version > 1 || l.versions > 1
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s v%d", l.name, l.version)
	}
	if !versioned {
		return ""
	}
	return b.String()
}

// checkEditRefs checks that each edit's level names a configured plan,
// group or client, and that the schedules it reads are configured.
func (s *snapshot) checkEditRefs(all []edits.Edit) error {
	for i := range all {
		e := &all[i]
		if e.Status == edits.Inactive {
			continue
		}
		if err := s.checkLevel(e.Level); err != nil {
			return &edits.ValidationError{Ref: e.Ref(), Problems: []edits.Problem{{Field: "level.id", Message: err.Error()}}}
		}
		if err := s.checkScheduleRefs(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *snapshot) checkLevel(l edits.Level) error {
	known := true
	switch l.Kind {
	case edits.PlanLevel:
		_, known = s.plans[l.ID]
	case edits.GroupLevel:
		known = s.groups[l.ID] != nil
	case edits.ClientLevel:
		known = s.clients[l.ID] != nil
	}
	if !known {
		return fmt.Errorf("%s %q is not configured", l.Kind, l.ID)
	}
	return nil
}

// defaultSettings fill what no level of the hierarchy sets. A brand
// dispensed under DAW 1 (substitution not allowed by prescriber), 2
// (substitution allowed, patient requested brand), 7 (brand mandated by law)
// or 8 (generic not available in the marketplace) is not paid at MAC.
var defaultSettings = config.LevelSettings{PenaltyDAW: []string{"2"}, MACExemptDAW: []string{"1", "2", "7", "8"}, Retail90MinDays: 84,
	FilingLimitDays: &defaultFilingLimitDays, ZeroUsualAndCustomary: config.ZeroUCReject, NoCostShare: config.NoCostShareZero,
	RxExpiryDays: &defaultRxExpiry[0], RxExpiryDaysControlled: &defaultRxExpiry[1], RxExpiryDaysScheduleII: &defaultRxExpiry[2],
	COB: config.COBPrimary, PrescriberValidation: config.Off}

// defaultRxExpiry is how many days after it was written a prescription may
// be filled, when no level says: a year for a drug that is not controlled
// (the common state law), six months for C-III to C-V (21 CFR 1306.22),
// and 90 days for C-II, which federal law does not limit but many states
// and plans do.
var defaultRxExpiry = [3]int{365, 180, 90}

// defaultFilingLimitDays is the timely filing limit when no level sets one:
// a year, the common PBM contract term.
var defaultFilingLimitDays = 365
