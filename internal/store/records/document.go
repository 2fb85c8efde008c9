package records

import "github.com/rxclaims/rxclaims/accumulators"

// EncodeDocument writes an accumulator document in the binary codec of
// package accumulators: the one encoding of documents, kept because every
// claim reads and writes two of them.
func EncodeDocument(d *accumulators.Doc) []byte { return d.Encode() }

// DecodeDocument reads a document written by EncodeDocument.
func DecodeDocument(b []byte) (*accumulators.Doc, error) { return accumulators.Decode(b) }
