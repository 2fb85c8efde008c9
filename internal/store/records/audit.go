package records

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
)

// auditVersion is the first byte of an encoded audit entry. A new field is
// a new version; entries already written keep theirs, and their hashes.
const auditVersion = 1

// EncodeAudit writes an audit entry in its canonical encoding, which is
// both what is stored and what the chain hash covers. Every field is
// written, in this order, so one entry has exactly one encoding:
//
//	byte     version (1)
//	uvarint  seq
//	varint   time, Unix nanoseconds
//	string   subject, source, role, method
//	uvarint  number of objects, then each object as a string
//	string   detail, outcome
//	32 bytes prev (the hash of the entry before; zeros for the first)
//
// A string is its length (uvarint) then its UTF-8 bytes. The entry's own
// Hash is not part of its encoding: it is AuditHashOf of it.
func EncodeAudit(e *adjudicator.AuditEntry) []byte {
	b := make([]byte, 0, 128)
	b = append(b, auditVersion)
	b = binary.AppendUvarint(b, e.Seq)
	b = binary.AppendVarint(b, e.Time.UnixNano())
	for _, s := range []string{e.Subject, e.Source, e.Role, e.Method} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Objects)))
	for _, o := range e.Objects {
		b = appendString(b, o)
	}
	b = appendString(b, e.Detail)
	b = appendString(b, e.Outcome)
	return append(b, e.Prev[:]...)
}

// AuditHashOf is the hash of an encoded entry: SHA-256 of its bytes.
func AuditHashOf(encoded []byte) adjudicator.AuditHash { return sha256.Sum256(encoded) }

// DecodeAudit reads an entry written by EncodeAudit and sets its Hash from
// the bytes read. Trailing bytes, and any string that is not whole, are
// errors.
func DecodeAudit(b []byte) (adjudicator.AuditEntry, error) {
	d := decoder{b: b}
	var e adjudicator.AuditEntry
	if v := d.byte(); v != auditVersion {
		return e, fmt.Errorf("audit entry: unknown version %d", v)
	}
	e.Seq = d.uvarint()
	e.Time = time.Unix(0, d.varint()).UTC()
	e.Subject, e.Source, e.Role, e.Method = d.string(), d.string(), d.string(), d.string()
	n := d.uvarint()
	if n > uint64(len(b)) {
		return e, errors.New("audit entry: object count beyond the entry")
	}
	for range n {
		e.Objects = append(e.Objects, d.string())
	}
	e.Detail, e.Outcome = d.string(), d.string()
	copy(e.Prev[:], d.bytes(len(e.Prev)))
	switch {
	case d.err != nil:
		return e, fmt.Errorf("audit entry: %w", d.err)
	case len(d.b) != 0:
		return e, errors.New("audit entry: trailing bytes")
	}
	e.Hash = AuditHashOf(b)
	return e, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decoder reads the canonical encoding; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (d *decoder) bytes(n int) []byte {
	if d.err != nil || n < 0 || len(d.b) < n {
		d.err = errShort
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) byte() byte {
	if b := d.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	return string(d.bytes(int(n)))
}

// EncodePendingImport writes a pending import as JSON.
func EncodePendingImport(p *adjudicator.PendingImport) ([]byte, error) { return json.Marshal(p) }

// DecodePendingImport reads a pending import written by EncodePendingImport.
func DecodePendingImport(b []byte) (adjudicator.PendingImport, error) {
	var p adjudicator.PendingImport
	err := json.Unmarshal(b, &p)
	return p, err
}
