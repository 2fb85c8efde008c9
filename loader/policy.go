package loader

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// Member policies (DOMAIN.md section 10, seed 002). A family (the
// subscriber, the dependents, their classes and coverages) is the member
// policy, and the loader is its system of record. Each family has a chain
// of versions in the loader's state; the active version is what the member
// records (m keys) hold and what the loader syncs. An update copies the
// active version, applies the change to the copy and runs the workflow on
// it: validation (the intake profile's rules), then the group's pend rules.
// A copy no rule pends is approved by the workflow and replaces the active
// version; a copy a rule pends waits, stored apart, for an operator to
// approve or reject it, and nothing of it reaches the adjudicator until then.

// Policy version states as stored. An approved version is shown as active
// (the head's) or superseded.
const (
	StateApproved  = "approved"
	StatePending   = "pending"
	StateRejected  = "rejected"
	StateDiscarded = "discarded" // a pending copy dropped by the rewind of its file
	StateRewound   = "rewound"   // an approved version whose file was rewound
)

// ApproverWorkflow approves the copies no pend rule holds.
const ApproverWorkflow = "workflow"

// policyHead is a family's version chain position.
type policyHead struct {
	Active  uint64 `json:"a,omitempty"`
	Pending uint64 `json:"p,omitempty"`
	Last    uint64 `json:"l"`
}

// PolicyVersion is one version of a family's policy.
type PolicyVersion struct {
	Group   string `json:"group"`
	Family  string `json:"family"` // the cardholder ID
	Version uint64 `json:"version"`
	Base    uint64 `json:"base"` // the active version it was copied from; 0 for a new family
	State   string `json:"state"`
	// Status is the state as shown: active or superseded for approved versions.
	Status  string         `json:"-"`
	Members []parse.Record `json:"members"` // by person code
	// Source: a file (File, its sequence in the group), a user's manual
	// change (User, the maker) or the rewind of a file (Rewind).
	Source    string    `json:"source"`
	File      uint64    `json:"file,omitempty"`
	Checksum  string    `json:"checksum,omitempty"`
	User      string    `json:"user,omitempty"`
	Rewind    uint64    `json:"rewind,omitempty"`
	Created   time.Time `json:"created"`
	Decided   time.Time `json:"decided,omitzero"`
	DecidedBy string    `json:"decided_by,omitempty"`
	Reason    string    `json:"reason,omitempty"`  // why rejected
	Rules     []string  `json:"rules,omitempty"`   // the pend rules that matched
	Changes   []string  `json:"changes,omitempty"` // the change facts that held
}

func (v *PolicyVersion) member(person string) *parse.Record {
	for i := range v.Members {
		if v.Members[i][parse.FPersonCode] == person {
			return &v.Members[i]
		}
	}
	return nil
}

// setMember puts r in place of the member with its person code, keeping
// the members in person-code order.
func (v *PolicyVersion) setMember(r parse.Record) {
	if m := v.member(r[parse.FPersonCode]); m != nil {
		*m = r
		return
	}
	i, _ := slices.BinarySearchFunc(v.Members, r, func(a, b parse.Record) int { return strings.Compare(a[parse.FPersonCode], b[parse.FPersonCode]) })
	v.Members = slices.Insert(v.Members, i, r)
}

// copyOf starts version n as a copy of v's members.
func (v *PolicyVersion) copyOf(n uint64) *PolicyVersion {
	return &PolicyVersion{Group: v.Group, Family: v.Family, Version: n, Base: v.Version, Members: slices.Clone(v.Members)}
}

// change is what the pend rules see of a member's update: the member in
// the active version (nil when new) and in the copy.
type change struct {
	old, new  *parse.Record
	newFamily bool
	manual    bool
	asOf      string // the file's as-of date (today for a manual change)
}

// changeFacts are the facts, named change.*, that pend rules read beside
// the record's fields. Adding a fact is one line here.
var changeFacts = []struct {
	name string
	test func(c *change) bool
}{
	{"change.new_family", func(c *change) bool { return c.newFamily }},
	{"change.new_member", func(c *change) bool { return c.old == nil }},
	{"change.dependent_added", func(c *change) bool { return c.old == nil && c.new[parse.FPersonCode] != "001" }},
	{"change.dependent_removed", func(c *change) bool { return c.new[parse.FPersonCode] != "001" && cancelled(c) }},
	{"change.plan", func(c *change) bool { return c.old != nil && c.old[parse.FPlanID] != c.new[parse.FPlanID] }},
	{"change.class", func(c *change) bool { return c.old != nil && c.old[parse.FClass] != c.new[parse.FClass] }},
	{"change.cancelled", cancelled},
	{"change.reinstated", func(c *change) bool {
		return c.old != nil && c.old[parse.FCoverageEnd] != "" && c.new[parse.FCoverageEnd] == ""
	}},
	{"change.retro", retroactive},
	{"change.manual", func(c *change) bool { return c.manual }},
}

