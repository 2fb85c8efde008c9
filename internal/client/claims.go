package client

import (
	"context"
	"fmt"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
)

// Claims calls a ClaimsService with the engine's domain types, so the same
// code can drive the engine in process or the real server over gRPC.
type Claims struct {
	c pb.ClaimsServiceClient
	// Trace asks for each result's trace (the request option trace).
	Trace bool
}

// NewClaims wraps a connection.
func NewClaims(conn grpc.ClientConnInterface) *Claims {
	return &Claims{c: pb.NewClaimsServiceClient(conn)}
}

// Bill sends a B1.
func (c *Claims) Bill(ctx context.Context, cl *adjudicator.Claim) (*adjudicator.Response, error) {
	r, err := c.c.Bill(ctx, &pb.BillRequest{Claim: wire.ClaimToProto(cl), Trace: c.Trace})
	if err != nil {
		return nil, err
	}
	return wire.ResultFromProto(r.GetResult())
}

// Rebill sends a B3.
func (c *Claims) Rebill(ctx context.Context, cl *adjudicator.Claim) (*adjudicator.Response, error) {
	r, err := c.c.Rebill(ctx, &pb.RebillRequest{Claim: wire.ClaimToProto(cl), Trace: c.Trace})
	if err != nil {
		return nil, err
	}
	return wire.ResultFromProto(r.GetResult())
}

// Reverse sends a B2.
func (c *Claims) Reverse(ctx context.Context, rv *adjudicator.Reversal) (*adjudicator.Response, error) {
	r, err := c.c.Reverse(ctx, &pb.ReverseRequest{Reversal: wire.ReversalToProto(rv), Trace: c.Trace})
	if err != nil {
		return nil, err
	}
	return wire.ResultFromProto(r.GetResult())
}

// CheckEligibility sends an E1.
func (c *Claims) CheckEligibility(ctx context.Context, q *adjudicator.EligibilityQuery) (*adjudicator.EligibilityResult, error) {
	r, err := c.c.CheckEligibility(ctx, &pb.CheckEligibilityRequest{
		Bin: q.BIN, ProcessorControlNumber: q.PCN, GroupId: q.GroupID, CardholderId: q.CardholderID,
		PersonCode: q.PersonCode, DateOfBirth: q.DateOfBirth, DateOfService: q.DateOfService, PharmacyNpi: q.PharmacyNPI,
	})
	if err != nil {
		return nil, err
	}
	out := &adjudicator.EligibilityResult{
		Status: adjudicator.Status(r.GetTransactionStatus()), Message: r.GetMessage(), PlanID: r.GetPlanId(),
		GroupID: r.GetGroupId(), NetworkType: r.GetNetworkType(), NetworkClass: r.GetNetworkClassification(),
	}
	if err := out.Coverage.From.UnmarshalText([]byte(r.GetCoverageEffective())); err != nil {
		return nil, err
	}
	if err := out.Coverage.To.UnmarshalText([]byte(r.GetCoverageTermination())); err != nil {
		return nil, err
	}
	for _, rj := range r.GetRejects() {
		code, ok := ncpdp.LookupReject(rj.GetCode())
		if !ok {
			return nil, fmt.Errorf("unknown reject code %q", rj.GetCode())
		}
		out.Rejects = append(out.Rejects, code)
	}
	return out, nil
}

// Benefits sends a benefit inquiry.
func (c *Claims) Benefits(ctx context.Context, q *adjudicator.BenefitsQuery) (*adjudicator.Benefits, error) {
	r, err := c.c.GetBenefits(ctx, &pb.GetBenefitsRequest{
		CardholderId: q.CardholderID, PersonCode: q.PersonCode, DateOfBirth: q.DateOfBirth, AsOfDate: q.AsOf,
		NetworkType: q.NetworkType, NetworkClassification: q.NetworkClass,
	})
	if err != nil {
		return nil, err
	}
	b := &adjudicator.Benefits{PlanID: r.GetPlanId(), Member: &accumulators.Doc{}, Family: &accumulators.Doc{}}
	if err := b.PeriodStart.UnmarshalText([]byte(r.GetPeriodStart())); err != nil {
		return nil, err
	}
	if err := b.PeriodEnd.UnmarshalText([]byte(r.GetPeriodEnd())); err != nil {
		return nil, err
	}
	for _, a := range []struct {
		dst *adjudicator.Amounts
		src *pb.Amounts
	}{{&b.IndividualDeductible, r.GetIndividualDeductible()}, {&b.FamilyDeductible, r.GetFamilyDeductible()},
		{&b.IndividualOutOfPocket, r.GetIndividualOutOfPocket()}, {&b.FamilyOutOfPocket, r.GetFamilyOutOfPocket()}} {
		if *a.dst, err = amountsFromProto(a.src); err != nil {
			return nil, err
		}
	}
	if b.PlanPaid, err = decimal.NewFromString(r.GetPlanPaid()); err != nil {
		return nil, err
	}
	b.RxCount = r.GetRxCount()
	if r.GetNetworkType() != "" {
		if err := b.Segment.Type.UnmarshalText([]byte(r.GetNetworkType())); err != nil {
			return nil, err
		}
		if err := b.Segment.Class.UnmarshalText([]byte(r.GetNetworkClassification())); err != nil {
			return nil, err
		}
	}
	for _, a := range r.GetAccumulators() {
		var e accumulators.Entry
		var scope accumulators.Scope
		if err := scope.UnmarshalText([]byte(a.GetScope())); err != nil {
			return nil, err
		}
		if err := e.Kind.UnmarshalText([]byte(a.GetKind())); err != nil {
			return nil, err
		}
		if err := e.Segment.Type.UnmarshalText([]byte(a.GetNetworkType())); err != nil {
			return nil, err
		}
		if err := e.Segment.Class.UnmarshalText([]byte(a.GetNetworkClassification())); err != nil {
			return nil, err
		}
		if e.Amount, err = decimal.NewFromString(a.GetAmount()); err != nil {
			return nil, err
		}
		e.Level = a.GetLevel()
		doc := b.Member
		if scope == accumulators.Family {
			doc = b.Family
		}
		doc.Entries = append(doc.Entries, e)
	}
	return b, nil
}

func amountsFromProto(p *pb.Amounts) (adjudicator.Amounts, error) {
	var a adjudicator.Amounts
	var err error
	if a.Accumulated, err = decimal.NewFromString(p.GetAccumulated()); err != nil {
		return a, err
	}
	for _, n := range []struct {
		dst *decimal.NullDecimal
		src string
	}{{&a.Limit, p.GetLimit()}, {&a.Remaining, p.GetRemaining()}} {
		if n.src == "" {
			continue
		}
		v, err := decimal.NewFromString(n.src)
		if err != nil {
			return a, err
		}
		*n.dst = decimal.NullDecimal{Decimal: v, Valid: true}
	}
	return a, nil
}
