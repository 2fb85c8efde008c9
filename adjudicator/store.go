package adjudicator

import (
	"context"
	"errors"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// This file is the storage contract: everything a store must provide for
// the engine, and the records it keeps. internal/store implements it over
// Pebble; internal/store/records holds the stored encodings any
// implementation can reuse; internal/store/storetest checks an
// implementation against this contract through the interfaces alone.
//
// Rules every implementation honours:
//
//   - Safe for concurrent use. The engine serializes transactions per claim
//     key and per family, but an implementation must not rely on that for
//     its own correctness (its caches in particular).
//   - Absent is not an error: a lookup of something not stored returns
//     nil (or an empty document) and a nil error.
//   - Commit is atomic and durable before it returns: after a crash either
//     all of it or none of it is visible. A failed Commit writes nothing
//     visible, and no read ever sees a value a failed Commit would have
//     written.
//   - Read-your-writes: once Commit (or PutFamilies, SaveConfig,
//     RemoveFamily) returns, every later read, from any goroutine, sees it.
//     Reads are monotonic: once a read has returned a value, no later read
//     returns an older one, even while commits of it are in flight.
//   - Values returned to the engine are either the caller's own (documents)
//     or must be treated as read-only by it (families, records, entries).

// Store is what the engine needs of durable storage.
type Store interface {
	// Family returns the family with the cardholder ID, or nil if none. The
	// family may be shared with other callers: it is read-only.
	Family(ctx context.Context, cardholderID string) (*domain.Family, error)
	// ClaimByKey returns the record the key index last pointed to (see
	// Commit.Index), or nil if no claim was ever paid under key. After a
	// B2 the index is unchanged, so it returns the reversed record (its
	// Reversal set); after a rebill, the new claim.
	ClaimByKey(ctx context.Context, key ClaimKey) (*ClaimRecord, error)
	// Accumulators returns the caller's own copy of a document, which it
	// may change freely; an empty (never nil) document if none is stored.
	Accumulators(ctx context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error)
	// History returns a member's paid claims with dates of service from
	// from to to, both included, oldest first; claims of one day in claim
	// ID order. A claim leaves the history when its record is committed
	// with a Reversal.
	History(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]HistoryEntry, error)
	// Commit writes c in one atomic, durable batch; see Commit.
	Commit(ctx context.Context, c *Commit) error
}

// Applier is implemented by a store that can split Commit in two: Apply
// writes c atomically and returns once every later read sees it, before
// it is durable; wait then returns nil once c is durable, or an error if
// it may not be (the store has failed). Once c is applied, a commit
// applied after it must never be durable without c: a store that cannot
// promise that must not implement Applier. Apply's error means nothing
// was written. wait must be called exactly once.
//
// The engine applies under its claim-key and family locks and waits for
// durability after releasing them, so claims of one family do not queue
// behind each other's disk sync; it answers only after wait returns nil.
type Applier interface {
	Apply(ctx context.Context, c *Commit) (wait func() error, err error)
}

// BatchCommitter is implemented by a store that can write several commits
// as one. A retro job commits a family's reversals and re-bills, with
// their progress records, in one CommitAll, so a crash or a failed write
// leaves the family untouched or wholly re-adjudicated, never reversed and
// not billed again.
type BatchCommitter interface {
	// CommitAll writes cs in one atomic, durable batch, with the effect of
	// committing them one after the other (Commit), but all or nothing:
	// after a crash either every one of them is visible or none is. A
	// record, key or document written by several of cs keeps the last
	// one's value. None of cs carries an Audit. In a transaction from
	// Begin (Transactor) it commits that transaction, as Commit does, and
	// fails with ErrConflict as Commit does.
	CommitAll(ctx context.Context, cs []*Commit) error
}

// ErrConflict marks a transaction that lost a race with a concurrent one
// (of another process) on a shared store: nothing was written, and what it
// read may be stale. The engine adjudicates the claim again from fresh
// reads (see Transactor).
var ErrConflict = errors.New("storage conflict with a concurrent transaction")

// Transactor is implemented by a store that several engines (processes)
// share, whose in-process locks therefore do not serialize claims alone.
// The engine runs each claim transaction (B1, B2, B3) in a store
// transaction from Begin: its reads and its Commit with the returned
// context are one transaction, whose Commit fails with an error wrapping
// ErrConflict (and writes nothing) when another transaction changed what
// it read (how the store ensures that, by row locks or serializable
// isolation, is its own). On ErrConflict the engine starts over, a
// bounded number of times.
type Transactor interface {
	// Begin returns ctx carrying a new transaction, and end, which
	// releases it (rolling it back unless Commit committed it); end must
	// be called.
	Begin(ctx context.Context) (tx context.Context, end func(), err error)
}

