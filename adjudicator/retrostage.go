package adjudicator

import (
	"context"
	"fmt"
	"slices"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/domain"
)

// maxRetroFamilyCommit bounds the claims of a family a retro job commits
// in one write (BatchCommitter). A family with more claims in the job is
// done as before: each reversal, then each re-bill, one claim transaction
// each, resumed from their progress records after a crash.
const maxRetroFamilyCommit = 500

// retroFamilyAtOnce re-adjudicates the claims job.Claims[start:end] of one
// family in one commit (bc.CommitAll): under every claim key's lock and
// then the family's, it reverses the claims not yet reversed and bills
// them again in date-of-service order over a retroStage, which keeps the
// writes in memory and answers reads as if they were made, and commits
// them with their progress records at once. A crash or a failed write
// leaves the family as it was. progress[start:end] is set only once the
// commit is durable.
func (e *Engine) retroFamilyAtOnce(ctx context.Context, bc BatchCommitter, job *RetroJob, progress []*RetroProgress, start, end int) error {
	var out []*RetroProgress
	_, err := e.transact(ctx, func(ctx context.Context) (*Response, error) {
		unlock, err := e.lockRetroFamily(ctx, job.Claims[start:end])
		if err != nil {
			return nil, err
		}
		defer unlock()
		// The keys are read first, then the family: a claim's order, so a
		// store's row locks are taken as a claim takes them.
		for _, c := range job.Claims[start:end] {
			if _, err := e.store.ClaimByKey(ctx, c.Key); err != nil {
				return nil, fmt.Errorf("claim lookup: %w", err)
			}
		}
		st := newRetroStage(e.store)
		out = slices.Clone(progress[start:end])
		for i := range out {
			if out[i] != nil {
				continue
			}
			a := &adjudication{engine: e, store: st, docs: newDocSet(st), resp: &Response{}, step: "retro reversal",
				unlockKey: func() {}, unlockFamilies: func() {}}
			if out[i], err = a.retroReversal(ctx, job, start+i); err != nil {
				return nil, err
			}
			e.afterRetroStep()
		}
		for i := range out {
			if out[i].State != RetroReversed {
				continue
			}
			p, pending, err := e.rebillOne(ctx, st, job, out[i], true)
			if err != nil {
				return nil, err
			}
			if pending {
				if err := st.Commit(ctx, &Commit{Retro: p}); err != nil {
					return nil, err
				}
			}
			out[i] = p
			e.afterRetroStep()
		}
		if len(st.commits) == 0 {
			return nil, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("not committed: %w", err)
		}
		if err := e.storeFailed(); err != nil {
			return nil, fmt.Errorf("not committed: %w", err)
		}
		if err := bc.CommitAll(ctx, st.commits); err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
		return nil, nil
	})
	if err != nil {
		return err
	}
	copy(progress[start:end], out)
	return nil
}

