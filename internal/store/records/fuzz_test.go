package records_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// FuzzDecodeClaim: a stored claim record, however damaged, decodes or
// fails with an error, never a panic; one that decodes encodes again to
// bytes that decode to the same record, and encode the same.
func FuzzDecodeClaim(f *testing.F) {
	for _, name := range []string{"claim_record.pb", "claim_record_trace.pb"} {
		f.Add(readGolden(f, name))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := records.DecodeClaim(b)
		if err != nil {
			return
		}
		enc, err := records.EncodeClaim(rec)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		again, err := records.DecodeClaim(enc)
		if err != nil {
			t.Fatalf("a re-encoded record does not decode: %v", err)
		}
		if diff := cmp.Diff(rec, again, cmpOpts...); diff != "" {
			t.Fatalf("re-encoding changed the record (-first +again):\n%s", diff)
		}
		if enc2, err := records.EncodeClaim(again); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}