// FamilyPrefetcher is implemented by a Transactor that can take a
// family's lock and read the family in the same round trip as the
// transaction's next read. In a B1's transaction, whose family is known
// before its claim key is read, the engine takes the family's in-process
// lock right after the key's and calls PrefetchFamily before reading the
// key, so the key read and the family's lock and reads share a trip.
// It changes nothing the engine reads: Family, Accumulators and History
// answer as without it.
type FamilyPrefetcher interface {
	// PrefetchFamily asks that ctx's transaction lock and read the family
	// with its next read; outside a transaction it does nothing.
	PrefetchFamily(ctx context.Context, cardholderID string)
}

// IDFloor is implemented by a Transactor shared by several processes:
// with each family's lock its transactions read the largest ID any
// process issued under that lock (a claim's, a reversal's, a family
// version's), and its commits record the largest they write. The engine
// issues every ID taken under a family lock above that floor, so a
// family's IDs increase in commit order whatever the processes' clocks
// (a hybrid logical clock, DESIGN.md).
type IDFloor interface {
	// IDFloor returns the largest ID recorded under the families ctx's
	// transaction has locked, "" for none.
	IDFloor(ctx context.Context) string
}

// BelowFloorError is a family write's refusal by an IDFloor store: at
// its lock the families' floor was Floor, at or above the write's ID.
// It wrote nothing; the engine writes again with an ID above Floor.
type BelowFloorError struct{ Floor string }

func (e *BelowFloorError) Error() string {
	return "the family write's ID is not above the ID " + e.Floor + " issued under its families' lock"
}

// ClaimReader reads claim records by ID. The engine's stores implement
// it; the engine needs it for reversal by ID and for MemberClaims.
type ClaimReader interface {
	// Claim returns the claim record with the ID, or nil if none.
	Claim(id string) (*ClaimRecord, error)
}

// ClaimBatchReader is implemented by a store that reads many claim
// records at once more cheaply than one by one, and can leave out what a
// dry run does not read. A dry run uses it for each family's claims.
type ClaimBatchReader interface {
	// ClaimsWithoutTrace calls fn with the record of each ID in ids (which
	// are sorted and distinct), in ids' order, with its response's trace
	// left out (Response.Trace nil); an ID with no record is skipped.
	ClaimsWithoutTrace(ctx context.Context, ids []string, fn func(*ClaimRecord) error) error
}

// PaddedKeyReporter is implemented by a store that knows whether its claim
// key index holds keys written before Rx numbers were canonical (with
// leading zeros). When it reports none, the engine looks a claim up under
// its canonical key only; a store that does not implement it is searched
// under every legacy form too (see legacyKeys).
type PaddedKeyReporter interface {
	// HasZeroPaddedKeys reports whether any indexed claim key has an Rx
	// number with a leading zero. It may be computed once at open: keys
	// written since are canonical.
	HasZeroPaddedKeys() bool
}

// ConfigStore is what the engine needs to keep its configuration durable:
// the configuration without families and edits, edit versions one by one,
// families, and the imports that wait for approval. A later LoadConfig of
// the implementation returns base with every edit version saved so far.
//
// Every write takes an audit entry (nil: none) that the store appends to
// the audit trail (AuditLog) in the same batch as the change it records:
// both are durable or neither is. Appending assigns the entry's Seq, Prev
// and Hash, which stay zero when the write fails. Appends are serialized,
// so the trail is one chain.
type ConfigStore interface {
	// SaveConfig writes w in one durable batch.
	SaveConfig(ctx context.Context, w ConfigWrite) error
	// PutFamilies writes families durably in one batch, replacing any with
	// the same cardholder ID; a later Family returns the new value. at
	// names the write in the claim ID order (see FamilyVersions); "" is a
	// write before any claim (a seed).
	PutFamilies(ctx context.Context, at string, fams []domain.Family, audit *AuditEntry) error
	// PendingImports returns the imports waiting for approval, by ID.
	PendingImports(ctx context.Context) ([]PendingImport, error)
}

