// Package accumulators keeps a member's and a family's accumulated values
// (deductible met, out-of-pocket spent, plan paid, Rx count) per benefit
// period, stored by network segment (DOMAIN.md section 8).
//
// A Doc holds every bucket of one member or family for one period. Every
// claim's contributions are recorded with the claim, so a reversal removes
// exactly what the claim added. Persistence lives in internal/store; this
// package is pure and safe to test without a disk.
package accumulators
