package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// client sends ops over one or more connections, round robin.
type client struct {
	claims []pb.ClaimsServiceClient
	health []healthpb.HealthClient
	next   atomic.Uint64
}

func newClient(conns []*grpc.ClientConn) *client {
	c := &client{}
	for _, conn := range conns {
		c.claims = append(c.claims, pb.NewClaimsServiceClient(conn))
		c.health = append(c.health, healthpb.NewHealthClient(conn))
	}
	return c
}

// sender makes one call: the service through a client, or a bare Pebble
// transaction (baseline.go).
type sender interface {
	send(ctx context.Context, op *Op) outcome
}

// outcome is what one call got: a transaction status and reject codes, or
// a gRPC error code.
type outcome struct {
	status  string
	rejects []string
	errCode string
}

var emptyCheck = &healthpb.HealthCheckRequest{}

// send makes one call; op nil is the empty RPC (a health check).
func (c *client) send(ctx context.Context, op *Op) outcome {
	i := c.next.Add(1) % uint64(len(c.claims))
	var res *pb.ClaimResult
	var err error
	switch {
	case op == nil:
		_, err = c.health[i].Check(ctx, emptyCheck)
	case op.Bill != nil:
		var r *pb.BillResponse
		r, err = c.claims[i].Bill(ctx, op.Bill)
		res = r.GetResult()
	case op.Rebill != nil:
		var r *pb.RebillResponse
		r, err = c.claims[i].Rebill(ctx, op.Rebill)
		res = r.GetResult()
	case op.Reverse != nil:
		var r *pb.ReverseResponse
		r, err = c.claims[i].Reverse(ctx, op.Reverse)
		res = r.GetResult()
	}
	if err != nil {
		return outcome{errCode: status.Code(err).String()}
	}
	if op == nil {
		return outcome{status: "OK"}
	}
	out := outcome{status: res.GetTransactionStatus()}
	for _, r := range res.GetRejects() {
		out.rejects = append(out.rejects, r.GetCode())
	}
	return out
}

// tally counts outcomes and latencies. Workers record into shards so they
// rarely wait for each other.
type tally struct {
	shards [16]tallyShard
}

type tallyShard struct {
	mu      sync.Mutex
	hist    *hdrhistogram.Histogram // microseconds, from the intended send time
	service *hdrhistogram.Histogram // microseconds, from the actual send
	status  map[string]int64
	rejects map[string]int64
	errors  map[string]int64
	kinds   map[Kind]map[string]int64 // kind → observed answer ("P", "R 79", "error Unavailable")
	last    time.Time
}

// Histogram range: 1 µs to 60 s at three significant digits.
const (
	histMin = 1
	histMax = 60_000_000
	histSig = 3
)

func newTally() *tally {
	t := &tally{}
	for i := range t.shards {
		s := &t.shards[i]
		s.hist = hdrhistogram.New(histMin, histMax, histSig)
		s.service = hdrhistogram.New(histMin, histMax, histSig)
		s.status, s.rejects, s.errors, s.kinds = map[string]int64{}, map[string]int64{}, map[string]int64{}, map[Kind]map[string]int64{}
	}
	return t
}

// record counts one call: intended is when it should have been sent, sent
// when it was, done when its answer came.
func (t *tally) record(worker int, op *Op, o outcome, intended, sent, done time.Time) {
	s := &t.shards[worker%len(t.shards)]
	us := func(d time.Duration) int64 { return min(max(d.Microseconds(), histMin), histMax) }
	s.mu.Lock()
	defer s.mu.Unlock()
	if done.After(s.last) {
		s.last = done
	}
	// Latency and throughput count answered calls: a call shed by the
	// server (ResourceExhausted) or failed is counted by its code only.
	if o.errCode == "" {
		_ = s.hist.RecordValue(us(done.Sub(intended)))
		_ = s.service.RecordValue(us(done.Sub(sent)))
	}
	answer := o.status
	if o.errCode != "" {
		s.errors[o.errCode]++
		answer = "error " + o.errCode
	} else {
		s.status[o.status]++
		for _, r := range o.rejects {
			s.rejects[r]++
		}
		if len(o.rejects) > 0 {
			answer += " " + o.rejects[0]
		}
	}
	if op != nil {
		if s.kinds[op.Kind] == nil {
			s.kinds[op.Kind] = map[string]int64{}
		}
		s.kinds[op.Kind][answer]++
	}
}

