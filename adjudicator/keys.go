package adjudicator

import (
	"context"
	"fmt"
	"strings"
)

// canonicalRxNumber is the Rx number (402-D2) in its canonical form. The
// field is numeric, so leading zeros carry no meaning: 5550001, 05550001
// and 0005550001 are one prescription. It strips them, leaving "0" for all
// zeros. The claim key and the content hashes use this form.
func canonicalRxNumber(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// legacyKeys are the forms key (canonical) may have been stored under
// before keys were canonical: the Rx number with one to eleven leading
// zeros, up to the field's 12 digits. Claims written since are indexed
// under the canonical key only.
func legacyKeys(key ClaimKey) []ClaimKey {
	var keys []ClaimKey
	for rx := "0" + key.RxNumber; len(rx) <= maxRxDigits; rx = "0" + rx {
		k := key
		k.RxNumber = rx
		keys = append(keys, k)
	}
	return keys
}

// recordsUnderKey returns the records the index holds under the canonical
// key a.key and under its legacy forms, the canonical one first.
func (a *adjudication) recordsUnderKey(ctx context.Context) ([]*ClaimRecord, error) {
	var recs []*ClaimRecord
	add := func(k ClaimKey) error {
		rec, err := a.store.ClaimByKey(ctx, k)
		if err != nil {
			return fmt.Errorf("claim lookup: %w", err)
		}
		if rec != nil {
			recs = append(recs, rec)
		}
		return nil
	}
	if err := add(a.key); err != nil || a.engine.canonicalKeysOnly {
		return recs, err
	}
	for _, k := range legacyKeys(a.key) {
		if err := add(k); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// firstPaid returns the paid record among recs, preferring one whose Rx
// number was submitted exactly as rx (data written before keys were
// canonical may hold several), or nil.
func firstPaid(recs []*ClaimRecord, rx string) *ClaimRecord {
	var paid *ClaimRecord
	for _, rec := range recs {
		if !rec.Paid() {
			continue
		}
		if rec.Claim != nil && rec.Claim.RxNumber == rx {
			return rec
		}
		if paid == nil {
			paid = rec
		}
	}
	return paid
}

// sameContent reports whether paid carries the content of the submitted
// claim. A record written before keys were canonical stored the hash of
// its Rx number as submitted, so its claim is hashed again.
func (a *adjudication) sameContent(paid *ClaimRecord) bool {
	return paid.Hash == a.hash || paid.Claim != nil && paid.Claim.hash() == a.hash
}

// repeatedReversal returns the record among recs that a reversal with the
// content hash already reversed, or nil.
func repeatedReversal(recs []*ClaimRecord, hash string) *ClaimRecord {
	for _, rec := range recs {
		if !rec.Paid() && rec.Reversal.Hash == hash && rec.Reversal.Response != nil {
			return rec
		}
	}
	return nil
}