// ConfigWrite is one atomic, durable configuration change.
type ConfigWrite struct {
	// Base, when not nil, replaces the stored configuration base.
	Base *config.Config
	// Versions replace the edit versions with the same ID and version.
	Versions []edits.Edit
	// Families replace those with the same cardholder ID (an import's);
	// FamiliesAt names their write as PutFamilies's at does.
	Families   []domain.Family
	FamiliesAt string
	// PriorAuths replace the prior authorization records with the same
	// key (an import's, moved out of its families). A store that is not a
	// PriorAuthStore is never given any.
	PriorAuths []domain.PriorAuth
	// Propose, when not nil, stores a pending import (replacing one with
	// its ID); Resolve, when set, deletes the pending import with that ID.
	Propose *PendingImport
	Resolve string
	// Audit, when not nil, is appended to the audit trail in the batch.
	Audit *AuditEntry
	// Version, when not nil, is the configuration version this write
	// makes current, kept for good in the same batch (see ConfigHistory).
	// A store several engines share writes it as a compare-and-set: only
	// if its latest version is Version.Number-1 (the one the change was
	// made from), else the whole write fails with ErrStaleConfig and
	// writes nothing.
	Version *ConfigVersion
}

// ErrStaleConfig refuses a configuration change made from a version that
// is no longer the latest: another engine sharing the store changed the
// configuration since this one loaded it. Nothing was written; the change
// may be made again once this engine follows the latest version (see
// Engine.Follow). The caller retries (gRPC Aborted); the store is well.
var ErrStaleConfig = errors.New("the configuration was changed by another instance since this one loaded it; retry once this one has followed it")

// ConfigVersion is the whole configuration (families aside: base and
// every edit version) as it stood from a moment on: the known-time axis of
// the configuration's history. Claims record the Number they were
// adjudicated under (ClaimRecord.ConfigVersion), so a replay finds the
// configuration as it was known then, whatever changed or was inactivated
// since. Numbers start at 1 and grow by one with each change.
type ConfigVersion struct {
	Number uint64         `json:"number"`
	At     time.Time      `json:"at"`
	Config *config.Config `json:"config"`
}

// ConfigHistory is implemented by a ConfigStore that keeps every
// configuration version (ConfigWrite.Version) and never deletes one.
type ConfigHistory interface {
	// ConfigVersion returns version n, or nil if none is stored.
	ConfigVersion(ctx context.Context, n uint64) (*ConfigVersion, error)
	// LatestConfigVersion returns the highest stored version, or nil.
	LatestConfigVersion(ctx context.Context) (*ConfigVersion, error)
}

// ClaimScanner is implemented by a store that can list every claim
// record; replay needs it. Records come in claim ID order, which is the
// order their commits were made in within a family (IDs are issued under
// the family lock, see Commit).
type ClaimScanner interface {
	ForEachClaim(fn func(*ClaimRecord) error) error
}

// HistoryScanner is implemented by a store that can read every member's
// history in one pass, family by family. A dry run uses it to find the
// families and their claims without reading every claim record (without
// it, a dry run reads every record once through ClaimScanner).
type HistoryScanner interface {
	// ForEachFamilyHistory calls fn once per family, in cardholder ID
	// order, with the history entries (History) of its members' paid
	// claims with dates of service on or before to, by person code, each
	// member's oldest first. A family without such claims is skipped. fn
	// owns the map.
	ForEachFamilyHistory(to domain.Date, fn func(cardholderID string, members map[string][]HistoryEntry) error) error
}

// PriorAuthStore keeps prior authorizations as records of their own,
// keyed by cardholder ID, person code and PA number (domain.PriorAuthKey),
// apart from families: PutFamilies, SaveConfig's Families and RemoveFamily
// never touch them. It is optional: over a store without it the engine
// reads only the PAs carried in family records, and the PA admin
// operations answer ErrNoPriorAuthStore.
type PriorAuthStore interface {
	// PriorAuths returns the prior authorization records of every member
	// of the family, by person code then number; none is not an error.
	PriorAuths(ctx context.Context, cardholderID string) ([]domain.PriorAuth, error)
	// PutPriorAuths writes pas durably in one batch, each replacing the
	// record with its key, with audit (when not nil) appended in the same
	// batch. Records are never deleted: a PA ends by its termination date.
	PutPriorAuths(ctx context.Context, pas []domain.PriorAuth, audit *AuditEntry) error
}

// ErrNoPriorAuthStore answers a prior authorization change over a store
// that does not keep prior authorization records.
var ErrNoPriorAuthStore = errors.New("adjudicator: the store does not keep prior authorizations")

// ErrFamilyHasClaims refuses to delete a family with paid claims.
var ErrFamilyHasClaims = errors.New("adjudicator: the family has paid claims")

