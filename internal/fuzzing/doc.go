// Package fuzzing runs every fuzz target of the module briefly as part of
// the ordinary test command (`go test -race ./...`): each target's seed
// corpus already runs as a plain test in its own package; this package's
// test adds a short random run of each (fuzzing_test.go), so a fuzz
// oracle that has fallen behind the code, or a crasher, fails CI. It has
// no code of its own.
package fuzzing
