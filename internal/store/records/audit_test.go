package records_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// goldenAudit is the entry of testdata/audit_entry.bin.
func goldenAudit() adjudicator.AuditEntry {
	e := adjudicator.AuditEntry{
		Seq: 42, Time: time.Date(2026, 11, 20, 9, 30, 15, 123456789, time.UTC),
		Subject: "spiffe://rxclaims.example/analyst/bob", Source: "certificate", Role: "config-approver",
		Method: "/rxclaims.v1.AdminService/ActivateEdit", Objects: []string{"edit QTY-10 v1", "group GRP100"},
		Detail: "self-activation (settings.allow_self_activation)", Outcome: adjudicator.AuditOK,
	}
	for i := range e.Prev {
		e.Prev[i] = byte(i)
	}
	return e
}

// goldenAuditHash is the SHA-256 of the golden entry's encoding: the hash
// the next entry of a trail holds. It must never change for this entry.
const goldenAuditHash = "87d445c787feb95485e99b8f67c2f7816c44201d9b80e75282f2ae11d7e7891f"

// TestAuditGolden pins the canonical encoding the chain hashes cover: an
// entry written once must decode, re-encode to the same bytes and hash to
// the same value forever, or every stored chain would break.
func TestAuditGolden(t *testing.T) {
	want := goldenAudit()
	b := records.EncodeAudit(&want)
	golden := readGolden(t, "audit_entry.bin")
	if !bytes.Equal(b, golden) {
		t.Fatalf("EncodeAudit no longer writes the golden bytes: the canonical encoding changed\n got %x\nwant %x", b, golden)
	}
	got, err := records.DecodeAudit(golden)
	if err != nil {
		t.Fatal(err)
	}
	want.Hash = records.AuditHashOf(golden)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("golden entry decodes differently (-want +got):\n%s", diff)
	}
	if got.Hash.String() != goldenAuditHash {
		t.Errorf("hash %s, want %s", got.Hash, goldenAuditHash)
	}
}

// TestAuditEncodingIsCanonical: each field changes the encoding (and so
// the hash), an empty string differs from a missing object, and damaged
// bytes are refused.
func TestAuditEncodingIsCanonical(t *testing.T) {
	base := goldenAudit()
	seen := map[string]string{string(records.EncodeAudit(&base)): "golden"}
	for name, change := range map[string]func(*adjudicator.AuditEntry){
		"seq":         func(e *adjudicator.AuditEntry) { e.Seq++ },
		"time":        func(e *adjudicator.AuditEntry) { e.Time = e.Time.Add(time.Nanosecond) },
		"subject":     func(e *adjudicator.AuditEntry) { e.Subject = "mallory" },
		"source":      func(e *adjudicator.AuditEntry) { e.Source = "development" },
		"role":        func(e *adjudicator.AuditEntry) { e.Role = "auditor" },
		"method":      func(e *adjudicator.AuditEntry) { e.Method += "x" },
		"object":      func(e *adjudicator.AuditEntry) { e.Objects[1] = "group GRP101" },
		"no objects":  func(e *adjudicator.AuditEntry) { e.Objects = nil },
		"empty":       func(e *adjudicator.AuditEntry) { e.Objects = append(e.Objects, "") },
		"joined":      func(e *adjudicator.AuditEntry) { e.Objects = []string{"edit QTY-10 v1group GRP100"} },
		"detail":      func(e *adjudicator.AuditEntry) { e.Detail = "" },
		"outcome":     func(e *adjudicator.AuditEntry) { e.Outcome = adjudicator.AuditDenied },
		"prev":        func(e *adjudicator.AuditEntry) { e.Prev[31]++ },
		"field shift": func(e *adjudicator.AuditEntry) { e.Subject, e.Source = e.Subject+"c", e.Source[1:] },
	} {
		e := goldenAudit()
		e.Objects = append([]string(nil), e.Objects...)
		change(&e)
		b := string(records.EncodeAudit(&e))
		if other, ok := seen[b]; ok {
			t.Errorf("changing %s encodes as %s does", name, other)
		}
		seen[b] = name
	}
	good := records.EncodeAudit(&base)
	for _, bad := range [][]byte{nil, good[:len(good)-1], append(bytes.Clone(good), 0), append([]byte{2}, good[1:]...)} {
		if _, err := records.DecodeAudit(bad); err == nil {
			t.Errorf("DecodeAudit(%x) succeeded", bad)
		}
	}
}
