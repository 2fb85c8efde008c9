package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
)

// cpuProfileEnv names a file the server writes a CPU profile of its whole
// run to, for profiling it under the bench's load:
//
//	RXCLAIMS_CPU_PROFILE=/tmp/cpu.out go run ./cmd/bench --short
//	go tool pprof -top /tmp/cpu.out
//
// The server inherits the bench's environment. Unset, nothing is profiled.
const cpuProfileEnv = "RXCLAIMS_CPU_PROFILE"

// startCPUProfile starts the profile the environment asks for and returns
// the function that writes it out at shutdown.
func startCPUProfile(log *slog.Logger) (stop func(), err error) {
	path := os.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	log.Info("writing a CPU profile", "path", path)
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			log.Error("CPU profile", "error", err)
		}
	}, nil
}
