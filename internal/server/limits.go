package server

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// Limits bound what one client can hold of a server facing the network.
// Zero fields take the defaults.
type Limits struct {
	// MaxConcurrentStreams is the calls in flight on one connection;
	// default 256.
	MaxConcurrentStreams uint32
	// MaxRecvMsgSize bounds a request on the claims listener (a claim is
	// about a kilobyte); default 1 MiB.
	MaxRecvMsgSize int
	// AdminMaxRecvMsgSize bounds a request on the admin listener (bundles
	// and enrollment batches); default 64 MiB.
	AdminMaxRecvMsgSize int
	// MaxHeaderListSize bounds a call's metadata (a bearer token included);
	// default 32 KiB.
	MaxHeaderListSize uint32
	// ConnectionTimeout bounds a new connection's handshake; default 10s.
	ConnectionTimeout time.Duration
	// KeepaliveMinTime is how often, at most, a client may ping; a client
	// pinging more often is disconnected. Default 10s.
	KeepaliveMinTime time.Duration
	// KeepaliveTime is how long a connection may be idle before the server
	// pings it, and KeepaliveTimeout how long the ping may go unanswered
	// before the connection is closed; defaults 1 minute and 20s.
	KeepaliveTime, KeepaliveTimeout time.Duration
	// MaxConnectionIdle closes a connection without calls for this long;
	// default 15 minutes.
	MaxConnectionIdle time.Duration
	// RequestTimeout bounds a claims call; default 30s. AdminRequestTimeout
	// bounds an admin or enrollment call (a bundle import); default 10
	// minutes.
	RequestTimeout, AdminRequestTimeout time.Duration
	// StreamWorkers is how many goroutines a listener keeps to run calls
	// on; default 256. A call started on a fresh goroutine grows its stack
	// through the claim path several times (copying it each time: about a
	// tenth of the server's CPU per claim, profiled); a worker keeps its
	// grown stack for the next call. When every worker is busy, a call
	// runs on a fresh goroutine as before, so this bounds nothing.
	StreamWorkers uint32
}

func (l Limits) withDefaults() Limits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxConcurrentStreams == 0 {
		l.MaxConcurrentStreams = 256
	}
	if l.MaxRecvMsgSize <= 0 {
		l.MaxRecvMsgSize = 1 << 20
	}
	if l.AdminMaxRecvMsgSize <= 0 {
		l.AdminMaxRecvMsgSize = 64 << 20
	}
	if l.MaxHeaderListSize == 0 {
		l.MaxHeaderListSize = 32 << 10
	}
	if l.StreamWorkers == 0 {
		l.StreamWorkers = 256
	}
	def(&l.ConnectionTimeout, 10*time.Second)
	def(&l.KeepaliveMinTime, 10*time.Second)
	def(&l.KeepaliveTime, time.Minute)
	def(&l.KeepaliveTimeout, 20*time.Second)
	def(&l.MaxConnectionIdle, 15*time.Minute)
	def(&l.RequestTimeout, 30*time.Second)
	def(&l.AdminRequestTimeout, 10*time.Minute)
	return l
}

// transport are the server options every listener shares.
func (l Limits) transport() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(l.MaxConcurrentStreams),
		grpc.NumStreamWorkers(l.StreamWorkers),
		grpc.MaxHeaderListSize(l.MaxHeaderListSize),
		grpc.ConnectionTimeout(l.ConnectionTimeout),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: l.KeepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time: l.KeepaliveTime, Timeout: l.KeepaliveTimeout, MaxConnectionIdle: l.MaxConnectionIdle,
		}),
	}
}