// FamilyRemover is the store's family deletion.
type FamilyRemover interface {
	// RemoveFamily deletes a family durably, with audit (when not nil)
	// appended in the same batch; an absent family is a no-op that writes
	// nothing. It is refused with ErrFamilyHasClaims, changing nothing,
	// when any member of the family has a paid claim in its history.
	// at names the removal as PutFamilies's at does.
	RemoveFamily(ctx context.Context, cardholderID, at string, audit *AuditEntry) error
}

// FamilyVersions is implemented by a store that keeps every version of
// each family, so that a replay reads a family as the claim read it.
// Each write of a family (PutFamilies, ConfigWrite.Families,
// RemoveFamily) is a version, named by an ID the engine issues from the
// claim ID sequence while it holds the family's lock: a claim of the
// family whose ID is above a version's and below the next one's read that
// version.
type FamilyVersions interface {
	// FamilyAsOf returns the version of the family in force just before
	// the claim or change with ID at: the latest written before it. f is
	// nil when that version is a removal; found is false when the store
	// has no version before at (nothing written since it kept versions).
	FamilyAsOf(ctx context.Context, cardholderID, at string) (f *domain.Family, found bool, err error)
}

// FamilyVersionLister is implemented by a FamilyVersions store that can
// read all of a family's versions at once: a dry run reads each family's
// once, rather than one FamilyAsOf per claim.
type FamilyVersionLister interface {
	// FamilyVersionsOf returns every version of the family, in the order
	// of their IDs (a seed's, "", first); none is not an error.
	FamilyVersionsOf(ctx context.Context, cardholderID string) ([]FamilyVersion, error)
}

// FamilyVersion is one version of a family: the ID it was written at
// (FamilyVersions) and the family, nil for a removal.
type FamilyVersion struct {
	At     string
	Family *domain.Family
}

// ClaimRecord is what is stored for a paid claim. Its ID is unique; a
// Commit that carries a record with a stored ID replaces it.
type ClaimRecord struct {
	ID            string                      `json:"id"`
	Transaction   string                      `json:"transaction"`
	Key           ClaimKey                    `json:"key"`
	Hash          string                      `json:"hash"`
	CardholderID  string                      `json:"cardholder_id"`
	PersonCode    string                      `json:"person_code"`
	Period        domain.Date                 `json:"period"`
	Claim         *Claim                      `json:"claim"`
	Response      *Response                   `json:"response"`
	Contributions []accumulators.Contribution `json:"contributions"`
	Reversal      *ReversalRecord             `json:"reversal,omitempty"`
	// PriorAuths are the member's prior authorizations as the claim read
	// them (none when it read none), kept so that a replay sees them as
	// they were, not as later changes or end dates left them.
	PriorAuths []domain.PriorAuth `json:"prior_authorizations,omitempty"`
	// ConfigVersion is the configuration version the claim was adjudicated
	// under (ConfigVersion.Number); 0 in records written before versions
	// were kept, which replay cannot reproduce.
	ConfigVersion uint64 `json:"config_version,omitempty"`
	// TraceVersion is the vocabulary of the trace the claim was adjudicated
	// with (TraceVersion); 0 in records written before it was kept, read
	// as 1.
	TraceVersion uint32 `json:"trace_version,omitempty"`
}

// ReversalRecord is stored on a claim once it is reversed, by a B2 or by a
// rebill. Its Response.ClaimID (B2) or ReplacedBy (B3) is issued under the
// family lock, like claim IDs, so it orders the reversal among the
// family's commits.
type ReversalRecord struct {
	Transaction string    `json:"transaction"`
	Hash        string    `json:"hash,omitempty"`
	Response    *Response `json:"response,omitempty"`
	ReplacedBy  string    `json:"replaced_by,omitempty"`
}

// Paid reports whether the claim is paid and not reversed.
func (r *ClaimRecord) Paid() bool { return r.Reversal == nil }

// HistoryEntry is one paid claim in a member's history: what the clinical
// edits and the windowed benefit maximums read.
type HistoryEntry struct {
	ClaimID       string      `json:"claim_id"`
	DateOfService domain.Date `json:"date_of_service"`
	// PharmacyNPI and RxNumber (canonical) name the prescription the claim
	// fills; entries written before they were recorded have neither, and
	// count toward no prescription's quantity.
	PharmacyNPI string          `json:"pharmacy_npi,omitempty"`
	RxNumber    string          `json:"rx_number,omitempty"`
	NDC         string          `json:"ndc"`
	Class       string          `json:"class"`
	DaysSupply  int             `json:"days_supply"`
	Quantity    decimal.Decimal `json:"quantity"`
	PlanPaid    decimal.Decimal `json:"plan_paid"`
	Segment     domain.Segment  `json:"segment"`
	// Buckets are the benefit-maximum buckets the claim counts in, as
	// "<edit kind>/<level>" (level empty for the plan default).
	Buckets []string `json:"buckets,omitempty"`
	// PriorAuths are the numbers of the member's prior authorizations the
	// claim used (to override an edit or change its tier): a PA's fills
	// and quantity used are counted from these entries, so the claim's
	// own commit counts them and its reversal gives them back.
	PriorAuths []string `json:"prior_authorizations,omitempty"`
}

