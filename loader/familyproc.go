package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// familyProc applies family records.
type familyProc struct {
	l     *Loader
	rules familyRules
}

func (p *familyProc) columns() []string { return parse.FamilyColumns }

func (p *familyProc) check(vals []string) error { return p.rules.checkStateless(vals) }

func (p *familyProc) apply(c *chunk, vals []string) error {
	rec, err := parse.ToRecord(vals)
	if err != nil {
		return bad(err)
	}
	group, family, person := c.f.Group, rec[parse.FCardholderID], rec[parse.FPersonCode]
	if err := p.markSeen(c, family, person); err != nil {
		return err
	}
	if err := p.rules.prof.CheckRanges(&rec); err != nil {
		return bad(err)
	}
	w, err := c.loadPolicy(family)
	if err != nil {
		return err
	}
	if w.pending != nil && !c.sameSource(w.pending) {
		return bad(errPendingCopy(w.pending))
	}
	active, err := storedMember(c.b, group, family, person)
	if err != nil {
		return err
	}
	// The record applies to the copy: the file's own pending copy of the
	// family if it made one, else (a copy of) the active version.
	cur := active
	if w.pending != nil {
		cur = w.pending.member(person)
	}
	next, out, acts, err := p.rules.evaluate(&rec, cur)
	if err != nil {
		return bad(err)
	}
	if cur == nil && person != "001" {
		hasSub := w.pending != nil && w.pending.member("001") != nil
		if !hasSub {
			sub, err := state.Get(c.b, state.MemberKey(group, family, "001"))
			if err != nil {
				return err
			}
			hasSub = sub != nil
		}
		if !hasSub {
			return bad(errors.New("a dependent needs the family's subscriber (person code 001) first"))
		}
	}
	switch out {
	case outIneligible:
		c.f.Counts.Ineligible++
		return nil
	case outUnchanged:
		if p.rules.prof.Comparator {
			c.f.Counts.Unchanged++
			return nil
		}
		// Without a comparator every record of a known member is applied.
		out, acts = outChanged, []string{ActMemberUpdated}
	}
	counted := &c.f.Counts.Changed
	if out == outNew {
		counted = &c.f.Counts.New
	}
	return c.update(&p.rules, w, family, active, &next, acts, counted)
}

// markSeen marks a member a full file holds, so the file's removal pass
// does not take it for missing.
func (p *familyProc) markSeen(c *chunk, family, person string) error {
	if p.rules.h.RecordType != parse.FullRecord {
		return nil
	}
	return c.b.Set(state.SeenKey(c.f.Group, c.f.Seq, family, person), seenMark, nil)
}

// storedMember reads a member's active record, or nil.
func storedMember(r state.Reader, group, family, person string) (*parse.Record, error) {
	stored, err := state.Get(r, state.MemberKey(group, family, person))
	if err != nil || stored == nil {
		return nil, err
	}
	rec, err := parse.DecodeRecord(stored)
	if err != nil {
		return nil, fmt.Errorf("member record: %w", err)
	}
	return &rec, nil
}

// changeMember writes a member's next record with its journal entry and
// any retroactive change, and marks the family for sync.
func (c *chunk) changeMember(key []byte, cardholder, person string, cur, next *parse.Record, acts []string, retro *Retro) error {
	e := &state.JournalEntry{Cardholder: cardholder, Person: person, Activities: acts, After: next.Encode()}
	if cur != nil {
		e.Before = cur.Encode()
	}
	if err := c.journal(e); err != nil {
		return err
	}
	if err := c.b.Set(key, e.After, nil); err != nil {
		return err
	}
	if retro != nil && c.user == "" {
		if err := state.SetJSON(c.b, state.RetroKey(c.f.Group, c.f.Seq, cardholder, person), retro); err != nil {
			return err
		}
	}
	c.touched[cardholder] = true
	return nil
}

// finish cancels (when the group's profile says so) the members missing
// from a full file: those active as of the file's date with no record in
// it. A member handled gets a seen mark in the same commit, so a rerun
// after a crash skips it.
func (p *familyProc) finish(ctx context.Context, f *FileStatus) error {
	if p.rules.h.RecordType != parse.FullRecord || f.Removals {
		return nil
	}
	l := p.l
	l.mu.Lock()
	defer l.mu.Unlock()
	end := p.rules.asOf.AddDays(-1).String()
	asOf := p.rules.asOf.String()
	c := l.newChunk(f)
	defer func() { c.b.Close() }()
	prefix := state.MemberPrefix(f.Group)
	snap := l.db.NewSnapshot()
	defer snap.Close()
	// The seen marks sort like the members (cardholder, person): walk both
	// in step instead of looking each member up.
	seenPrefix := state.FileScoped("s", f.Group, f.Seq)
	seenIt, err := snap.NewIter(&pebble.IterOptions{LowerBound: []byte(seenPrefix), UpperBound: state.Upper(seenPrefix)})
	if err != nil {
		return err
	}
	defer seenIt.Close()
	seenOK := seenIt.First()
	err = state.Scan(snap, prefix, false, func(k, v []byte) error {
		rest := k[len(prefix):]
		for seenOK && bytes.Compare(seenIt.Key()[len(seenPrefix):], rest) < 0 {
			seenOK = seenIt.Next()
		}
		if seenOK && bytes.Equal(seenIt.Key()[len(seenPrefix):], rest) {
			return nil
		}
		cardholder, person, _ := cut(string(rest))
		cur, err := parse.DecodeRecord(v)
		if err != nil {
			return err
		}
		if cur[parse.FPlanID] == "" || (cur[parse.FCoverageEnd] != "" && cur[parse.FCoverageEnd] < asOf) {
			return nil // not active as of the file: nothing to remove
		}
		f.Counts.Removed++
		c.n++
		if err := c.b.Set(state.SeenKey(f.Group, f.Seq, cardholder, person), seenMark, nil); err != nil {
			return err
		}
		if p.rules.prof.CancelMissing {
			if err := p.cancelMissing(c, cardholder, person, &cur, end); err != nil {
				return err
			}
		}
		if c.n >= l.opts.ChunkSize {
			if err := c.commit(); err != nil {
				return err
			}
			c = l.newChunk(f)
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.Removals = true
	return c.commit()
}

// cancelMissing cancels a member missing from a full file, through the
// policy workflow like any change. A family whose pending copy came from
// elsewhere is left as it is, and the file reports it.
func (p *familyProc) cancelMissing(c *chunk, cardholder, person string, cur *parse.Record, end string) error {
	w, err := c.loadPolicy(cardholder)
	if err != nil {
		return err
	}
	base := cur
	if w.pending != nil && c.sameSource(w.pending) {
		if m := w.pending.member(person); m != nil {
			base = m
		}
	}
	next := *base
	if next[parse.FCoverageEnd] == "" || next[parse.FCoverageEnd] > end {
		next[parse.FCoverageEnd] = end
	}
	if end < next[parse.FCoverageEffective] { // never started: cancel from its start
		next[parse.FCoverageEnd] = next[parse.FCoverageEffective]
	}
	if next == *base {
		return nil
	}
	err = c.update(&p.rules, w, cardholder, cur, &next, []string{ActCoverageCancelled}, nil)
	if errors.Is(err, errBadRecord) {
		c.f.Counts.Failed++
		reason := fmt.Sprintf("member %s/%s missing from the full file was not cancelled: %v", cardholder, person, err)
		return c.b.Set(state.RemovalErrorKey(c.f.Group, c.f.Seq, cardholder, person), []byte(reason), nil)
	}
	return err
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

var seenMark = []byte{1}
