package state

import "encoding/json"

// JournalEntry is one record change a file made, in order: the member's
// record before (nil when the change created it) and after, and the
// activities the change amounts to.
type JournalEntry struct {
	N          uint64   `json:"n"`
	Cardholder string   `json:"c"`
	Person     string   `json:"p"`
	Key        []byte   `json:"k,omitempty"` // catalog entries: the record's key
	Activities []string `json:"a"`
	Before     []byte   `json:"b,omitempty"`
	After      []byte   `json:"x"`
}

// ReadJournal returns a file's journal entries in order.
func ReadJournal(r Reader, group string, seq uint64) ([]JournalEntry, error) {
	var out []JournalEntry
	err := Scan(r, FileScoped("j", group, seq), false, func(_, v []byte) error {
		var e JournalEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
