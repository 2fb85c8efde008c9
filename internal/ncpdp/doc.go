// Package ncpdp holds the NCPDP Telecommunication Standard code tables the
// service speaks on the wire: reject codes (511-FB, with one RejectCode
// constant per code), Dispense As Written (408-D8), Submission Clarification
// (420-DK) and the DUR Reason For Service (439-E4), Professional Service
// (440-E5) and Result Of Service (441-E6) codes.
//
// Everything in tables_gen.go is generated from the tab-separated tables in
// the tables directory (see tables/README.md for their source) by the gen
// command; never edit it or retype codes by hand. After changing the tables,
// run
//
//	go generate ./internal/ncpdp
//
// TestGeneratedIsUpToDate fails while tables_gen.go is stale.
package ncpdp

//go:generate go run ./gen -src tables -out tables_gen.go
