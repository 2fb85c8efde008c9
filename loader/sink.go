package loader

import (
	"context"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Sink is what the loader needs from the adjudicator. Every call is an
// idempotent upsert: sending the same batch twice leaves the adjudicator as
// after the first. The production Sink is the gRPC client of the
// adjudicator's EnrollmentService (GRPCSink).
type Sink interface {
	// SyncFamilies replaces the given families and deletes the removed
	// ones (families left with no member in the loader, by a rewind),
	// except those with paid claims: their members stay, for claim
	// history, but cover nothing, and they are returned as kept.
	SyncFamilies(ctx context.Context, b FamilyBatch) (kept []string, err error)
	// SyncCatalog upserts drugs, pharmacies, networks, schedules and
	// prescribers by key, and prior authorizations by member and number (a
	// PA file's batch holds only those), all or none.
	SyncCatalog(ctx context.Context, b CatalogBatch) error
	// MemberClaims lists the member's claims with dates of service in [from, to].
	MemberClaims(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]ClaimRef, error)
	// ReverseClaim reverses a paid claim (B2); reversing a reversed claim changes nothing.
	ReverseClaim(ctx context.Context, claimID string) error
	// Readjudicate runs the adjudicator's retro job for a member's
	// back-dated eligibility change: it reverses the member's paid claims
	// with dates of service from j.From on and bills them again under the
	// enrollment now synced. Running a job again (its ID) resumes it, or,
	// once finished, changes nothing and reports it again.
	Readjudicate(ctx context.Context, j RetroJob) ([]RetroLine, error)
}

// RetroJob is an eligibility retro job the loader asks the adjudicator to run.
type RetroJob struct {
	ID           string // names no member: "loader:<group>:<seq>:<n>"
	CardholderID string
	PersonCode   string
	From         domain.Date
	Reason       string
}

// RetroLine is one claim of a retro job's report.
type RetroLine struct {
	ClaimID       string // the claim the job reversed
	DateOfService string
	State         string // DONE, SKIPPED or REVERSED (not yet billed again)
	PlanBefore    string
	NewClaimID    string // the claim the re-bill paid; none when it rejected
	StatusAfter   string // P or R
	PlanAfter     string
	RejectsAfter  []string
}

// FamilyBatch is one outbox batch of families.
type FamilyBatch struct {
	Seq      uint64          // the outbox sequence: batches are sent in order
	Group    string          //
	Families []domain.Family // the families as the loader now holds them
	Removed  []string        // cardholder IDs left with no member
}

// CatalogBatch is one outbox batch of catalog changes.
type CatalogBatch struct {
	Seq        uint64
	Drugs      []domain.Drug     `json:"drugs,omitempty"`
	Pharmacies []domain.Pharmacy `json:"pharmacies,omitempty"`
	Networks   []domain.Network  `json:"networks,omitempty"`
	Schedules  []edits.Schedule  `json:"schedules,omitempty"`
	// Prescribers replace the adjudicator's by NPI.
	Prescribers []domain.Prescriber `json:"prescribers,omitempty"`
	// PriorAuths are whole prior authorization records (PA files).
	PriorAuths []domain.PriorAuth `json:"prior_auths,omitempty"`
}

// ClaimRef is a claim as the retroactive-change check needs it.
type ClaimRef struct {
	ClaimID       string      `json:"claim_id"`
	CardholderID  string      `json:"-"` // PHI: kept out of reports' logs
	PersonCode    string      `json:"-"`
	PharmacyNPI   string      `json:"pharmacy_npi"`
	RxNumber      string      `json:"rx_number"`
	FillNumber    int         `json:"fill_number"`
	DateOfService domain.Date `json:"date_of_service"`
	PlanID        string      `json:"plan_id"`
	Status        string      `json:"status"` // P paid, R rejected, X reversed
}
