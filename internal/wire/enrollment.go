package wire

import (
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// The EnrollmentService conversions live in enrollwire (which the loader
// imports without linking the adjudicator); these forward to them for the
// server.

// FamilyFromProto is enrollwire.FamilyFromProto.
func FamilyFromProto(f *pb.FamilyRecord) (domain.Family, error) { return enrollwire.FamilyFromProto(f) }

// DrugFromProto is enrollwire.DrugFromProto.
func DrugFromProto(d *pb.DrugRecord) (domain.Drug, error) { return enrollwire.DrugFromProto(d) }

// PharmacyFromProto is enrollwire.PharmacyFromProto.
func PharmacyFromProto(p *pb.PharmacyRecord) (domain.Pharmacy, error) {
	return enrollwire.PharmacyFromProto(p)
}

// NetworkFromProto is enrollwire.NetworkFromProto.
func NetworkFromProto(n *pb.NetworkRecord) (domain.Network, error) {
	return enrollwire.NetworkFromProto(n)
}

// ScheduleFromProto is enrollwire.ScheduleFromProto.
func ScheduleFromProto(p *pb.ScheduleRecord) (edits.Schedule, error) {
	return enrollwire.ScheduleFromProto(p)
}
