package adjudicator

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/domain"
)

// Replay re-adjudicates stored claims exactly as they were adjudicated:
// with the configuration version the claim recorded, the clock of its
// adjudication (its ID), and the accumulators, history and claim key index
// as they stood just before its commit. That state is rebuilt from the
// stored records alone, in claim ID order (the order of a family's
// commits): each earlier claim's stored contributions are applied at its
// commit and removed at its reversal, and its history entry is the one
// its own replay makes. Nothing is written. Families are read as the
// claim read them where the store keeps their versions (FamilyVersions),
// and the prior authorizations from the claim's record, so an enrollment
// change since the claim (a coverage ended back-dated) changes nothing.

// Replay is the outcome of re-adjudicating one stored claim.
type Replay struct {
	ClaimID       string    `json:"claim_id"`
	ConfigVersion uint64    `json:"config_version"`
	Original      *Response `json:"original"`
	// Replayed is nil when the claim could not be replayed (Skipped says why).
	Replayed    *Response    `json:"replayed,omitempty"`
	Differences []Difference `json:"differences,omitempty"`
	Skipped     string       `json:"skipped,omitempty"`
}

// Difference is one field of a replayed answer that differs from the stored one.
type Difference struct {
	Field    string `json:"field"`
	Original string `json:"original"`
	Replayed string `json:"replayed"`
}

// ReplaySummary counts the claims a ReplayAll looked at.
type ReplaySummary struct {
	Claims    int `json:"claims"`
	Same      int `json:"same"`
	Different int `json:"different"`
	Skipped   int `json:"skipped"`
}

