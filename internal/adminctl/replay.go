package adminctl

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

type replayCmd struct {
	ClaimID string `arg:"" name:"CLAIM_ID" help:"The stored claim's ID."`
}

// errDifferent makes adjctl exit non-zero when a replay differs.
var errDifferent = errors.New("the replay differs from the stored answer")

func (c *replayCmd) Run(s *session) error {
	r, err := s.admin.ReplayClaim(s.ctx, c.ClaimID)
	if err != nil {
		return err
	}
	if s.json {
		return s.printProto(&pb.ReplayClaimResponse{Replay: wire.ReplayToProto(r)})
	}
	if err := s.printReplay(r); err != nil {
		return err
	}
	if r.Replayed != nil {
		if err := s.printResult(r.Replayed); err != nil {
			return err
		}
	}
	if len(r.Differences) > 0 || r.Skipped != "" {
		return errDifferent
	}
	return nil
}

// printReplay prints a replay's verdict and its differences, field by field.
func (s *session) printReplay(r *adjudicator.Replay) error {
	switch {
	case r.Skipped != "":
		fmt.Fprintf(s.out, "claim %s: not replayed: %s\n", r.ClaimID, r.Skipped)
		return nil
	case len(r.Differences) == 0:
		fmt.Fprintf(s.out, "claim %s (configuration v%d): replay gives the stored answer\n", r.ClaimID, r.ConfigVersion)
		return nil
	}
	fmt.Fprintf(s.out, "claim %s (configuration v%d): %d field(s) differ\n", r.ClaimID, r.ConfigVersion, len(r.Differences))
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  FIELD\tSTORED\tREPLAYED")
	for _, d := range r.Differences {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", d.Field, d.Original, d.Replayed)
	}
	return w.Flush()
}

type replayStoreCmd struct {
	MaxReported int `name:"max-reported" default:"100" help:"Report at most this many differing claims."`
}

func (c *replayStoreCmd) Run(s *session) error {
	var reported []*adjudicator.Replay
	sum, err := s.admin.ReplayStore(s.ctx, c.MaxReported, func(r *adjudicator.Replay) error {
		reported = append(reported, r)
		return nil
	})
	if err != nil {
		return err
	}
	if s.json {
		out := &pb.ReplayStoreResponse{Claims: int64(sum.Claims), Same: int64(sum.Same), Different: int64(sum.Different), Skipped: int64(sum.Skipped)}
		for _, r := range reported {
			out.Reported = append(out.Reported, wire.ReplayToProto(r))
		}
		if err := s.printProto(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(s.out, "replayed %d claims: %d same, %d different, %d not replayed\n", sum.Claims, sum.Same, sum.Different, sum.Skipped)
		for _, r := range reported {
			if err := s.printReplay(r); err != nil {
				return err
			}
		}
	}
	if sum.Different > 0 {
		return errDifferent
	}
	return nil
}