// MemberID is the accumulator owner ID of a member: the ID of its
// accumulators.Member documents (family documents use the cardholder ID).
func MemberID(cardholderID, personCode string) string { return cardholderID + ":" + personCode }

// Commit is one atomic, durable write. Applied in this order within the
// batch: Records, Index, history removals, History, Docs.
type Commit struct {
	// Records are claim records to put, new or updated. A record with a
	// Reversal leaves its member's history: the entry of (its
	// CardholderID, PersonCode, Key.DateOfService, ID) is removed.
	Records []*ClaimRecord
	// Index, when set, is the record its claim key (Index.Key) now points
	// to for ClaimByKey; it is one of Records.
	Index *ClaimRecord
	// History, when set together with Index, is the history entry of the
	// new paid claim Index, filed under Index's cardholder and person code.
	History *HistoryEntry
	// Docs are accumulator documents to put, each replacing the stored one.
	Docs []DocWrite
	// Audit, when not nil, is appended to the audit trail in the batch (a
	// reversal an enrollment operator asked for); claims carry none.
	Audit *AuditEntry
	// Retro, when not nil, is the progress record of a retro job's claim
	// (RetroStore), put in the batch with the reversal or re-bill it
	// records, replacing the one with its job and index. A Commit may carry
	// it alone. Only a RetroStore is given one.
	Retro *RetroProgress
}

// RetroStore keeps retro jobs (retro.go): each job with the claims it
// re-adjudicates, fixed when it starts, and one progress record per claim,
// which the engine writes in the same Commit as the claim's reversal or
// re-bill (Commit.Retro), so a job resumed after a crash knows exactly
// what was done. Jobs and progress records are never deleted.
type RetroStore interface {
	// CreateRetroJob writes job durably, with its status RetroRunning
	// (RetroJobStatus, At job.Created) and audit (when not nil) in the same
	// batch, unless a job with its ID is stored; then it writes nothing.
	// It reports whether it wrote.
	CreateRetroJob(ctx context.Context, job *RetroJob, audit *AuditEntry) (created bool, err error)
	// RetroJob returns the job with the ID, or nil if none.
	RetroJob(ctx context.Context, id string) (*RetroJob, error)
	// RetroProgress returns the job's progress records by index.
	RetroProgress(ctx context.Context, id string) ([]RetroProgress, error)
	// SetRetroJobStatus writes the status of a stored job durably,
	// replacing its last one, with audit (when not nil) in the same batch.
	SetRetroJobStatus(ctx context.Context, st *RetroJobStatus, audit *AuditEntry) error
	// RetroJobStatus returns the job's status, or nil if it has none (no
	// such job, or a job stored before jobs had one).
	RetroJobStatus(ctx context.Context, id string) (*RetroJobStatus, error)
	// RunningRetroJobs returns the IDs of the jobs whose status is
	// RetroRunning, and of those without a status (stored before jobs had
	// one), in ID order: what a background runner has to do.
	RunningRetroJobs(ctx context.Context) ([]string, error)
	// SetRetroJobClaims replaces the stored job with job, the same job with
	// its claims chosen (when it first runs), with audit (when not nil) in
	// the same batch.
	SetRetroJobClaims(ctx context.Context, job *RetroJob, audit *AuditEntry) error
}

// RetroLocker is implemented by a store several engines share: it holds a
// job for one engine at a time, so the same job started on two instances
// runs on one of them, and RetroRunLock, so one job at a time runs on the
// store (within one engine, the engine holds both itself).
type RetroLocker interface {
	// LockRetroJob holds the job with the ID (or RetroRunLock) for the
	// caller until release, or answers ErrBusy at once when another holds
	// it. A holder that dies lets it go.
	LockRetroJob(ctx context.Context, id string) (release func(), err error)
}

// DocWrite puts one accumulator document. The store must not keep Doc
// itself (the engine may reuse it): it stores or caches a copy.
type DocWrite struct {
	Scope  accumulators.Scope
	ID     string
	Period domain.Date
	Doc    *accumulators.Doc
}