// ReplayClaim re-adjudicates the stored claim with the ID and compares the
// answer, field by field, with the stored one. It reads every stored
// claim up to it (the state of its family is rebuilt from them).
func (e *Engine) ReplayClaim(ctx context.Context, id string) (*Replay, error) {
	if !isClaimID(id) {
		return nil, fmt.Errorf("%w: a claim ID is %d lowercase hex digits", ErrInvalid, claimIDLen)
	}
	release, err := e.replayTurn()
	if err != nil {
		return nil, err
	}
	defer release()
	reader, ok := e.store.(ClaimReader)
	if !ok {
		return nil, errors.New("adjudicator: the store cannot read claims by ID")
	}
	target, err := reader.Claim(id)
	if err != nil {
		return nil, err
	}
	if target == nil {
		return nil, fmt.Errorf("%w: no claim %s", ErrNotFound, id)
	}
	var out *Replay
	errStop := errors.New("stop")
	only := func(rec *ClaimRecord) bool { return rec.CardholderID == target.CardholderID }
	err = e.replay(ctx, newReplayer(e), only, func(rec *ClaimRecord, r *Replay) error {
		if rec.ID == id {
			out = r
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("%w: claim %s was not met while reading the claims", ErrInternal, id)
	}
	return out, nil
}

// ReplayAll replays every stored claim in ID order, calling fn with each
// outcome, and counts them.
func (e *Engine) ReplayAll(ctx context.Context, fn func(*Replay) error) (ReplaySummary, error) {
	var sum ReplaySummary
	release, err := e.replayTurn()
	if err != nil {
		return sum, err
	}
	defer release()
	err = e.replay(ctx, newReplayer(e), nil, func(_ *ClaimRecord, r *Replay) error {
		sum.Claims++
		switch {
		case r.Skipped != "":
			sum.Skipped++
		case len(r.Differences) > 0:
			sum.Different++
		default:
			sum.Same++
		}
		if fn != nil {
			return fn(r)
		}
		return nil
	})
	return sum, err
}

// replay reads every stored claim in ID order with r, re-adjudicating
// those only selects (all when nil) and passing each outcome to fn.
func (e *Engine) replay(ctx context.Context, r *replayer, only func(*ClaimRecord) bool, fn func(*ClaimRecord, *Replay) error) error {
	scanner, ok := e.store.(ClaimScanner)
	if !ok {
		return errors.New("adjudicator: the store cannot list its claims")
	}
	return scanner.ForEachClaim(func(rec *ClaimRecord) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.reverseBefore(rec.ID, false); err != nil {
			return err
		}
		var out *Replay
		var hist *HistoryEntry
		if only == nil || only(rec) {
			var err error
			if out, hist, err = r.readjudicate(ctx, rec); err != nil {
				return fmt.Errorf("replaying claim %s: %w", rec.ID, err)
			}
		}
		r.committed(rec, hist, rec.Contributions)
		if out != nil {
			return fn(rec, out)
		}
		return nil
	})
}

// replayer holds the state the stored claims built up to the claim being
// replayed.
type replayer struct {
	live   *Engine
	shadow *Engine // runs claims over st with the replayed claim's clock
	st     *replayStore
	clock  time.Time
	due    reversals
}

func newReplayer(e *Engine) *replayer {
	r := &replayer{live: e, st: &replayStore{live: e.store, byKey: map[ClaimKey]*ClaimRecord{}, byID: map[string]*ClaimRecord{},
		docs: map[docRef]*accumulators.Doc{}, history: map[string][]HistoryEntry{}}}
	r.shadow = newShadow(r.st, func() time.Time { return r.clock }, e.canonicalKeysOnly)
	return r
}

// newShadow is an engine that runs claims over st with the clock now and
// locks of its own, so a replay or dry run never waits for live claims.
func newShadow(st Store, now func() time.Time, canonicalKeysOnly bool) *Engine {
	return &Engine{store: st, now: now, seed: maphash.MakeSeed(), keyLocks: newStripeLocks(), famLocks: newStripeLocks(),
		canonicalKeysOnly: canonicalKeysOnly}
}

// readjudicate runs rec's claim again and compares the answers; hist is
// the history entry the replay made (nil unless it paid).
func (r *replayer) readjudicate(ctx context.Context, rec *ClaimRecord) (*Replay, *HistoryEntry, error) {
	out := &Replay{ClaimID: rec.ID, ConfigVersion: rec.ConfigVersion, Original: rec.Response}
	steps := replayBillSteps
	var retro *retroTurn
	switch {
	case rec.Transaction == TxRebill:
		steps = replayRebillSteps
	case rec.Transaction == TxRetro && rec.Response != nil:
		steps, retro = replayRetroSteps, &retroTurn{original: rec.Response.ReversedClaimID}
	case rec.Transaction != TxBill:
		out.Skipped = "transaction " + rec.Transaction + " is not a bill, rebill or retro re-bill"
		return out, nil, nil
	case rec.Claim == nil || rec.Response == nil:
		out.Skipped = "the record holds no claim or response"
		return out, nil, nil
	}
	if rec.ConfigVersion == 0 {
		out.Skipped = "adjudicated before configuration versions were recorded"
		return out, nil, nil
	}
	at, err := idTime(rec.ID)
	if err != nil {
		out.Skipped = err.Error()
		return out, nil, nil
	}
	snap, err := r.live.snapshotAt(ctx, rec.ConfigVersion)
	if err != nil {
		return nil, nil, err
	}
	r.clock, r.st.at = at, rec.ID
	a := &adjudication{engine: r.shadow, snap: snap, store: r.st, submitted: rec.Claim, docs: newDocSet(r.st),
		resp: &Response{ClaimID: rec.ID, Trace: make([]TraceStep, 0, 16)}, retro: retro}
	// The member's PAs as the claim read them: records are changed and
	// ended after the fact, and a replay must not see that.
	a.pas, a.pasRead = slices.Clone(rec.PriorAuths), true
	resp, err := a.run(ctx, steps)
	if err != nil {
		return nil, nil, err
	}
	out.Replayed = resp
	out.Differences = compareResponses(rec.Response, resp, rec.TraceVersion)
	var hist *HistoryEntry
	if resp.Status == Paid {
		out.Differences = append(out.Differences, compareJSON("contributions", rec.Contributions, a.contributions)...)
		hist = a.historyEntry()
	}
	return out, hist, nil
}

// The replay pipelines: a bill's and a rebill's, with a commit that writes
// nothing.
var (
	replayBillSteps   = claimSteps((*adjudication).duplicateBill, (*adjudication).commitReplay)
	replayRebillSteps = claimSteps((*adjudication).duplicateRebill, (*adjudication).commitReplay)
)

// commitReplay pays the claim as commit would, under its stored ID, and
// writes nothing.
func (a *adjudication) commitReplay(context.Context) error {
	if err := a.pay(); err != nil {
		return err
	}
	a.record(TxBill) // sets what the record would (the reversed claim's ID)
	return nil
}

func notHex(r rune) bool {
	return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F')
}

// idTime is the adjudication time a claim ID carries (engine.newID).
func idTime(id string) (time.Time, error) {
	if len(id) != 20 {
		return time.Time{}, fmt.Errorf("claim ID %s does not carry its time", domain.Quote(id))
	}
	ms, err := strconv.ParseUint(id[:12], 16, 64)
	if err != nil || strings.IndexFunc(id, notHex) >= 0 { // hex.DecodeString's check, without its copy
		return time.Time{}, fmt.Errorf("claim ID %s does not carry its time", domain.Quote(id))
	}
	return time.UnixMilli(int64(ms)).UTC(), nil
}

// committed applies rec's commit to the state: its contributions, its key,
// its history entry, and its reversal, due at the ID that orders it.
func (r *replayer) committed(rec *ClaimRecord, hist *HistoryEntry, contributions []accumulators.Contribution) {
	view := *rec
	view.Reversal = nil
	view.PriorAuths = nil // read only by the replay of rec itself, from rec
	if view.Response != nil {
		resp := *view.Response
		resp.Trace = nil // what later claims read of it never includes its trace
		view.Response = &resp
	}
	r.st.byKey[rec.Key] = &view
	r.st.byID[rec.ID] = &view
	r.st.pair(rec).Apply(contributions)
	if hist != nil {
		id := MemberID(rec.CardholderID, rec.PersonCode)
		r.st.history[id] = append(r.st.history[id], *hist)
	}
	if rec.Reversal != nil {
		heap.Push(&r.due, reversal{at: reversalID(rec.Reversal), rec: rec})
	}
}

// reverseBefore applies the reversals ordered before the claim id (and at
// it, when through: the claim a rebill replaced).
func (r *replayer) reverseBefore(id string, through bool) error {
	for len(r.due) > 0 && (r.due[0].at < id || through && r.due[0].at == id) {
		rv := heap.Pop(&r.due).(reversal)
		rec := rv.rec
		if err := r.st.pair(rec).Remove(rec.Contributions); err != nil {
			return fmt.Errorf("replaying the reversal of claim %s: %w", rec.ID, err)
		}
		if v := r.st.byID[rec.ID]; v != nil {
			v.Reversal = rec.Reversal
		}
		mid := MemberID(rec.CardholderID, rec.PersonCode)
		r.st.history[mid] = slices.DeleteFunc(r.st.history[mid], func(h HistoryEntry) bool { return h.ClaimID == rec.ID })
	}
	return nil
}

// reversalID is the ID that orders a reversal among a family's commits:
// the rebill's that replaced the claim, or the B2's answer.
func reversalID(v *ReversalRecord) string {
	if v.ReplacedBy != "" {
		return v.ReplacedBy
	}
	if v.Response != nil {
		return v.Response.ClaimID
	}
	return ""
}

type reversal struct {
	at  string
	rec *ClaimRecord
}

// reversals is a min-heap of reversals by the ID that orders them.
type reversals []reversal

func (h reversals) Len() int           { return len(h) }
func (h reversals) Less(i, j int) bool { return h[i].at < h[j].at }
func (h reversals) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *reversals) Push(x any)        { *h = append(*h, x.(reversal)) }
func (h *reversals) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// replayStore is the Store a replayed claim runs over: the state the
// stored claims before it left, in memory. It writes nothing.
type replayStore struct {
	live    Store
	at      string // the ID of the claim being replayed
	byKey   map[ClaimKey]*ClaimRecord
	byID    map[string]*ClaimRecord
	docs    map[docRef]*accumulators.Doc
	history map[string][]HistoryEntry // by MemberID
	// lend, when set, are the documents a dry run's claim being
	// re-adjudicated reads and, when it pays, replaces with its own: the
	// state's, given without a copy (Accumulators), for contribute to
	// change in place (dryRunner.readjudicate).
	lend *docLoan
	// ids are the member IDs made lately (memberID), a family's few.
	ids []memberIDOf
	// copyHistory (tests only: Engine.dryRunCopies) makes History copy
	// and sort every answer.
	copyHistory bool
	// fam, when its ID is set, is one family's versions, read at once (a
	// dry run's family).
	fam struct {
		id       string
		versions []FamilyVersion
		now      *domain.Family
		nowRead  bool
	}
}

