package client

import (
	"context"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// PriorAuths calls a PriorAuthService with domain types; like Admin, it
// names the acting user in the x-user metadata (development mode).
type PriorAuths struct {
	c    pb.PriorAuthServiceClient
	user string
}

// NewPriorAuths wraps a connection; user is the acting user.
func NewPriorAuths(conn grpc.ClientConnInterface, user string) *PriorAuths {
	return &PriorAuths{c: pb.NewPriorAuthServiceClient(conn), user: user}
}

func (c *PriorAuths) ctx(ctx context.Context) context.Context {
	if c.user == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, UserMetadataKey, c.user)
}

func priorAuth(p *pb.PriorAuth, err error) (domain.PriorAuth, error) {
	if err != nil {
		return domain.PriorAuth{}, err
	}
	return enrollwire.PriorAuthFromProto(p)
}

// Create stores a new prior authorization.
func (c *PriorAuths) Create(ctx context.Context, pa domain.PriorAuth) (domain.PriorAuth, error) {
	r, err := c.c.CreatePriorAuth(c.ctx(ctx), &pb.CreatePriorAuthRequest{PriorAuth: enrollwire.PriorAuthToProto(&pa)})
	return priorAuth(r.GetPriorAuth(), err)
}

// Change replaces a stored prior authorization's terms.
func (c *PriorAuths) Change(ctx context.Context, pa domain.PriorAuth) (domain.PriorAuth, error) {
	r, err := c.c.ChangePriorAuth(c.ctx(ctx), &pb.ChangePriorAuthRequest{PriorAuth: enrollwire.PriorAuthToProto(&pa)})
	return priorAuth(r.GetPriorAuth(), err)
}

// End end-dates a stored prior authorization.
func (c *PriorAuths) End(ctx context.Context, key domain.PriorAuthKey, end domain.Date) (domain.PriorAuth, error) {
	r, err := c.c.EndPriorAuth(c.ctx(ctx), &pb.EndPriorAuthRequest{
		CardholderId: key.CardholderID, PersonCode: key.PersonCode, Number: key.Number, EndDate: end.String()})
	return priorAuth(r.GetPriorAuth(), err)
}

// Get returns one prior authorization.
func (c *PriorAuths) Get(ctx context.Context, key domain.PriorAuthKey) (domain.PriorAuth, error) {
	r, err := c.c.GetPriorAuth(c.ctx(ctx), &pb.GetPriorAuthRequest{
		CardholderId: key.CardholderID, PersonCode: key.PersonCode, Number: key.Number})
	return priorAuth(r.GetPriorAuth(), err)
}

// List lists a member's prior authorizations (the family's when
// personCode is empty).
func (c *PriorAuths) List(ctx context.Context, cardholderID, personCode string) ([]domain.PriorAuth, error) {
	r, err := c.c.ListPriorAuths(c.ctx(ctx), &pb.ListPriorAuthsRequest{CardholderId: cardholderID, PersonCode: personCode})
	if err != nil {
		return nil, err
	}
	out := make([]domain.PriorAuth, 0, len(r.GetPriorAuths()))
	for _, p := range r.GetPriorAuths() {
		pa, err := enrollwire.PriorAuthFromProto(p)
		if err != nil {
			return nil, err
		}
		out = append(out, pa)
	}
	return out, nil
}

// Sync upserts whole prior authorization records, all or none.
func (c *PriorAuths) Sync(ctx context.Context, source string, batch uint64, pas []domain.PriorAuth) error {
	req := &pb.SyncPriorAuthsRequest{Source: source, Batch: batch}
	for i := range pas {
		req.PriorAuths = append(req.PriorAuths, enrollwire.PriorAuthToProto(&pas[i]))
	}
	_, err := c.c.SyncPriorAuths(c.ctx(ctx), req)
	return err
}
