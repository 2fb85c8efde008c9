package records

import (
	"fmt"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/domain"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
)

// The stored numbers of the engine's enums, by name: renumbering a Go
// constant leaves the stored number where it is.
var (
	scopes = map[accumulators.Scope]storev1.Scope{
		accumulators.Member: storev1.Scope_SCOPE_MEMBER,
		accumulators.Family: storev1.Scope_SCOPE_FAMILY,
	}
	kinds = map[accumulators.Kind]storev1.Kind{
		accumulators.Deductible:  storev1.Kind_KIND_DEDUCTIBLE,
		accumulators.OutOfPocket: storev1.Kind_KIND_OUT_OF_POCKET,
		accumulators.PlanPaid:    storev1.Kind_KIND_PLAN_PAID,
		accumulators.RxCount:     storev1.Kind_KIND_RX_COUNT,
		accumulators.Units:       storev1.Kind_KIND_UNITS,
	}
	networkTypes = map[domain.NetworkType]storev1.NetworkType{
		domain.Retail:    storev1.NetworkType_NETWORK_TYPE_RETAIL,
		domain.Retail90:  storev1.NetworkType_NETWORK_TYPE_RETAIL90,
		domain.Mail:      storev1.NetworkType_NETWORK_TYPE_MAIL,
		domain.Specialty: storev1.NetworkType_NETWORK_TYPE_SPECIALTY,
	}
	networkClasses = map[domain.NetworkClass]storev1.NetworkClass{
		domain.InNetwork:    storev1.NetworkClass_NETWORK_CLASS_IN,
		domain.OutOfNetwork: storev1.NetworkClass_NETWORK_CLASS_OUT,
	}
	// The same, by stored number: a claim record's contributions are read
	// on every claim read, where ranging over the maps above was a tenth of
	// a dry run's decoding.
	scopesBack, kindsBack                = invert(scopes), invert(kinds)
	networkTypesBack, networkClassesBack = invert(networkTypes), invert(networkClasses)
)

// invert returns m by value.
func invert[G, S comparable](m map[G]S) map[S]G {
	out := make(map[S]G, len(m))
	for g, s := range m {
		out[s] = g
	}
	return out
}

// toStored maps an engine value to its stored enum.
func toStored[G comparable, S ~int32](m map[G]S, v G, what string) (S, error) {
	s, ok := m[v]
	if !ok {
		return 0, fmt.Errorf("%s %v has no stored value", what, v)
	}
	return s, nil
}

// fromStored maps a stored enum back to the engine's value (back is the
// inverse of the toStored map).
func fromStored[G comparable, S ~int32](back map[S]G, s S, what string) (G, error) {
	g, ok := back[s]
	if !ok {
		return g, fmt.Errorf("unknown stored %s %d", what, s)
	}
	return g, nil
}