func (s *replayStore) doc(scope accumulators.Scope, id string, period domain.Date) *accumulators.Doc {
	ref := docRef{scope, id, period}
	d := s.docs[ref]
	if d == nil {
		d = &accumulators.Doc{}
		s.docs[ref] = d
	}
	return d
}

// memberIDOf is a member ID and what it is made of.
type memberIDOf struct{ cardholderID, personCode, id string }

// memberID is MemberID, made once for the few members a replay or dry run
// reads at a time.
func (s *replayStore) memberID(cardholderID, personCode string) string {
	for _, m := range s.ids {
		if m.personCode == personCode && m.cardholderID == cardholderID {
			return m.id
		}
	}
	if len(s.ids) == 16 {
		s.ids = s.ids[:0]
	}
	id := MemberID(cardholderID, personCode)
	s.ids = append(s.ids, memberIDOf{cardholderID, personCode, id})
	return id
}

func (s *replayStore) pair(rec *ClaimRecord) accumulators.Docs {
	return accumulators.Docs{Member: s.doc(accumulators.Member, s.memberID(rec.CardholderID, rec.PersonCode), rec.Period),
		Family: s.doc(accumulators.Family, rec.CardholderID, rec.Period)}
}

// Family is the family as the claim being replayed read it, where the
// store keeps family versions; otherwise as it is now.
func (s *replayStore) Family(ctx context.Context, cardholderID string) (*domain.Family, error) {
	if s.fam.id != "" && cardholderID == s.fam.id {
		// The latest version written before the claim, as FamilyAsOf.
		i, _ := slices.BinarySearchFunc(s.fam.versions, s.at, func(v FamilyVersion, at string) int { return strings.Compare(v.At, at) })
		if i > 0 {
			return s.fam.versions[i-1].Family, nil
		}
		if !s.fam.nowRead {
			f, err := s.live.Family(ctx, cardholderID)
			if err != nil {
				return nil, err
			}
			s.fam.now, s.fam.nowRead = f, true
		}
		return s.fam.now, nil
	}
	if fv, ok := s.live.(FamilyVersions); ok {
		f, found, err := fv.FamilyAsOf(ctx, cardholderID, s.at)
		if err != nil || found {
			return f, err
		}
	}
	return s.live.Family(ctx, cardholderID)
}

