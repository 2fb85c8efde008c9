package adjudicator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
)

// PendingImport is a configuration bundle proposed for import over the
// API, waiting for a second configuration approver: an import takes two
// people, its proposer (the maker of what it brings) and its approver
// (the checker), as an edit's activation does (DOMAIN.md §3).
type PendingImport struct {
	// ID names the proposal: the first 16 hex digits of the bundle's
	// SHA-256, so proposing the same bundle again finds the same one.
	ID         string    `json:"id"`
	ProposedBy string    `json:"proposed_by"`
	ProposedAt time.Time `json:"proposed_at"`
	// Bundle is the bundle as proposed (YAML or JSON).
	Bundle []byte `json:"bundle"`
	// Summary is what the import would have changed when it was proposed.
	Summary ImportSummary `json:"summary"`
}

// ImportObject names a pending import as an audit object.
func ImportObject(id string) string { return "import " + id }

// ProposeImport validates a bundle and what it would change, and stores it
// as a pending import proposed by audit.Subject, for another approver to
// approve (ApproveImport) or anyone to reject. A bundle that would change
// nothing is not stored: its summary is returned with an empty ID. The
// same bundle proposed again returns the pending import already stored.
func (e *Engine) ProposeImport(ctx context.Context, bundle []byte, audit *AuditEntry) (PendingImport, error) {
	if audit.subject() == "" {
		return PendingImport{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	in, err := parseBundle(bundle)
	if err != nil {
		return PendingImport{}, err
	}
	src, err := importSource(in)
	if err != nil {
		return PendingImport{}, err
	}
	sum := sha256.Sum256(bundle)
	p := PendingImport{ID: hex.EncodeToString(sum[:8]), ProposedBy: audit.Subject, ProposedAt: e.now().UTC(), Bundle: bundle}
	audit.Objects = appendObject(audit.Objects, ImportObject(p.ID))
	err = e.change(ctx, audit, func(c *config.Config, _ *edits.Book, w *ConfigWrite) error {
		// A dry run on a copy: what the import would change, and that the
		// result compiles.
		dc, db, err := editCopy(c)
		if err != nil {
			return err
		}
		dry := importRoles{maker: audit.Subject, checker: audit.Subject}
		if p.Summary, err = merge(dc, db, src, dry, e.now()); err != nil {
			return err
		}
		p.Summary.Families = len(in.Families)
		if _, err := finish(dc, db); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return e.stage(ctx, &p, w)
	})
	return p, err
}

// stage turns the dry run of a proposal into its write: the pending
// import alone, or nothing when it changes nothing or is already pending.
// errNothingToWrite leaves the configuration as it is.
func (e *Engine) stage(ctx context.Context, p *PendingImport, w *ConfigWrite) error {
	w.Audit.Detail = "proposed: " + p.Summary.String()
	for _, o := range p.Summary.objects {
		w.Audit.Objects = appendObject(w.Audit.Objects, o)
	}
	if !p.Summary.changes() {
		w.Audit.Detail = "changes nothing: " + p.Summary.String()
		p.ID = ""
		return errNothingToWrite
	}
	old, err := e.pending(ctx, p.ID)
	if err != nil {
		return err
	}
	if old != nil {
		*p = *old
		w.Audit.Detail = "already pending, proposed by " + old.ProposedBy
		return errNothingToWrite
	}
	w.Propose = p
	return nil
}

// ApproveImport applies a pending import as one durable write, with
// audit: its proposer is the maker of what it brings and audit.Subject,
// who must be someone else, the checker who activates its Active edit
// versions (ErrMakerChecker otherwise). An unknown ID is ErrNotFound. The
// pending import is read under the change's lock, so an import rejected
// or approved meanwhile is not applied.
func (e *Engine) ApproveImport(ctx context.Context, id string, audit *AuditEntry) (ImportSummary, error) {
	if audit.subject() == "" {
		return ImportSummary{}, fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	audit.Objects = appendObject(audit.Objects, ImportObject(id))
	var sum ImportSummary
	err := e.change(ctx, audit, func(c *config.Config, b *edits.Book, w *ConfigWrite) error {
		p, err := e.pending(ctx, id)
		switch {
		case err != nil:
			return err
		case p == nil:
			return fmt.Errorf("%w: no pending import %s", ErrNotFound, id)
		case p.ProposedBy == audit.Subject:
			return fmt.Errorf("%w: import %s was proposed by %s, who may not also approve it; another configuration approver must", edits.ErrMakerChecker, id, audit.Subject)
		}
		in, err := parseBundle(p.Bundle)
		if err != nil {
			return err
		}
		sum, err = applyImport(c, b, w, in, importRoles{maker: p.ProposedBy, checker: audit.Subject}, e.now())
		w.Resolve = id
		return err
	})
	if err != nil {
		return ImportSummary{}, err
	}
	return sum, nil
}

// RejectImport deletes a pending import unapplied, with audit.
func (e *Engine) RejectImport(ctx context.Context, id string, audit *AuditEntry) error {
	if audit.subject() == "" {
		return fmt.Errorf("%w: a user is required", ErrInvalid)
	}
	audit.Objects = appendObject(audit.Objects, ImportObject(id))
	return e.change(ctx, audit, func(_ *config.Config, _ *edits.Book, w *ConfigWrite) error {
		p, err := e.pending(ctx, id)
		switch {
		case err != nil:
			return err
		case p == nil:
			return fmt.Errorf("%w: no pending import %s", ErrNotFound, id)
		}
		audit.Detail = "rejected, proposed by " + p.ProposedBy
		w.Resolve = id
		return nil
	})
}

// PendingImports returns the imports waiting for approval, by ID.
func (e *Engine) PendingImports(ctx context.Context) ([]PendingImport, error) {
	if e.configs == nil {
		return nil, ErrNoConfigStore
	}
	return e.configs.PendingImports(ctx)
}

// pending returns the pending import with the ID, or nil.
func (e *Engine) pending(ctx context.Context, id string) (*PendingImport, error) {
	all, err := e.PendingImports(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, nil
}

// parseBundle reads and validates a bundle.
func parseBundle(b []byte) (*config.Config, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: bundle: required", ErrInvalid)
	}
	cfg, err := config.Parse(b)
	if err == nil {
		err = Validate(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return cfg, nil
}
