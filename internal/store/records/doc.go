// Package records is the stored form of every kind of record the
// adjudicator's store keeps, shared by every store implementation: the
// Pebble store uses it, and a store over another database reuses it rather
// than inventing a format of its own. It never imports a database.
//
// Each kind of record has exactly one encoding:
//
//	kind                  encoding                                   functions
//	claim record          protobuf rxclaims.store.v1.ClaimRecord     EncodeClaim, DecodeClaim
//	accumulator document  accumulators binary codec (Doc.Encode)     EncodeDocument, DecodeDocument
//	history entry         JSON of adjudicator.HistoryEntry           EncodeHistory, DecodeHistory
//	history summary       compact binary, versioned (history.go)      EncodeHistorySummary, DecodeHistorySummary
//	family                JSON of domain.Family                      EncodeFamily, DecodeFamily
//	configuration base    JSON of config.Config                      EncodeConfig, DecodeConfig
//	edit version          JSON of edits.Edit                         EncodeEdit, DecodeEdit
//	pending import        JSON of adjudicator.PendingImport          EncodePendingImport, DecodePendingImport
//	audit entry           canonical binary (audit.go), hash-chained  EncodeAudit, DecodeAudit, AuditHashOf
//
// Why these and not one: claim records are protobuf, with messages of
// their own (not the public API), so a field can be added without breaking
// old records. Accumulator documents are read and written by every claim,
// so they keep the compact binary codec of package accumulators, the
// fastest to decode. Histories, families and the configuration are JSON,
// as they have always been stored, so existing data directories read
// unchanged; their enums (network type and class, brand class, scope,
// kind) are written by name through MarshalText, so renumbering a Go
// constant cannot change their meaning.
//
// A claim record's trace (ClaimResult.trace_steps) is a binary form of its
// own (trace.go), versioned by a leading byte: the step names and formats
// every claim repeats are written as numbers of an append-only dictionary
// (tracedict.go, pinned by testdata/trace_dictionary.txt), a string named
// again as a number of its first writing, others as text.
//
// A member's history summary (its recent entries in one record, which
// the claim path reads instead of scanning the entries) is read and
// written by every claim of the member, so it is binary like the
// documents, with a version byte.
//
// Audit entries have an encoding of their own because the chain hash is
// computed over it: it must be canonical (one entry, one byte string), so
// it is written field by field, with a version byte, rather than by an
// encoder whose output may change between library versions.
//
// Stored numbers: the claim record's enums are proto enums whose numbers
// are fixed in records.proto, mapped to the Go constants by name in
// enums.go; the accumulator document codec writes the Go values of
// accumulators.Kind, domain.NetworkType and domain.NetworkClass as bytes.
// TestStoredNumbers and the golden encodings in testdata fail when any
// stored number changes.
package records
