package edits

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rxclaims/rxclaims/domain"
)

// AccumulationMode says which stored accumulator buckets a limit reads
// (DOMAIN.md section 8). Contributions are always stored by segment; the
// mode only chooses what is summed when a limit is tested.
type AccumulationMode uint8

// The accumulation modes.
const (
	// DefaultProcessing reads only the bucket of the claim's own network type
	// and classification.
	DefaultProcessing AccumulationMode = iota
	// Advanced reads the sum over the selected network types × classifications.
	Advanced
	// PlanAccumulation reads the plan-default total over all segments.
	PlanAccumulation
)

var accumulationModeNames = [...]string{"DEFAULT", "ADVANCED", "PLAN"}

func (m AccumulationMode) String() string {
	if int(m) < len(accumulationModeNames) {
		return accumulationModeNames[m]
	}
	return fmt.Sprintf("AccumulationMode(%d)", m)
}

// MarshalText implements encoding.TextMarshaler.
func (m AccumulationMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is DEFAULT.
func (m *AccumulationMode) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = DefaultProcessing
		return nil
	}
	for i, n := range accumulationModeNames {
		if n == string(b) {
			*m = AccumulationMode(i)
			return nil
		}
	}
	return fmt.Errorf("accumulation mode %q: want DEFAULT, ADVANCED or PLAN", b)
}

// Accumulation is a limit's accumulation setting.
type Accumulation struct {
	Mode         AccumulationMode      `json:"mode,omitempty"`
	NetworkTypes []domain.NetworkType  `json:"network_types,omitempty"`
	Classes      []domain.NetworkClass `json:"classifications,omitempty"`
}

// Validate enforces the rules of DOMAIN.md section 8: Advanced needs at
// least one network type and one classification; the other modes take none.
func (a Accumulation) Validate() error {
	switch a.Mode {
	case Advanced:
		if len(a.NetworkTypes) == 0 || len(a.Classes) == 0 {
			return errors.New("advanced accumulation needs at least one network type and one classification")
		}
		for _, t := range a.NetworkTypes {
			if t < domain.Retail || t > domain.Specialty {
				return fmt.Errorf("advanced accumulation: invalid network type %d", t)
			}
		}
		for _, c := range a.Classes {
			if c != domain.InNetwork && c != domain.OutOfNetwork {
				return fmt.Errorf("advanced accumulation: invalid classification %d", c)
			}
		}
	case DefaultProcessing, PlanAccumulation:
		if len(a.NetworkTypes) > 0 || len(a.Classes) > 0 {
			return fmt.Errorf("%s accumulation does not take network selections", a.Mode)
		}
	default:
		return fmt.Errorf("invalid accumulation mode %d", a.Mode)
	}
	return nil
}

// Reads reports whether a limit with this setting, tested for a claim in
// segment claim, counts the bucket stored under segment stored.
func (a Accumulation) Reads(stored, claim domain.Segment) bool {
	switch a.Mode {
	case PlanAccumulation:
		return true
	case Advanced:
		return slices.Contains(a.NetworkTypes, stored.Type) && slices.Contains(a.Classes, stored.Class)
	default:
		return stored == claim
	}
}
