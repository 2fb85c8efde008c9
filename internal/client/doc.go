// Package client calls the adjudicator's gRPC services with the engine's
// domain types: Claims (ClaimsService), Admin (AdminService) and Operator
// (OperatorService). bench, adjctl, the loader's tests and the scenario
// tests use it, so the same code can drive the engine in process or the
// real server over gRPC.
package client
