package store

import (
	"fmt"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/wire"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// encodeRecord writes a claim record in the rxclaims.store.v1 format.
func encodeRecord(r *adjudicator.ClaimRecord) ([]byte, error) {
	m := &storev1.ClaimRecord{
		Id: r.ID, Transaction: r.Transaction, PharmacyNpi: r.Key.PharmacyNPI, RxNumber: r.Key.RxNumber,
		FillNumber: int32(r.Key.FillNumber), DateOfService: r.Key.DateOfService, Hash: r.Hash,
		CardholderId: r.CardholderID, PersonCode: r.PersonCode, Period: r.Period.String(),
		Claim: wire.ClaimToProto(r.Claim), Response: wire.ResultToProto(r.Response),
	}
	for _, c := range r.Contributions {
		m.Contributions = append(m.Contributions, &storev1.Contribution{
			Scope: uint32(c.Scope), Kind: uint32(c.Kind), Level: c.Level,
			NetworkType: uint32(c.Segment.Type), NetworkClass: uint32(c.Segment.Class), Amount: c.Amount.String(),
		})
	}
	if v := r.Reversal; v != nil {
		m.Reversal = &storev1.Reversal{Transaction: v.Transaction, Hash: v.Hash, ReplacedBy: v.ReplacedBy}
		if v.Response != nil {
			m.Reversal.Response = wire.ResultToProto(v.Response)
		}
	}
	return proto.Marshal(m)
}

// decodeRecord reads a record written by encodeRecord.
func decodeRecord(b []byte) (*adjudicator.ClaimRecord, error) {
	m := new(storev1.ClaimRecord)
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, err
	}
	r := &adjudicator.ClaimRecord{
		ID: m.GetId(), Transaction: m.GetTransaction(), Hash: m.GetHash(),
		Key: adjudicator.ClaimKey{
			PharmacyNPI: m.GetPharmacyNpi(), RxNumber: m.GetRxNumber(),
			FillNumber: int(m.GetFillNumber()), DateOfService: m.GetDateOfService(),
		},
		CardholderID: m.GetCardholderId(), PersonCode: m.GetPersonCode(),
		Claim: wire.ClaimFromProto(m.GetClaim()),
	}
	var err error
	if r.Period, err = domain.ParseDate(m.GetPeriod()); err != nil {
		return nil, err
	}
	if r.Response, err = wire.ResultFromProto(m.GetResponse()); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	for _, c := range m.GetContributions() {
		amount, err := decimal.NewFromString(c.GetAmount())
		if err != nil {
			return nil, fmt.Errorf("contribution: %w", err)
		}
		seg := domain.Segment{Type: domain.NetworkType(c.GetNetworkType()), Class: domain.NetworkClass(c.GetNetworkClass())}
		if !seg.Valid() {
			return nil, fmt.Errorf("contribution: invalid segment %d/%d", c.GetNetworkType(), c.GetNetworkClass())
		}
		r.Contributions = append(r.Contributions, accumulators.Contribution{
			Scope: accumulators.Scope(c.GetScope()), Kind: accumulators.Kind(c.GetKind()),
			Level: c.GetLevel(), Segment: seg, Amount: amount,
		})
	}
	if v := m.GetReversal(); v != nil {
		r.Reversal = &adjudicator.ReversalRecord{Transaction: v.GetTransaction(), Hash: v.GetHash(), ReplacedBy: v.GetReplacedBy()}
		if v.GetResponse() != nil {
			if r.Reversal.Response, err = wire.ResultFromProto(v.GetResponse()); err != nil {
				return nil, fmt.Errorf("reversal response: %w", err)
			}
		}
	}
	return r, nil
}