// cancelled: coverage ends, or ends earlier than it did.
func cancelled(c *change) bool {
	end := c.new[parse.FCoverageEnd]
	return end != "" && (c.old == nil || c.old[parse.FCoverageEnd] == "" || end < c.old[parse.FCoverageEnd])
}

// retroactive: a coverage start or end that changed to a date before the
// as-of date.
func retroactive(c *change) bool {
	var oldEff, oldEnd string
	if c.old != nil {
		oldEff, oldEnd = c.old[parse.FCoverageEffective], c.old[parse.FCoverageEnd]
	}
	eff, end := c.new[parse.FCoverageEffective], c.new[parse.FCoverageEnd]
	return eff != oldEff && eff != "" && eff < c.asOf || end != oldEnd && end != "" && end < c.asOf
}

// pendFacts are a change's facts: the copy's record fields and the change facts.
type pendFacts struct{ c *change }

func (f pendFacts) Fact(name string) (string, bool) {
	if strings.HasPrefix(name, "change.") {
		for _, cf := range changeFacts {
			if cf.name == name {
				return strconv.FormatBool(cf.test(f.c)), true
			}
		}
		return "", false
	}
	return parse.RecordFacts{R: f.c.new}.Fact(name)
}

// facts lists the change facts that hold.
func (c *change) facts() []string {
	var out []string
	for _, cf := range changeFacts {
		if cf.test(c) {
			out = append(out, cf.name)
		}
	}
	return out
}

// pended returns the names of the pend rules the change matches.
func pended(r *parse.Resolved, c *change) []string {
	var out []string
	for _, rule := range r.Pend {
		if parse.MatchAll(rule.When, pendFacts{c}) {
			out = append(out, rule.Name)
		}
	}
	return out
}

func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

func loadHead(r state.Reader, group, family string) (policyHead, error) {
	var h policyHead
	_, err := state.GetJSON(r, state.PolicyHeadKey(group, family), &h)
	return h, err
}

func loadVersion(r state.Reader, group, family string, n uint64) (*PolicyVersion, error) {
	v := &PolicyVersion{}
	ok, err := state.GetJSON(r, state.VersionKey(group, family, n), v)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("family %s of group %s has no policy version %d", family, group, n)
	}
	return v, nil
}

// activeVersion returns the family's active version; version 0, built from
// the member records, when none was recorded yet.
func activeVersion(r state.Reader, group, family string, h policyHead) (*PolicyVersion, error) {
	if h.Active != 0 {
		return loadVersion(r, group, family, h.Active)
	}
	v := &PolicyVersion{Group: group, Family: family}
	members, err := familyRecords(r, group, family)
	v.Members = members
	return v, err
}

// familyRecords reads a family's member records.
func familyRecords(r state.Reader, group, family string) ([]parse.Record, error) {
	var out []parse.Record
	err := state.Scan(r, state.FamilyPrefix(group, family), false, func(_, v []byte) error {
		rec, err := parse.DecodeRecord(v)
		out = append(out, rec)
		return err
	})
	return out, err
}

// policyWork is a family's policy state as a chunk's change sees it.
type policyWork struct {
	head    policyHead
	pending *PolicyVersion
}

