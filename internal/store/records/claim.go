package records

import (
	"fmt"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/money"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// EncodeClaim writes a claim record as a rxclaims.store.v1.ClaimRecord,
// its traces in the compact form.
func EncodeClaim(r *adjudicator.ClaimRecord) ([]byte, error) {
	return EncodeClaimForm(r, TraceCompact)
}

// EncodeClaimForm writes a claim record as EncodeClaim does, its traces in
// the form given.
func EncodeClaimForm(r *adjudicator.ClaimRecord, form TraceForm) ([]byte, error) {
	m, err := recordToStored(r, form)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(m)
}

// EncodeClaimApart writes a claim record as EncodeClaim does but without
// its response's trace, which it returns apart (nil when the response has
// none; the reversal's trace, a few steps, stays in the record). A store
// keeps the trace under a key of its own, so that the reads that need no
// trace (a dry run, a retro selection) read a record a third the size,
// and AttachTrace puts it back.
func EncodeClaimApart(r *adjudicator.ClaimRecord) (record, trace []byte, err error) {
	m, err := recordToStored(r, TraceCompact)
	if err != nil {
		return nil, nil, err
	}
	if m.Response != nil {
		trace, m.Response.TraceSteps = m.Response.TraceSteps, nil
	}
	record, err = proto.Marshal(m)
	return record, trace, err
}

// AttachTrace sets the response trace of rec, decoded from a record
// EncodeClaimApart wrote, to the trace it returned apart.
func AttachTrace(rec *adjudicator.ClaimRecord, trace []byte) error {
	if rec.Response == nil {
		return fmt.Errorf("claim %s: a trace without a response", rec.ID)
	}
	steps, err := decodeTrace(trace)
	if err != nil {
		return fmt.Errorf("claim %s: %w", rec.ID, err)
	}
	rec.Response.Trace = steps
	return nil
}

func recordToStored(r *adjudicator.ClaimRecord, form TraceForm) (*storev1.ClaimRecord, error) {
	m := &storev1.ClaimRecord{
		Id: r.ID, Transaction: r.Transaction, PharmacyNpi: r.Key.PharmacyNPI, RxNumber: r.Key.RxNumber,
		FillNumber: int32(r.Key.FillNumber), DateOfService: r.Key.DateOfService, Hash: r.Hash,
		CardholderId: r.CardholderID, PersonCode: r.PersonCode, Period: r.Period.String(),
		Claim: claimToStored(r.Claim), Response: resultToStored(r.Response, form), ConfigVersion: r.ConfigVersion,
		TraceVersion: r.TraceVersion,
	}
	if n := len(r.Contributions); n > 0 {
		all := make([]storev1.Contribution, n) // one allocation for all of them
		m.Contributions = make([]*storev1.Contribution, n)
		for i, c := range r.Contributions {
			if err := contributionToStored(&all[i], c); err != nil {
				return nil, fmt.Errorf("claim %s: %w", r.ID, err)
			}
			m.Contributions[i] = &all[i]
		}
	}
	for i := range r.PriorAuths {
		b, err := EncodePriorAuth(&r.PriorAuths[i])
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", r.ID, err)
		}
		m.PriorAuthorizations = append(m.PriorAuthorizations, b)
	}
	if v := r.Reversal; v != nil {
		m.Reversal = &storev1.Reversal{Transaction: v.Transaction, Hash: v.Hash, ReplacedBy: v.ReplacedBy}
		if v.Response != nil {
			m.Reversal.Response = resultToStored(v.Response, form)
		}
	}
	return m, nil
}

// DecodeClaim reads a record written by EncodeClaim.
func DecodeClaim(b []byte) (*adjudicator.ClaimRecord, error) {
	m := new(storev1.ClaimRecord)
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, err
	}
	return recordFromStored(m)
}

