package loader

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// Two records of the same member in one file make the member ambiguous: a
// PBM cannot tell which one the group meant, so every record of that member
// in the file is a bad record, its reason naming another line the member
// is on (line numbers only: no member data). The validation pass finds
// them, keeping each member's first line in Pebble rather than in memory,
// and marks the lines; the processing pass skips the marked lines.

// recordKeyer is a processor whose records name a member; recordKey
// returns "" for a record whose key cannot be read.
type recordKeyer interface {
	recordKey(vals []string) string
	skipDuplicate(c *chunk, vals []string) error
}

// recordKey is the member a family row is for: its cardholder ID and
// person code as the schema normalizes them.
func (p *familyProc) recordKey(vals []string) string {
	var rec parse.Record
	rec[parse.FCardholderID], rec[parse.FPersonCode] = vals[parse.FCardholderID], vals[parse.FPersonCode]
	if rec[parse.FCardholderID] == "" || rec[parse.FPersonCode] == "" || rec.CheckSchema() != nil {
		return ""
	}
	return rec[parse.FCardholderID] + state.Sep + rec[parse.FPersonCode]
}

// skipDuplicate handles a duplicate line in the processing pass: the
// record is bad, but a full file still holds the member, so the removal
// pass must not cancel it as missing.
func (p *familyProc) skipDuplicate(c *chunk, vals []string) error {
	cardholder, person, _ := cut(p.recordKey(vals))
	return p.markSeen(c, cardholder, person)
}

// errAmbiguous is a duplicate line's reason.
func errAmbiguous(other int) error {
	return fmt.Errorf("ambiguous member: the same cardholder_id and person_code are also on line %d; "+
		"every record of this member in the file is rejected", other)
}

// dupFinder finds, during validation, the lines whose member is on another
// line too. b is the validation's indexed batch.
type dupFinder struct {
	f *FileStatus
	b *pebble.Batch
}

// Flags of a member's first-line entry.
const (
	firstFailed = 1 << iota // the first line failed its own checks
	firstMarked             // the first line is marked a duplicate
)

// see records that line holds key's member; failed says whether the line
// already failed its own checks. It returns how many lines became bad
// (0 to 2: this one and the member's first line).
func (d *dupFinder) see(key string, line int, failed bool) (int, error) {
	cardholder, person, _ := cut(key)
	k := state.MemberLineKey(d.f.Group, d.f.Seq, cardholder, person)
	v, err := state.Get(d.b, k)
	if err != nil {
		return 0, err
	}
	if v == nil {
		var flags byte
		if failed {
			flags = firstFailed
		}
		return 0, d.b.Set(k, append([]byte(state.U64(uint64(line))), flags), nil)
	}
	first, flags := int(state.ReadU64(v[:8])), v[8]
	n := 0
	if !failed {
		n++
	}
	if err := d.mark(line, first); err != nil {
		return 0, err
	}
	if flags&firstMarked != 0 {
		return n, nil
	}
	if flags&firstFailed == 0 {
		n++
	}
	if err := d.mark(first, line); err != nil {
		return 0, err
	}
	return n, d.b.Set(k, append(v[:8:8], flags|firstMarked), nil)
}

// mark marks line a duplicate of other, with its reason.
func (d *dupFinder) mark(line, other int) error {
	if err := d.b.Set(state.DuplicateKey(d.f.Group, d.f.Seq, line), []byte(state.U64(uint64(other))), nil); err != nil {
		return err
	}
	return d.b.Set(state.ErrorKey(d.f.Group, d.f.Seq, line), []byte(errAmbiguous(other).Error()), nil)
}

// clearValidation deletes in b what a (possibly interrupted) validation of
// f left: the first-line entries and, unless keepMarks, the duplicate marks.
func clearValidation(b *pebble.Batch, f *FileStatus, keepMarks bool) error {
	prefixes := []string{state.FileScoped("vi", f.Group, f.Seq)}
	if !keepMarks {
		prefixes = append(prefixes, state.FileScoped("dup", f.Group, f.Seq))
	}
	for _, p := range prefixes {
		if err := b.DeleteRange([]byte(p), state.Upper(p), nil); err != nil {
			return err
		}
	}
	return nil
}

// dupLines walks a file's duplicate marks in line order, in step with the
// processing pass.
type dupLines struct {
	it *pebble.Iterator
	ok bool
	n  int // the prefix length
}

func (l *Loader) dupLines(f *FileStatus) (*dupLines, error) {
	p := state.FileScoped("dup", f.Group, f.Seq)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: []byte(p), UpperBound: state.Upper(p)})
	if err != nil {
		return nil, err
	}
	return &dupLines{it: it, ok: it.First(), n: len(p)}, nil
}

// at returns the duplicate reason of line, if it is marked; lines must come
// in increasing order.
func (d *dupLines) at(line int) error {
	for d.ok && int(state.ReadU64(d.it.Key()[d.n:])) < line {
		d.ok = d.it.Next()
	}
	if d.ok && int(state.ReadU64(d.it.Key()[d.n:])) == line {
		return bad(errAmbiguous(int(state.ReadU64(d.it.Value()))))
	}
	return nil
}

func (d *dupLines) close() error { return errors.Join(d.it.Error(), d.it.Close()) }
