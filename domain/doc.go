// Package domain holds the reference data every process of the service
// shares: families and members with their coverages and prior
// authorizations, drugs, pharmacies and networks, and the small value types
// they are made of (dates and date ranges, money formatting, network
// segments, brand classes, identifier checks).
//
// It imports only the standard library and decimal, so the engine, the
// edits, the store and the loader can all use it without depending on each
// other.
package domain