func recordFromStored(m *storev1.ClaimRecord) (*adjudicator.ClaimRecord, error) {
	r := &adjudicator.ClaimRecord{
		ID: m.GetId(), Transaction: m.GetTransaction(), Hash: m.GetHash(),
		Key: adjudicator.ClaimKey{
			PharmacyNPI: m.GetPharmacyNpi(), RxNumber: m.GetRxNumber(),
			FillNumber: int(m.GetFillNumber()), DateOfService: m.GetDateOfService(),
		},
		CardholderID: m.GetCardholderId(), PersonCode: m.GetPersonCode(),
		Claim: claimFromStored(m.GetClaim()), ConfigVersion: m.GetConfigVersion(),
		TraceVersion: m.GetTraceVersion(),
	}
	var err error
	if r.Period, err = domain.ParseDate(m.GetPeriod()); err != nil {
		return nil, err
	}
	if r.Response, err = resultFromStored(m.GetResponse()); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	for _, c := range m.GetContributions() {
		gc, err := contributionFromStored(c)
		if err != nil {
			return nil, fmt.Errorf("contribution: %w", err)
		}
		r.Contributions = append(r.Contributions, gc)
	}
	for _, b := range m.GetPriorAuthorizations() {
		pa, err := DecodePriorAuth(b)
		if err != nil {
			return nil, fmt.Errorf("prior authorization: %w", err)
		}
		r.PriorAuths = append(r.PriorAuths, pa)
	}
	if r.Reversal, err = reversalFromStored(m.GetReversal()); err != nil {
		return nil, fmt.Errorf("reversal response: %w", err)
	}
	return r, nil
}

func reversalFromStored(v *storev1.Reversal) (*adjudicator.ReversalRecord, error) {
	if v == nil {
		return nil, nil
	}
	out := &adjudicator.ReversalRecord{Transaction: v.GetTransaction(), Hash: v.GetHash(), ReplacedBy: v.GetReplacedBy()}
	if v.GetResponse() != nil {
		var err error
		if out.Response, err = resultFromStored(v.GetResponse()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// contributionToStored fills out, a zero message, with c.
func contributionToStored(out *storev1.Contribution, c accumulators.Contribution) error {
	var err error
	out.Level, out.Amount = c.Level, money.String(c.Amount) // c.Amount.String(), from an int64 when it fits
	if out.Scope, err = toStored(scopes, c.Scope, "scope"); err != nil {
		return err
	}
	if out.Kind, err = toStored(kinds, c.Kind, "kind"); err != nil {
		return err
	}
	if out.NetworkType, err = toStored(networkTypes, c.Segment.Type, "network type"); err != nil {
		return err
	}
	if out.NetworkClass, err = toStored(networkClasses, c.Segment.Class, "network class"); err != nil {
		return err
	}
	return nil
}

func contributionFromStored(c *storev1.Contribution) (accumulators.Contribution, error) {
	amount, err := decimal.NewFromString(c.GetAmount())
	if err != nil {
		return accumulators.Contribution{}, err
	}
	return contributionOf(c, amount)
}

// contributionOf is contributionFromStored with the amount already read.
func contributionOf(c *storev1.Contribution, amount decimal.Decimal) (accumulators.Contribution, error) {
	var (
		out = accumulators.Contribution{Level: c.GetLevel(), Amount: amount}
		err error
	)
	if out.Scope, err = fromStored(scopesBack, c.GetScope(), "scope"); err != nil {
		return out, err
	}
	if out.Kind, err = fromStored(kindsBack, c.GetKind(), "kind"); err != nil {
		return out, err
	}
	if out.Segment.Type, err = fromStored(networkTypesBack, c.GetNetworkType(), "network type"); err != nil {
		return out, fmt.Errorf("invalid segment: %w", err)
	}
	if out.Segment.Class, err = fromStored(networkClassesBack, c.GetNetworkClass(), "network class"); err != nil {
		return out, fmt.Errorf("invalid segment: %w", err)
	}
	return out, nil
}