func (s *replayStore) ClaimByKey(_ context.Context, key ClaimKey) (*ClaimRecord, error) {
	return s.byKey[key], nil
}

func (s *replayStore) Accumulators(_ context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	d := s.doc(scope, id, period)
	if l := s.lend; l != nil {
		// The family's only with the member's: then the claim's member is
		// rec's, and so are both documents.
		switch ref := (docRef{scope, id, period}); {
		case ref == l.member:
			l.memberLent = true
			return d, nil
		case ref == l.family && l.memberLent:
			return d, nil
		}
	}
	return d.Clone(), nil
}

// docLoan is the documents a dry run lends the claim it re-adjudicates
// (replayStore.lend).
type docLoan struct {
	member, family docRef
	memberLent     bool
}

func (s *replayStore) History(_ context.Context, cardholderID, personCode string, from, to domain.Date) ([]HistoryEntry, error) {
	hist := s.history[MemberID(cardholderID, personCode)]
	if !s.copyHistory && slices.IsSortedFunc(hist, historyOrder) {
		// A dry run's and most replays' order: the entries from..to are
		// one run of the slice, returned without a copy, its capacity
		// clipped (an append copies it). The callers only read it.
		lo := 0
		for lo < len(hist) && hist[lo].DateOfService.Before(from) {
			lo++
		}
		hi := lo
		for hi < len(hist) && !hist[hi].DateOfService.After(to) {
			hi++
		}
		if lo == hi {
			return nil, nil
		}
		return hist[lo:hi:hi], nil
	}
	var out []HistoryEntry
	for _, h := range hist {
		if !h.DateOfService.Before(from) && !h.DateOfService.After(to) {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, historyOrder)
	return out, nil
}

// historyOrder orders history entries by date of service, then claim ID.
func historyOrder(a, b HistoryEntry) int {
	switch {
	case a.DateOfService.Before(b.DateOfService):
		return -1
	case b.DateOfService.Before(a.DateOfService):
		return 1
	case a.ClaimID < b.ClaimID:
		return -1
	case a.ClaimID > b.ClaimID:
		return 1
	}
	return 0
}

func (s *replayStore) Commit(context.Context, *Commit) error {
	return fmt.Errorf("%w: a replay writes nothing", ErrInternal)
}

// compareResponses compares two answers field by field, by their JSON
// names, so a field added to Response is compared without a change here.
// The claim ID is the stored one on both; a stored answer without a trace
// (one kept without it) is not compared on its trace, and one with a
// trace is compared with the replayed trace in the original's vocabulary
// (traceVersion, TraceVersion).
func compareResponses(orig, replayed *Response, traceVersion uint32) []Difference {
	var out []Difference
	if len(orig.Trace) > 0 {
		out = compareTrace(orig.Trace, traceSince(replayed.Trace, traceVersion))
	}
	x, y := bareJSON(orig), bareJSON(replayed)
	if bytes.Equal(x, y) {
		return out
	}
	a, b := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	_ = json.Unmarshal(x, &a)
	_ = json.Unmarshal(y, &b)
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v, w := string(a[k]), string(b[k]); v != w {
			out = append(out, Difference{Field: k, Original: v, Replayed: w})
		}
	}
	return out
}

