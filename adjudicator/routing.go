package adjudicator

import (
	"maps"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
)

// BIN/PCN routing (DOMAIN.md section 6, step 1). A switch routes a claim to
// its processor by BIN [101-A1] and PCN [104-A4]; the processor answers only
// for the pairs it owns: PBM-wide routes (every member) and client routes
// (only the members of the client's groups). With no route configured at
// all, every BIN/PCN is accepted.

// route is what a BIN/PCN reaches: every member, or the members of clients.
type route struct {
	name    string   // "610999/RXCLAIMS", for the trace
	any     bool     // a PBM-wide route: every member
	clients []string // the clients whose members it reaches, sorted
}

// routeKey is a route's key: the BIN and the PCN in upper case.
func routeKey(bin, pcn string) config.Route { return config.Route{BIN: bin, PCN: strings.ToUpper(pcn)} }

// compileRoutes indexes the PBM's and the clients' routes, each from the
// latest Active version of its level (config.LatestActive): a BIN/PCN is
// where switches send claims from the moment it is activated, whatever a
// claim's date of service. It is nil when no route is configured.
func compileRoutes(cfg *config.Config) map[config.Route]*route {
	var routes map[config.Route]*route
	add := func(r config.Route, client string) {
		if routes == nil {
			routes = map[config.Route]*route{}
		}
		k := routeKey(r.BIN, r.PCN)
		rt := routes[k]
		if rt == nil {
			rt = &route{name: k.String()}
			routes[k] = rt
		}
		if client == "" {
			rt.any = true
		} else if !slices.Contains(rt.clients, client) {
			rt.clients = append(rt.clients, client)
			slices.Sort(rt.clients)
		}
	}
	for _, r := range cfg.PBM().Routes {
		add(r, "")
	}
	clients := config.LatestActive(cfg.Clients)
	for _, id := range slices.Sorted(maps.Keys(clients)) {
		for _, r := range clients[id].Routes {
			add(r, id)
		}
	}
	return routes
}

// routeOf finds the route of a claim's BIN and PCN. A BIN the PBM does not
// answer for rejects 01 (M/I IIN Number: not a BIN of this processor); a
// known BIN with a PCN it was not assigned rejects 1T (PCN Must Contain
// Processor/Payer Assigned Value). It returns nil, true when no route is
// configured, and traces only a rejection.
func routeOf(s *snapshot, r *Response, bin, pcn string) (*route, bool) {
	if s.routes == nil {
		return nil, true
	}
	if rt := s.routes[routeKey(bin, pcn)]; rt != nil {
		return rt, true
	}
	for k := range s.routes {
		if k.BIN == bin {
			r.reject(ncpdp.RejectPCNMustContainProcessorPayerAssignedValue)
			r.trace(stepRouting, "", "", "PCN %s is not assigned under BIN %s", pcn, bin)
			return nil, false
		}
	}
	r.reject(ncpdp.RejectMIIINNumber)
	r.trace(stepRouting, "", "", "BIN %s is not one this processor answers for", bin)
	return nil, false
}

const stepRouting = "routing"

// reaches reports whether a client route reaches the family and the group
// the claim names (301-C1). A group the route's clients do not have rejects
// 51 (Non-Matched Group ID); a family of another client's group is not
// found under the route, 52 (Non-Matched Cardholder ID).
func (rt *route) reaches(s *snapshot, r *Response, fam *domain.Family, group string) bool {
	if rt == nil || rt.any {
		return true
	}
	owned := func(id string) bool { g := s.groups[id]; return g != nil && slices.Contains(rt.clients, g.ClientID) }
	if group != "" && !owned(group) {
		r.reject(ncpdp.RejectNonMatchedGroupID)
		r.trace(stepEligibility, "", "", "group %s is not a group of %s, which BIN/PCN %s serves", group, strings.Join(rt.clients, ", "), rt.name)
		return false
	}
	if !owned(fam.GroupID) {
		r.reject(ncpdp.RejectNonMatchedCardholderID)
		r.trace(stepEligibility, "", "", "the cardholder is not enrolled under BIN/PCN %s: the family's group is not one of %s", rt.name, strings.Join(rt.clients, ", "))
		return false
	}
	return true
}

// samePayer reports whether a reversal or rebill names the BIN and PCN its
// paid claim was billed under.
func samePayer(rec *ClaimRecord, bin, pcn string) bool {
	return rec.Claim == nil || rec.Claim.BIN == bin && strings.EqualFold(rec.Claim.PCN, pcn)
}
