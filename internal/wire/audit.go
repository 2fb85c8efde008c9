package wire

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// AuditEntryToProto converts an audit trail entry to the wire.
func AuditEntryToProto(e adjudicator.AuditEntry) *pb.AuditEntry {
	return &pb.AuditEntry{
		Seq: e.Seq, Time: timestamp(e.Time), Subject: e.Subject, Source: e.Source, Role: e.Role, Method: e.Method,
		Objects: e.Objects, Detail: e.Detail, Outcome: e.Outcome, PrevHash: e.Prev.String(), Hash: e.Hash.String(),
	}
}

// AuditEntryFromProto converts an audit trail entry from the wire.
func AuditEntryFromProto(p *pb.AuditEntry) (adjudicator.AuditEntry, error) {
	e := adjudicator.AuditEntry{Seq: p.GetSeq(), Subject: p.GetSubject(), Source: p.GetSource(), Role: p.GetRole(),
		Method: p.GetMethod(), Objects: p.GetObjects(), Detail: p.GetDetail(), Outcome: p.GetOutcome()}
	t, err := time.Parse(time.RFC3339Nano, p.GetTime())
	if err != nil {
		return e, fmt.Errorf("audit entry %d: time: %w", p.GetSeq(), err)
	}
	e.Time = t
	for _, h := range []struct {
		dst *adjudicator.AuditHash
		src string
	}{{&e.Prev, p.GetPrevHash()}, {&e.Hash, p.GetHash()}} {
		b, err := hex.DecodeString(h.src)
		if err != nil || len(b) != len(h.dst) {
			return e, fmt.Errorf("audit entry %d: a hash is not 64 hex digits", p.GetSeq())
		}
		copy(h.dst[:], b)
	}
	return e, nil
}

// PendingImportToProto converts a pending import (without its bundle) to
// the wire.
func PendingImportToProto(p adjudicator.PendingImport) *pb.PendingImport {
	return &pb.PendingImport{Id: p.ID, ProposedBy: p.ProposedBy, ProposedAt: timestamp(p.ProposedAt), Summary: ImportSummaryToProto(p.Summary)}
}