// lockRetroFamily takes the locks of every claim key of one family's
// claims, in stripe order, then the family's: a claim takes its key's
// before its family's, so none waits on the job in a cycle.
func (e *Engine) lockRetroFamily(ctx context.Context, claims []RetroClaim) (func(), error) {
	idx := make([]int, 0, len(claims))
	for _, c := range claims {
		k := c.Key
		k.RxNumber = canonicalRxNumber(k.RxNumber) // the lock a bill of the key takes
		idx = append(idx, e.keyStripe(k))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	unlockKeys := func(held []int) {
		for _, i := range slices.Backward(held) {
			e.keyLocks.unlock(i)
		}
	}
	for n, i := range idx {
		if err := e.keyLocks.lock(ctx, i); err != nil {
			unlockKeys(idx[:n])
			return nil, err
		}
	}
	unlockFamily, err := e.lockFamilies(ctx, claims[0].CardholderID)
	if err != nil {
		unlockKeys(idx)
		return nil, err
	}
	return func() { unlockFamily(); unlockKeys(idx) }, nil
}

// retroStage is the Store a retro job's family is re-adjudicated over: the
// store as the family's commits so far would leave it, with those commits
// kept in memory (commits) to be written at once.
type retroStage struct {
	base    Store
	commits []*Commit
	byID    map[string]*ClaimRecord
	byKey   map[ClaimKey]*ClaimRecord
	docs    map[docRef]*accumulators.Doc
	removed map[string]bool           // claim IDs whose history entries the commits removed
	added   map[string][]HistoryEntry // entries the commits added, by MemberID
}

func newRetroStage(base Store) *retroStage {
	return &retroStage{base: base, byID: map[string]*ClaimRecord{}, byKey: map[ClaimKey]*ClaimRecord{},
		docs: map[docRef]*accumulators.Doc{}, removed: map[string]bool{}, added: map[string][]HistoryEntry{}}
}

func (s *retroStage) Family(ctx context.Context, cardholderID string) (*domain.Family, error) {
	return s.base.Family(ctx, cardholderID)
}

func (s *retroStage) ClaimByKey(ctx context.Context, key ClaimKey) (*ClaimRecord, error) {
	if r, ok := s.byKey[key]; ok {
		return r, nil
	}
	r, err := s.base.ClaimByKey(ctx, key)
	if err != nil || r == nil {
		return r, err
	}
	if staged, ok := s.byID[r.ID]; ok {
		return staged, nil
	}
	return r, nil
}

// Claim implements ClaimReader over the base store's (which a retro job's
// store has).
func (s *retroStage) Claim(id string) (*ClaimRecord, error) {
	if r, ok := s.byID[id]; ok {
		return r, nil
	}
	reader, ok := s.base.(ClaimReader)
	if !ok {
		return nil, fmt.Errorf("%w: the store cannot read claims by ID", ErrInternal)
	}
	return reader.Claim(id)
}

func (s *retroStage) Accumulators(ctx context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	if d, ok := s.docs[docRef{scope, id, period}]; ok {
		return d.Clone(), nil
	}
	return s.base.Accumulators(ctx, scope, id, period)
}

func (s *retroStage) History(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]HistoryEntry, error) {
	stored, err := s.base.History(ctx, cardholderID, personCode, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, 0, len(stored))
	for _, h := range stored {
		if !s.removed[h.ClaimID] {
			out = append(out, h)
		}
	}
	for _, h := range s.added[MemberID(cardholderID, personCode)] {
		if !s.removed[h.ClaimID] && !h.DateOfService.Before(from) && !h.DateOfService.After(to) {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int {
		if c := a.DateOfService.Days() - b.DateOfService.Days(); c != 0 {
			return c
		}
		return cmpStrings(a.ClaimID, b.ClaimID)
	})
	return out, nil
}

// Commit keeps c, with copies of its documents (the engine may reuse
// them), and answers later reads as if it were written.
func (s *retroStage) Commit(_ context.Context, c *Commit) error {
	if c.Audit != nil {
		return fmt.Errorf("%w: a retro job's claim commit carries no audit entry", ErrInternal)
	}
	kept := *c
	kept.Docs = make([]DocWrite, len(c.Docs))
	for i, d := range c.Docs {
		kept.Docs[i] = DocWrite{Scope: d.Scope, ID: d.ID, Period: d.Period, Doc: d.Doc.Clone()}
		s.docs[docRef{d.Scope, d.ID, d.Period}] = kept.Docs[i].Doc
	}
	for _, r := range c.Records {
		s.byID[r.ID] = r
		if r.Reversal != nil {
			s.removed[r.ID] = true
		}
	}
	if c.Index != nil {
		s.byKey[c.Index.Key] = c.Index
		if c.History != nil {
			id := MemberID(c.Index.CardholderID, c.Index.PersonCode)
			s.added[id] = append(s.added[id], *c.History)
		}
	}
	s.commits = append(s.commits, &kept)
	return nil
}
