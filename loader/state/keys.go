package state

import (
	"encoding/binary"
)

// The loader's Pebble keys. Each kind has a short prefix and a zero
// separator; sequence numbers are 8-byte big-endian so keys sort by them.
//
//	m  group cardholder person        member record (the last processed)
//	f  group fileseq                  file status
//	fs group                          the group's last file sequence
//	sum checksum                      group, fileseq of a processed file
//	j  group fileseq n                journal entry
//	e  group fileseq line             a bad record's reason
//	s  group fileseq cardholder person  member seen in a full file
//	vi group fileseq cardholder person  first line of a member in a file (validation)
//	dup group fileseq line            a record whose member is on another line too
//	r  group fileseq cardholder person  retroactive change
//	o  seq                            outbox batch
//	oseq / ack                        last outbox seq written / acknowledged
//	lock group                        the file a rewind is undoing
//	pv group cardholder               a family's policy head (active, pending, last version)
//	v  group cardholder version       a family's policy version
//	pf group fileseq cardholder       a pending copy a file made
//	kept group fileseq cardholder     a family the file's rewind could not remove
//	d ndc / p npi / n id              drugs, pharmacies, networks as last loaded
//	s id                              a rate schedule as last loaded
//	in name                           an inbox file staged as group, fileseq

// Sep separates the parts of a key.
const Sep = "\x00"

// U64 is n as 8 big-endian bytes, so keys sort by it.
func U64(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return string(b[:])
}

// ReadU64 reads U64's form; anything else (a missing value) is 0.
func ReadU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// MemberPrefix is the prefix of a group's member records.
func MemberPrefix(group string) string { return "m" + Sep + group + Sep }

// FamilyPrefix is the prefix of a family's member records.
func FamilyPrefix(group, cardholder string) string {
	return MemberPrefix(group) + cardholder + Sep
}

// MemberKey is a member record's key.
func MemberKey(group, cardholder, person string) []byte {
	return []byte(FamilyPrefix(group, cardholder) + person)
}

// FileKey is a file status's key.
func FileKey(group string, seq uint64) []byte { return []byte("f" + Sep + group + Sep + U64(seq)) }

// FileSeqKey holds the group's last file sequence.
func FileSeqKey(group string) []byte { return []byte("fs" + Sep + group) }

// SumKey maps a processed file's checksum to its group and sequence.
func SumKey(sum string) []byte { return []byte("sum" + Sep + sum) }

// FileScoped is the prefix of a file's keys of one kind (j, e, s, r, pf, kept).
func FileScoped(prefix, group string, seq uint64) string {
	return prefix + Sep + group + Sep + U64(seq) + Sep
}

// JournalKey is a file's journal entry n.
func JournalKey(group string, seq, n uint64) []byte {
	return []byte(FileScoped("j", group, seq) + U64(n))
}

// ErrorKey is the reason the record on a file's line was bad.
func ErrorKey(group string, seq uint64, line int) []byte {
	return []byte(FileScoped("e", group, seq) + U64(uint64(line)))
}

// RemovalErrorKey is the reason a full file's removal failed: line 0,
// then the member.
func RemovalErrorKey(group string, seq uint64, cardholder, person string) []byte {
	return []byte(FileScoped("e", group, seq) + U64(0) + cardholder + Sep + person)
}

// SeenKey marks a member seen in a full file.
func SeenKey(group string, seq uint64, cardholder, person string) []byte {
	return []byte(FileScoped("s", group, seq) + cardholder + Sep + person)
}

// MemberLineKey holds the first line of a file a member is on, while the
// file is validated.
func MemberLineKey(group string, seq uint64, cardholder, person string) []byte {
	return []byte(FileScoped("vi", group, seq) + cardholder + Sep + person)
}

// DuplicateKey marks the record on a file's line as one of several records
// of the same member in the file; its value is another such line.
func DuplicateKey(group string, seq uint64, line int) []byte {
	return []byte(FileScoped("dup", group, seq) + U64(uint64(line)))
}

// RetroKey marks a member a file changed retroactively.
func RetroKey(group string, seq uint64, cardholder, person string) []byte {
	return []byte(FileScoped("r", group, seq) + cardholder + Sep + person)
}

// PolicyHeadKey is a family's policy head.
func PolicyHeadKey(group, cardholder string) []byte {
	return []byte("pv" + Sep + group + Sep + cardholder)
}

// VersionPrefix is the prefix of a family's policy versions.
func VersionPrefix(group, cardholder string) string {
	return "v" + Sep + group + Sep + cardholder + Sep
}

// VersionKey is a family's policy version v.
func VersionKey(group, cardholder string, v uint64) []byte {
	return []byte(VersionPrefix(group, cardholder) + U64(v))
}

// PendingFileKey marks a pending policy copy a file made.
func PendingFileKey(group string, seq uint64, cardholder string) []byte {
	return []byte(FileScoped("pf", group, seq) + cardholder)
}

// KeptKey marks a family a rewind left with no member that the adjudicator
// kept, with no coverage, because it has paid claims.
func KeptKey(group string, seq uint64, cardholder string) []byte {
	return []byte(FileScoped("kept", group, seq) + cardholder)
}

// InboxKey maps a staged inbox file's name to its group and sequence.
func InboxKey(name string) []byte { return []byte("in" + Sep + name) }

// OutboxKey is outbox batch seq.
func OutboxKey(seq uint64) []byte { return []byte("o" + Sep + U64(seq)) }

// LockKey holds the file a group's rewind is undoing.
func LockKey(group string) []byte { return []byte("lock" + Sep + group) }

// DrugKey, PharmacyKey, NetworkKey and ScheduleKey are the catalog
// records as last loaded.
func DrugKey(ndc string) []byte     { return []byte("d" + Sep + ndc) }
func PharmacyKey(npi string) []byte { return []byte("p" + Sep + npi) }
func NetworkKey(id string) []byte   { return []byte("n" + Sep + id) }
func ScheduleKey(id string) []byte  { return []byte("s" + Sep + id) }

// PrescriberKey is a prescriber record as last loaded (its prefix differs
// from the retroactive-change keys' "r").
func PrescriberKey(npi string) []byte { return []byte(PrescriberPrefix + npi) }

// PrescriberPrefix begins every PrescriberKey.
const PrescriberPrefix = "rx" + Sep

// OutboxSeqKey holds the last outbox batch written, AckKey the last one
// acknowledged; OutboxPrefix is the prefix of the outbox batches.
var (
	OutboxSeqKey = []byte("oseq")
	AckKey       = []byte("ack")
	OutboxPrefix = "o" + Sep
)

// PriorAuthKey is a prior authorization record's key, by member and number.
func PriorAuthKey(cardholder, person, number string) []byte {
	return []byte("q" + Sep + cardholder + Sep + person + Sep + number)
}
