package loader

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// The operator's policy commands: a manual change, approve and reject.
// Each takes the loader's lock and commits everything it changes (version
// states, the head, member records, journal entries and the outbox batch)
// in one synced batch, so a crash leaves it wholly done or not at all.

// ChangePolicy is a user's manual change to one member of a family: set
// gives column values, merged into the member's active record like a
// changes-only record of the file type (participation or eligibility).
// The change goes through the workflow; it returns the version it made.
func (l *Loader) ChangePolicy(ctx context.Context, group, family, person, user string, ft parse.FileType, set map[string]string) (*PolicyVersion, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	if ft != parse.Participation && ft != parse.Eligibility {
		return nil, fmt.Errorf("a manual change is a %s or %s change, not %q", parse.Participation, parse.Eligibility, ft)
	}
	prof, err := l.opts.Profiles.Resolve(group)
	if err != nil {
		return nil, err
	}
	vals := make([]string, parse.NumFileFields)
	for name, v := range set {
		f, ok := parse.FieldByName(name)
		if !ok {
			return nil, fmt.Errorf("unknown field %q", name)
		}
		vals[f] = v
	}
	vals[parse.FCardholderID], vals[parse.FPersonCode] = family, person
	unlock, err := l.lockGroup(group)
	if err != nil {
		return nil, err
	}
	defer unlock()
	today := l.today()
	p := &familyProc{l: l, rules: familyRules{h: parse.Header{Kind: parse.KindFamily, Group: group, FileType: ft, RecordType: parse.ChangesOnly},
		prof: prof, asOf: today, today: today}}
	c := l.newChunk(&FileStatus{Group: group})
	c.user = user
	defer func() { c.b.Close() }()
	fam := strings.ToUpper(family)
	before, err := c.loadHead(group, fam)
	if err != nil {
		return nil, err
	}
	if err := p.apply(c, vals); err != nil {
		var be badRecordError
		if errors.As(err, &be) {
			return nil, be.err
		}
		return nil, err
	}
	h, err := c.loadHead(group, fam)
	if err != nil {
		return nil, err
	}
	if h.Last == before.Last {
		return nil, errors.New("the change changes nothing")
	}
	if err := c.commit(); err != nil {
		return nil, err
	}
	l.notify()
	v, err := loadVersion(l.db, group, fam, h.Last)
	if err == nil {
		v.Status = statusOf(v, h)
	}
	return v, err
}

// ApprovePolicy approves a family's pending copy: it becomes the active
// version and is synced. It is refused when the active version changed
// since the copy was made, and to the maker of a manual change unless the
// group's profile allows self-approval. Approving again what the same
// user already approved changes nothing.
func (l *Loader) ApprovePolicy(ctx context.Context, group, family, user string) (*PolicyVersion, error) {
	return l.decide(group, family, user, "")
}

// RejectPolicy rejects a family's pending copy with a reason: the active
// version stays. Rejecting again what the same user rejected changes nothing.
func (l *Loader) RejectPolicy(ctx context.Context, group, family, user, reason string) (*PolicyVersion, error) {
	if reason == "" {
		return nil, errors.New("a rejection needs a reason")
	}
	return l.decide(group, family, user, reason)
}

// decide approves (reason "") or rejects the pending copy.
func (l *Loader) decide(group, family, user, reason string) (*PolicyVersion, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	want := StateApproved
	if reason != "" {
		want = StateRejected
	}
	unlock, err := l.lockGroup(group)
	if err != nil {
		return nil, err
	}
	defer unlock()
	b := l.db.NewIndexedBatch()
	defer b.Close()
	h, err := loadHead(b, group, family)
	if err != nil {
		return nil, err
	}
	if h.Pending == 0 {
		return repeatedDecision(b, group, family, user, want, h)
	}
	v, err := loadVersion(b, group, family, h.Pending)
	if err != nil {
		return nil, err
	}
	if want == StateApproved {
		if err := l.mayApprove(v, h, group, user); err != nil {
			return nil, err
		}
	}
	c, err := l.decisionChunk(b, v, group)
	if err != nil {
		return nil, err
	}
	v.State, v.Decided, v.DecidedBy, v.Reason = want, l.opts.Now().UTC(), user, reason
	if want == StateApproved {
		if err := c.activate(v, family); err != nil {
			return nil, err
		}
		h.Active = v.Version
	}
	h.Pending = 0
	if err := c.saveDecision(v, family, h); err != nil {
		return nil, err
	}
	l.notify()
	v.Status = statusOf(v, h)
	return v, nil
}

