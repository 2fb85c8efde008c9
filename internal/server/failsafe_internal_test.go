package server

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// TestClaimLimit: beyond the bound a claims call is answered
// ResourceExhausted without reaching its handler; other services are not
// bounded; a slot frees when a call ends; the metrics say so.
func TestClaimLimit(t *testing.T) {
	reg := prometheus.NewRegistry()
	l := newClaimLimit(2, Config{Registerer: reg})
	bill := &grpc.UnaryServerInfo{FullMethod: "/rxclaims.v1.ClaimsService/Bill"}
	admin := &grpc.UnaryServerInfo{FullMethod: "/rxclaims.v1.AdminService/ListEdits"}
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	blocking := func(context.Context, any) (any, error) { entered <- struct{}{}; <-release; return "paid", nil }
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.unary(ctx, nil, bill, blocking); err != nil {
				t.Error(err)
			}
		}()
		<-entered
	}
	reached := false
	handler := func(context.Context, any) (any, error) { reached = true; return "ok", nil }
	if _, err := l.unary(ctx, nil, bill, handler); status.Code(err) != codes.ResourceExhausted || reached {
		t.Fatalf("a third claim: %v (handler reached: %v), want ResourceExhausted without work", err, reached)
	}
	if _, err := l.unary(ctx, nil, admin, handler); err != nil || !reached {
		t.Fatalf("an admin call while claims are at their bound: %v", err)
	}
	// At the bound the tap sheds a claims call as its headers arrive.
	if _, err := l.tap(ctx, &tap.Info{FullMethodName: bill.FullMethod}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("tap at the bound: %v, want ResourceExhausted", err)
	}
	if _, err := l.tap(ctx, &tap.Info{FullMethodName: admin.FullMethod}); err != nil {
		t.Errorf("tap of an admin call at the bound: %v", err)
	}
	if got := gather(t, reg); !strings.Contains(got, "rxclaims_claims_in_flight 2") || !strings.Contains(got, `rxclaims_claims_shed_total{method="Bill"} 2`) {
		t.Errorf("metrics at the bound:\n%s", got)
	}
	close(release)
	wg.Wait()
	if _, err := l.tap(ctx, &tap.Info{FullMethodName: bill.FullMethod}); err != nil {
		t.Errorf("tap below the bound: %v", err)
	}
	reached = false
	if _, err := l.unary(ctx, nil, bill, handler); err != nil || !reached {
		t.Fatalf("a claim once the others ended: %v", err)
	}
	// A call answered after its caller gave up is counted late.
	cctx, cancel := context.WithCancel(ctx)
	if _, err := l.unary(cctx, nil, bill, func(context.Context, any) (any, error) { cancel(); return "paid", nil }); err != nil {
		t.Fatal(err)
	}
	if got := gather(t, reg); !strings.Contains(got, "rxclaims_claims_in_flight 0") || !strings.Contains(got, `rxclaims_claims_answered_late_total{method="Bill"} 1`) ||
		!strings.Contains(got, "rxclaims_claims_in_flight_limit 2") {
		t.Errorf("metrics after:\n%s", got)
	}
}

// gather renders reg's metrics in the text format.
func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}