// result merges the shards into a step result over a run that started at start.
func (t *tally) result(start time.Time) StepResult {
	h := hdrhistogram.New(histMin, histMax, histSig)
	service := hdrhistogram.New(histMin, histMax, histSig)
	r := StepResult{Status: map[string]int64{}, Rejects: map[string]int64{}, Errors: map[string]int64{}}
	kinds := map[Kind]map[string]int64{}
	var last time.Time
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		h.Merge(s.hist)
		service.Merge(s.service)
		for _, m := range []struct{ dst, src map[string]int64 }{{r.Status, s.status}, {r.Rejects, s.rejects}, {r.Errors, s.errors}} {
			for k, v := range m.src {
				m.dst[k] += v
			}
		}
		for k, m := range s.kinds {
			if kinds[k] == nil {
				kinds[k] = map[string]int64{}
			}
			for a, v := range m {
				kinds[k][a] += v
			}
		}
		if s.last.After(last) {
			last = s.last
		}
		s.mu.Unlock()
	}
	r.Calls = h.TotalCount()
	if last.After(start) {
		r.Seconds = last.Sub(start).Seconds()
		r.Throughput = float64(r.Calls) / r.Seconds
	}
	r.Latency, r.ServiceTime = latency(h), latency(service)
	for k := range kindCount {
		if m := kinds[k]; m != nil {
			km := KindResult{Kind: k.String(), Expected: kindInfo[k].expect, Observed: m}
			for _, v := range m {
				km.Sent += v
			}
			r.Mix = append(r.Mix, km)
		}
	}
	return r
}

func latency(h *hdrhistogram.Histogram) Latency {
	ms := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	return Latency{P50: ms(50), P90: ms(90), P99: ms(99), P999: ms(99.9), Max: float64(h.Max()) / 1000, Mean: h.Mean() / 1000}
}

// source hands out ops; nil for the empty RPC.
type source interface{ next() *Op }

// lockedGenerator shares a generator between closed-loop workers.
type lockedGenerator struct {
	mu sync.Mutex
	g  *Generator
}

func (l *lockedGenerator) next() *Op {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.g.Next()
}

// emptySource makes every call the empty RPC.
type emptySource struct{}

func (emptySource) next() *Op { return nil }

// closedLoop runs concurrency workers, each sending its next call as soon
// as the previous one is answered, for d or until count calls (whichever
// comes first; 0 means no limit). progress, when set, counts calls.
func closedLoop(ctx context.Context, c sender, src source, concurrency int, d time.Duration, count int64, progress *atomic.Int64) StepResult {
	t := newTally()
	var issued atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) {
				if count > 0 && issued.Add(1) > count {
					return
				}
				op := src.next()
				sent := time.Now()
				o := c.send(ctx, op)
				t.record(w, op, o, sent, sent, time.Now())
				if progress != nil {
					progress.Add(1)
				}
			}
		})
	}
	wg.Wait()
	r := t.result(start)
	r.Mode, r.Concurrency = "closed", concurrency
	return r
}

// openLoop sends calls at rate per second for d, each at its intended send
// time whatever the state of earlier calls, with up to maxInFlight calls
// outstanding. A call's latency runs from its intended send time, so time
// spent waiting behind slow calls is counted (no coordinated omission);
// its service time runs from when it was actually sent. An idle Go process
// wakes from a sleep up to about a millisecond late (the netpoller waits
// in whole milliseconds), and that lag counts in the latency, for claims
// and the empty RPC alike.
func openLoop(ctx context.Context, c sender, src source, rate float64, d time.Duration, maxInFlight int) StepResult {
	type job struct {
		op       *Op
		intended time.Time
	}
	n := int(rate * d.Seconds())
	jobs := make(chan job, n+1)
	t := newTally()
	var wg sync.WaitGroup
	for w := range maxInFlight {
		wg.Go(func() {
			for j := range jobs {
				sent := time.Now()
				o := c.send(ctx, j.op)
				t.record(w, j.op, o, j.intended, sent, time.Now())
			}
		})
	}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	late := 0
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		} else if wait < -time.Millisecond {
			late++
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- job{op: src.next(), intended: at}
	}
	close(jobs)
	wg.Wait()
	r := t.result(start)
	r.Mode, r.OfferedRate = "open", rate
	if late > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the sender was more than 1 ms behind schedule for %d of %d calls (latency still counts from the intended time)", late, n))
	}
	return r
}