// repeatedDecision answers a decision on a family with no pending copy:
// the decided version when the same user made the same decision, else
// errNoPending.
func repeatedDecision(b *pebble.Batch, group, family, user, want string, h policyHead) (*PolicyVersion, error) {
	if h.Last != 0 {
		last, err := loadVersion(b, group, family, h.Last)
		if err != nil {
			return nil, err
		}
		if last.State == want && last.DecidedBy == user {
			last.Status = statusOf(last, h)
			return last, nil
		}
	}
	return nil, fmt.Errorf("family %s of group %s: %w", family, group, errNoPending)
}

// mayApprove refuses a stale copy, and the maker's own manual change
// unless the profile lets makers approve.
func (l *Loader) mayApprove(v *PolicyVersion, h policyHead, group, user string) error {
	if v.Base != h.Active {
		return fmt.Errorf("version %d is stale: it copies version %d but the active version is now %d; reject it and make the change again", v.Version, v.Base, h.Active)
	}
	prof, err := l.opts.Profiles.Resolve(group)
	if err != nil {
		return err
	}
	if v.User != "" && strings.EqualFold(v.User, user) && !prof.SelfApprove {
		return fmt.Errorf("user %s made version %d and may not approve it (maker-checker); another user must", user, v.Version)
	}
	return nil
}

// decisionChunk is the chunk a decision on v writes in b. A file's copy is
// journaled as that file's change, so rewinding the file undoes it; a
// manual copy belongs to no file.
func (l *Loader) decisionChunk(b *pebble.Batch, v *PolicyVersion, group string) (*chunk, error) {
	c := &chunk{l: l, f: &FileStatus{Group: group}, b: b, touched: map[string]bool{}, user: v.User}
	if v.File == 0 {
		return c, nil
	}
	f, err := l.File(group, v.File)
	if err != nil {
		return nil, err
	}
	if f == nil || f.Status != Completed {
		return nil, fmt.Errorf("version %d's file %s/%d is not Completed", v.Version, group, v.File)
	}
	c.f, c.user = f, ""
	return c, nil
}

// activate writes v's members as the member records, journaled with their
// activities and retroactive changes.
func (c *chunk) activate(v *PolicyVersion, family string) error {
	group := c.f.Group
	retros := familyRules{today: c.l.today()}
	for i := range v.Members {
		next := &v.Members[i]
		cur, err := storedMember(c.b, group, family, next[parse.FPersonCode])
		if err != nil {
			return err
		}
		if cur != nil && *cur == *next {
			continue
		}
		acts := newMemberActs(next)
		if cur != nil {
			acts = activities(cur, next)
		}
		key := state.MemberKey(group, family, next[parse.FPersonCode])
		if err := c.changeMember(key, family, next[parse.FPersonCode], cur, next, acts, retros.retroOf(cur, next)); err != nil {
			return err
		}
	}
	return nil
}

// saveDecision writes the decided version and the family's head, clears
// the file's pending mark and commits.
func (c *chunk) saveDecision(v *PolicyVersion, family string, h policyHead) error {
	if err := c.putVersion(v); err != nil {
		return err
	}
	if err := c.putHead(family, h); err != nil {
		return err
	}
	if err := c.b.Delete(state.PendingFileKey(c.f.Group, v.File, family), nil); err != nil {
		return err
	}
	return c.commitDecision()
}

// commitDecision commits an approval or rejection: the outbox batch, and
// for a file's copy the file's journal position.
func (c *chunk) commitDecision() error {
	if err := c.flushPolicy(); err != nil {
		return err
	}
	if err := c.l.addOutbox(c.b, c.f.Group, c.touched, nil, 0); err != nil {
		return err
	}
	if c.f.Seq != 0 {
		if err := state.SetJSON(c.b, state.FileKey(c.f.Group, c.f.Seq), c.f); err != nil {
			return err
		}
	}
	return c.b.Commit(pebble.Sync)
}

// checkUser checks an operator's user name; the workflow's and the
// rewind's names are reserved.
func checkUser(user string) error {
	if !parse.IsCode(strings.NewReplacer(".", "_", "@", "_").Replace(user), 1, 40) {
		return fmt.Errorf("user %q must be 1 to 40 letters, digits, '-', '_', '.' or '@'", user)
	}
	if strings.EqualFold(user, ApproverWorkflow) || strings.EqualFold(user, approverRewind) {
		return fmt.Errorf("user %q is reserved", user)
	}
	return nil
}

// lockGroup takes the loader's lock for a policy command on a group that
// is not being rewound.
func (l *Loader) lockGroup(group string) (func(), error) {
	l.mu.Lock()
	if _, locked, err := l.Locked(group); err != nil || locked {
		l.mu.Unlock()
		if err == nil {
			err = fmt.Errorf("group %s: %w", group, ErrRewinding)
		}
		return nil, err
	}
	return l.mu.Unlock, nil
}