// bareJSON is the answer as JSON without its claim ID and trace.
func bareJSON(r *Response) []byte {
	bare := *r
	bare.ClaimID, bare.Trace = "", nil
	b, _ := json.Marshal(&bare)
	return b
}

// compareTrace compares two traces step by step, structurally (a stored
// trace read back from text, by its text): the first step that differs.
func compareTrace(a, b []TraceStep) []Difference {
	for i := range max(len(a), len(b)) {
		var x, y TraceStep
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if !x.Equal(y) {
			return []Difference{{Field: "trace[" + strconv.Itoa(i) + "]", Original: x.String(), Replayed: y.String()}}
		}
	}
	return nil
}

func compareJSON(field string, a, b any) []Difference {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	if string(x) == string(y) {
		return nil
	}
	return []Difference{{Field: field, Original: string(x), Replayed: string(y)}}
}

// ErrBusy refuses a replay, dry run or retro job while another one runs
// (a retro job: while the same job runs): a replay or dry run holds
// the state the store's claims built up, in memory, so they run one at a
// time rather than compete for the server's memory.
var ErrBusy = errors.New("busy")

// replayTurn takes the engine's one replay slot, or answers ErrBusy.
func (e *Engine) replayTurn() (release func(), err error) {
	if !e.replaying.CompareAndSwap(false, true) {
		return nil, fmt.Errorf("%w: another replay or dry run is running; retry when it ends", ErrBusy)
	}
	return func() { e.replaying.Store(false) }, nil
}

// claimIDLen is the length of a claim ID (newID).
const claimIDLen = 20

// isClaimID reports whether id has the form newID gives claim IDs.
func isClaimID(id string) bool {
	return len(id) == claimIDLen && strings.Trim(id, "0123456789abcdef") == ""
}
