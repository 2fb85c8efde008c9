package wire

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"sigs.k8s.io/yaml"
)

// EditFromJSON reads one edit in the configuration bundle's edit format
// (JSON, or YAML, which is read the same way). Unknown fields are errors.
func EditFromJSON(data []byte) (edits.Edit, error) {
	var e edits.Edit
	if err := yaml.UnmarshalStrict(data, &e); err != nil {
		return edits.Edit{}, fmt.Errorf("edit_json: %w", err)
	}
	return e, nil
}

// EditToProto carries an edit version as its JSON document plus a summary.
func EditToProto(e edits.Edit) (*pb.EditVersion, error) {
	doc, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	a := e.Audit
	return &pb.EditVersion{
		EditJson: string(doc), Id: e.ID, Version: int32(e.Version), Status: string(e.Status), Name: e.Name,
		Kind: string(e.Kind), Family: string(e.Kind.Family()), Level: e.Level.String(),
		Effective: e.From.String(), Termination: e.To.String(),
		CreatedBy: a.CreatedBy, CreatedAt: timestamp(a.CreatedAt), UpdatedBy: a.UpdatedBy, UpdatedAt: timestamp(a.UpdatedAt),
		ActivatedBy: a.ActivatedBy, ActivatedAt: timestamp(a.ActivatedAt), SelfActivated: a.SelfActivated,
		InactivatedBy: a.InactivatedBy, InactivatedAt: timestamp(a.InactivatedAt),
		ImportedBy: a.ImportedBy, ImportedAt: timestamp(a.ImportedAt),
	}, nil
}

// EditFromProto reads the edit a version carries.
func EditFromProto(p *pb.EditVersion) (edits.Edit, error) {
	return EditFromJSON([]byte(p.GetEditJson()))
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ProblemsToProto converts validation problems to the wire.
func ProblemsToProto(ps []edits.Problem) []*pb.ValidationProblem {
	out := make([]*pb.ValidationProblem, len(ps))
	for i, p := range ps {
		out[i] = &pb.ValidationProblem{Field: p.Field, Message: p.Message}
	}
	return out
}

// ProblemsFromProto converts validation problems from the wire.
func ProblemsFromProto(ps []*pb.ValidationProblem) []edits.Problem {
	out := make([]edits.Problem, len(ps))
	for i, p := range ps {
		out[i] = edits.Problem{Field: p.GetField(), Message: p.GetMessage()}
	}
	return out
}

// ImportSummaryToProto converts an import's counts to the wire.
func ImportSummaryToProto(s adjudicator.ImportSummary) *pb.ImportBundleResponse {
	return &pb.ImportBundleResponse{
		Plans: int32(s.Plans), Networks: int32(s.Networks), Pharmacies: int32(s.Pharmacies), Drugs: int32(s.Drugs),
		Clients: int32(s.Clients), Groups: int32(s.Groups), EditsAdded: int32(s.EditsAdded),
		EditsUnchanged: int32(s.EditsUnchanged), Families: int32(s.Families), Schedules: int32(s.Schedules),
		EditsActivated: int32(s.EditsActivated), Settings: s.Settings,
	}
}

// ImportSummaryFromProto converts an import's counts from the wire.
func ImportSummaryFromProto(p *pb.ImportBundleResponse) adjudicator.ImportSummary {
	return adjudicator.ImportSummary{
		Plans: int(p.GetPlans()), Networks: int(p.GetNetworks()), Pharmacies: int(p.GetPharmacies()), Drugs: int(p.GetDrugs()),
		Clients: int(p.GetClients()), Groups: int(p.GetGroups()), EditsAdded: int(p.GetEditsAdded()),
		EditsUnchanged: int(p.GetEditsUnchanged()), Families: int(p.GetFamilies()), Schedules: int(p.GetSchedules()),
		EditsActivated: int(p.GetEditsActivated()), Settings: p.GetSettings(),
	}
}
