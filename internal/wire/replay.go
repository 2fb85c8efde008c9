package wire

import (
	"github.com/rxclaims/rxclaims/adjudicator"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// ReplayToProto converts a claim replay to the wire.
func ReplayToProto(r *adjudicator.Replay) *pb.ClaimReplay {
	out := &pb.ClaimReplay{ClaimId: r.ClaimID, ConfigVersion: r.ConfigVersion, Skipped: r.Skipped}
	if r.Original != nil {
		out.Original = ResultToProto(r.Original, true)
	}
	if r.Replayed != nil {
		out.Replayed = ResultToProto(r.Replayed, true)
	}
	for _, d := range r.Differences {
		out.Differences = append(out.Differences, &pb.ReplayDifference{Field: d.Field, Original: d.Original, Replayed: d.Replayed})
	}
	return out
}

// ReplayFromProto converts a wire claim replay back.
func ReplayFromProto(p *pb.ClaimReplay) (*adjudicator.Replay, error) {
	out := &adjudicator.Replay{ClaimID: p.GetClaimId(), ConfigVersion: p.GetConfigVersion(), Skipped: p.GetSkipped()}
	var err error
	if p.GetOriginal() != nil {
		if out.Original, err = ResultFromProto(p.GetOriginal()); err != nil {
			return nil, err
		}
	}
	if p.GetReplayed() != nil {
		if out.Replayed, err = ResultFromProto(p.GetReplayed()); err != nil {
			return nil, err
		}
	}
	for _, d := range p.GetDifferences() {
		out.Differences = append(out.Differences, adjudicator.Difference{Field: d.GetField(), Original: d.GetOriginal(), Replayed: d.GetReplayed()})
	}
	return out, nil
}