func (c *chunk) loadPolicy(family string) (*policyWork, error) {
	w := &policyWork{}
	var err error
	if w.head, err = c.loadHead(c.f.Group, family); err != nil {
		return nil, err
	}
	if w.head.Pending != 0 {
		if w.pending, err = c.loadVersion(c.f.Group, family, w.head.Pending); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// sameSource reports whether v was made by the chunk's file.
func (c *chunk) sameSource(v *PolicyVersion) bool {
	return c.user == "" && v.User == "" && v.Rewind == 0 && v.File != 0 && v.File == c.f.Seq
}

// stamp sets a new version's source and creation.
func (c *chunk) stamp(v *PolicyVersion) {
	v.Created = c.l.opts.Now().UTC()
	if c.user != "" {
		v.User, v.Source = c.user, "user "+c.user
		return
	}
	v.File, v.Checksum, v.Source = c.f.Seq, c.f.Checksum, "file "+c.f.Name
}

// A chunk keeps the policy versions and heads it writes until it commits,
// so the records of one family in a chunk read and encode its version
// once. Every read in a chunk goes through these methods; the stored
// copies are clones, so a version changed and then abandoned (a bad
// record) changes nothing.

func (c *chunk) putVersion(v *PolicyVersion) error {
	if c.versions == nil {
		c.versions = map[string]*PolicyVersion{}
	}
	c.versions[string(state.VersionKey(v.Group, v.Family, v.Version))] = v.clone()
	return nil
}

func (c *chunk) putHead(family string, h policyHead) error {
	if c.heads == nil {
		c.heads = map[string]policyHead{}
	}
	c.heads[string(state.PolicyHeadKey(c.f.Group, family))] = h
	return nil
}

func (c *chunk) loadHead(group, family string) (policyHead, error) {
	if h, ok := c.heads[string(state.PolicyHeadKey(group, family))]; ok {
		return h, nil
	}
	return loadHead(c.b, group, family)
}

func (c *chunk) loadVersion(group, family string, n uint64) (*PolicyVersion, error) {
	if v, ok := c.versions[string(state.VersionKey(group, family, n))]; ok {
		return v.clone(), nil
	}
	return loadVersion(c.b, group, family, n)
}

func (c *chunk) activeVersion(group, family string, h policyHead) (*PolicyVersion, error) {
	if h.Active != 0 {
		return c.loadVersion(group, family, h.Active)
	}
	return activeVersion(c.b, group, family, h)
}

// flushPolicy writes the chunk's policy versions and heads to its batch.
func (c *chunk) flushPolicy() error {
	for k, v := range c.versions {
		if err := state.SetJSON(c.b, []byte(k), v); err != nil {
			return err
		}
	}
	for k, h := range c.heads {
		if err := state.SetJSON(c.b, []byte(k), h); err != nil {
			return err
		}
	}
	clear(c.versions)
	clear(c.heads)
	return nil
}

func (v *PolicyVersion) clone() *PolicyVersion {
	w := *v
	w.Members, w.Rules, w.Changes = slices.Clone(v.Members), slices.Clone(v.Rules), slices.Clone(v.Changes)
	return &w
}

// errPendingCopy fails a change to a family whose pending copy awaits review.
func errPendingCopy(v *PolicyVersion) error {
	return fmt.Errorf("family has a pending policy version awaiting review (version %d from %s): approve or reject it first", v.Version, v.Source)
}

// update runs the workflow on a member's next record (validated): the
// change goes onto the file's own pending copy if there is one, else onto
// a copy of the active version that either pends (a rule matches) or is
// approved at once and replaces the active version. active is the member
// in the active version; counted, when not nil, counts an applied change.
func (c *chunk) update(rules *familyRules, w *policyWork, family string, active, next *parse.Record, acts []string, counted *int) error {
	if w.pending != nil && !c.sameSource(w.pending) {
		return bad(errPendingCopy(w.pending))
	}
	group := c.f.Group
	ch := &change{old: active, new: next, manual: c.user != "", asOf: rules.asOf.String()}
	var av *PolicyVersion
	if w.pending == nil && (w.head.Active != 0 || active != nil || next[parse.FPersonCode] != "001") {
		var err error
		if av, err = c.activeVersion(group, family, w.head); err != nil {
			return err
		}
	} else if w.pending == nil {
		av = &PolicyVersion{Group: group, Family: family}
	}
	if av != nil {
		ch.newFamily = len(av.Members) == 0
	} else {
		ch.newFamily = w.head.Active == 0
	}
	var matched []string
	if len(rules.prof.Pend) > 0 {
		matched = pended(rules.prof, ch)
	}
	if w.pending != nil || len(matched) > 0 {
		v := w.pending
		if v == nil {
			v = av.copyOf(w.head.Last + 1)
			v.State = StatePending
			c.stamp(v)
			w.head.Pending, w.head.Last = v.Version, v.Version
			if err := c.putHead(family, w.head); err != nil {
				return err
			}
			seq := c.f.Seq
			if c.user != "" {
				seq = 0
			}
			if err := c.b.Set(state.PendingFileKey(group, seq, family), []byte(state.U64(v.Version)), nil); err != nil {
				return err
			}
			w.pending = v
		}
		v.setMember(*next)
		v.Rules = union(v.Rules, matched)
		v.Changes = union(v.Changes, ch.facts())
		c.f.Counts.Pended++
		return c.putVersion(v)
	}
	if counted != nil {
		*counted++
	}
	key := state.MemberKey(group, family, next[parse.FPersonCode])
	if err := c.changeMember(key, family, next[parse.FPersonCode], active, next, acts, rules.retroOf(active, next)); err != nil {
		return err
	}
	if m := av.member(next[parse.FPersonCode]); m != nil && *m == *next {
		return nil // the same content: no new version
	}
	if av.Version != 0 && av.State == StateApproved && c.sameSource(av) {
		av.setMember(*next) // the file's records of one family make one version
		av.Changes = union(av.Changes, ch.facts())
		return c.putVersion(av)
	}
	v := av.copyOf(w.head.Last + 1)
	v.setMember(*next)
	v.State, v.Changes = StateApproved, ch.facts()
	c.stamp(v)
	v.Decided, v.DecidedBy = v.Created, ApproverWorkflow
	w.head.Active, w.head.Last = v.Version, v.Version
	if err := c.putHead(family, w.head); err != nil {
		return err
	}
	return c.putVersion(v)
}

// PolicyHistory returns every version of a family, oldest first, with its
// status.
func (l *Loader) PolicyHistory(group, family string) ([]PolicyVersion, error) {
	h, err := loadHead(l.db, group, family)
	if err != nil {
		return nil, err
	}
	if h.Last == 0 {
		return nil, fmt.Errorf("family %s of group %s has no policy versions", family, group)
	}
	var out []PolicyVersion
	err = state.Scan(l.db, state.VersionPrefix(group, family), false, func(_, val []byte) error {
		var v PolicyVersion
		if err := json.Unmarshal(val, &v); err != nil {
			return err
		}
		v.Status = statusOf(&v, h)
		out = append(out, v)
		return nil
	})
	return out, err
}

func statusOf(v *PolicyVersion, h policyHead) string {
	if v.State != StateApproved {
		return v.State
	}
	if v.Version == h.Active {
		return "active"
	}
	return "superseded"
}

// PendingPolicies lists the pending copies of a group ("" for every group).
func (l *Loader) PendingPolicies(group string) ([]PolicyVersion, error) {
	prefix := "pf" + state.Sep
	if group != "" {
		prefix += group + state.Sep
	}
	var out []PolicyVersion
	err := state.Scan(l.db, prefix, false, func(k, val []byte) error {
		parts := strings.SplitN(string(k[len("pf"+state.Sep):]), state.Sep, 2)
		if len(parts) != 2 || len(parts[1]) < 9 {
			return fmt.Errorf("bad pending index key")
		}
		v, err := loadVersion(l.db, parts[0], parts[1][9:], state.ReadU64(val))
		if err != nil {
			return err
		}
		v.Status = v.State
		out = append(out, *v)
		return nil
	})
	return out, err
}

var errNoPending = errors.New("no pending policy version")

// approverRewind approves the versions a rewind makes.
const approverRewind = "rewind"

// rewindVersion records what a rewind of the chunk's file did to a family:
// the file's approved versions are marked rewound, and the family as the
// rewind left it becomes a new active version made by the rewind (one per
// family and rewound file). History thus keeps every version that was
// ever active.
func (c *chunk) rewindVersion(family string) error {
	group := c.f.Group
	h, err := c.loadHead(group, family)
	if err != nil {
		return err
	}
	members, err := familyRecords(c.b, group, family)
	if err != nil {
		return err
	}
	err = state.Scan(c.b, state.VersionPrefix(group, family), false, func(_, val []byte) error {
		var v PolicyVersion
		if err := json.Unmarshal(val, &v); err != nil {
			return err
		}
		if v.State == StateApproved && c.sameSource(&v) {
			v.State = StateRewound
			return c.putVersion(&v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	av, err := c.activeVersion(group, family, h)
	if err != nil {
		return err
	}
	if av.Version != 0 && av.State == StateApproved && av.Rewind == c.f.Seq {
		av.Members = members // a later chunk of the same rewind
		return c.putVersion(av)
	}
	if av.State == StateApproved && slices.Equal(av.Members, members) {
		return nil
	}
	v := &PolicyVersion{Group: group, Family: family, Version: h.Last + 1, Base: h.Active, State: StateApproved,
		Members: members, Rewind: c.f.Seq, Source: "rewind of " + c.f.Ref(), Created: c.l.opts.Now().UTC()}
	v.Decided, v.DecidedBy = v.Created, approverRewind
	h.Active, h.Last = v.Version, v.Version
	if err := c.putHead(family, h); err != nil {
		return err
	}
	return c.putVersion(v)
}

// discardPending drops the pending copies the chunk's file made, counting
// them in the file's status.
func (c *chunk) discardPending() error {
	prefix := state.FileScoped("pf", c.f.Group, c.f.Seq)
	return state.Scan(c.l.db, prefix, false, func(k, val []byte) error {
		family := string(k[len(prefix):])
		h, err := c.loadHead(c.f.Group, family)
		if err != nil {
			return err
		}
		v, err := c.loadVersion(c.f.Group, family, state.ReadU64(val))
		if err != nil {
			return err
		}
		v.State, v.Decided, v.DecidedBy = StateDiscarded, c.l.opts.Now().UTC(), approverRewind
		v.Reason = "its file " + c.f.Ref() + " was rewound"
		if h.Pending == v.Version {
			h.Pending = 0
		}
		c.f.Counts.Discarded++
		if err := c.putVersion(v); err != nil {
			return err
		}
		if err := c.putHead(family, h); err != nil {
			return err
		}
		return c.b.Delete(k, nil)
	})
}
