// Package parse holds the loader's pure parsers: an intake file's header
// and rows (CSV through encoding/csv, JSON lines), family records with
// their field constants, schema checks and stored form, catalog rows
// (drug, pharmacy, network, prescriber) and schedule rows, the conditions class and
// pend rules test, and the group profiles (YAML or JSON through
// goccy/go-yaml) with their hierarchy and pend rules.
//
// It reads from io.Reader and byte slices only: no files, no Pebble, no
// gRPC, no metrics, so every function here can be fuzzed on its own
// (FuzzParse*). The loader package applies what it parses.
package parse
