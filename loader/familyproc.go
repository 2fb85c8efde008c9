package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// familyProc applies family records.
type familyProc struct {
	l     *Loader
	rules familyRules
}

func (p *familyProc) columns() []string { return familyColumns }

func (p *familyProc) check(vals []string) error { return p.rules.checkStateless(vals) }

func (p *familyProc) apply(c *chunk, vals []string) error {
	rec, err := toRecord(vals)
	if err != nil {
		return bad(err)
	}
	group := c.f.Group
	key := memberKey(group, rec[FCardholderID], rec[FPersonCode])
	if p.rules.h.RecordType == FullRecord {
		if err := c.b.Set(seenKey(group, c.f.Seq, rec[FCardholderID], rec[FPersonCode]), seenMark, nil); err != nil {
			return err
		}
	}
	if err := p.rules.prof.checkRanges(&rec); err != nil {
		return bad(err)
	}
	stored, err := get(c.b, key)
	if err != nil {
		return err
	}
	var cur *Record
	if stored != nil {
		r, err := decodeRecord(stored)
		if err != nil {
			return fmt.Errorf("member record: %w", err)
		}
		cur = &r
	}
	next, out, acts, err := p.rules.evaluate(&rec, cur)
	if err != nil {
		return bad(err)
	}
	if cur == nil && rec[FPersonCode] != "001" {
		sub, err := get(c.b, memberKey(group, rec[FCardholderID], "001"))
		if err != nil {
			return err
		}
		if sub == nil {
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
	if out == outNew {
		c.f.Counts.New++
	} else {
		c.f.Counts.Changed++
	}
	return c.changeMember(key, rec[FCardholderID], rec[FPersonCode], cur, &next, acts, p.rules.retroOf(cur, &next))
}

// changeMember writes a member's next record with its journal entry and
// any retroactive change, and marks the family for sync.
func (c *chunk) changeMember(key []byte, cardholder, person string, cur, next *Record, acts []string, retro *Retro) error {
	e := &JournalEntry{Cardholder: cardholder, Person: person, Activities: acts, After: next.encode()}
	if cur != nil {
		e.Before = cur.encode()
	}
	if err := c.journal(e); err != nil {
		return err
	}
	if err := c.b.Set(key, e.After, nil); err != nil {
		return err
	}
	if retro != nil {
		if err := setJSON(c.b, retroKey(c.f.Group, c.f.Seq, cardholder, person), retro); err != nil {
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
	if p.rules.h.RecordType != FullRecord || f.Removals {
		return nil
	}
	l := p.l
	l.mu.Lock()
	defer l.mu.Unlock()
	end := p.rules.asOf.AddDays(-1).String()
	asOf := p.rules.asOf.String()
	c := l.newChunk(f)
	defer func() { c.b.Close() }()
	prefix := memberPrefix(f.Group)
	snap := l.db.NewSnapshot()
	defer snap.Close()
	// The seen marks sort like the members (cardholder, person): walk both
	// in step instead of looking each member up.
	seenPrefix := fileScoped("s", f.Group, f.Seq)
	seenIt, err := snap.NewIter(&pebble.IterOptions{LowerBound: []byte(seenPrefix), UpperBound: upper(seenPrefix)})
	if err != nil {
		return err
	}
	defer seenIt.Close()
	seenOK := seenIt.First()
	err = scan(snap, prefix, false, func(k, v []byte) error {
		rest := k[len(prefix):]
		for seenOK && bytes.Compare(seenIt.Key()[len(seenPrefix):], rest) < 0 {
			seenOK = seenIt.Next()
		}
		if seenOK && bytes.Equal(seenIt.Key()[len(seenPrefix):], rest) {
			return nil
		}
		cardholder, person, _ := cut(string(rest))
		cur, err := decodeRecord(v)
		if err != nil {
			return err
		}
		if cur[FPlanID] == "" || (cur[FCoverageEnd] != "" && cur[FCoverageEnd] < asOf) {
			return nil // not active as of the file: nothing to remove
		}
		f.Counts.Removed++
		c.n++
		if err := c.b.Set(seenKey(f.Group, f.Seq, cardholder, person), seenMark, nil); err != nil {
			return err
		}
		if p.rules.prof.CancelMissing {
			next := cur
			if next[FCoverageEnd] == "" || next[FCoverageEnd] > end {
				next[FCoverageEnd] = end
			}
			if end < next[FCoverageEffective] { // never started: cancel from its start
				next[FCoverageEnd] = next[FCoverageEffective]
			}
			acts := []string{ActCoverageCancelled}
			if err := c.changeMember(k, cardholder, person, &cur, &next, acts, p.rules.retroOf(&cur, &next)); err != nil {
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

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

var seenMark = []byte{1}
