package workflow

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// sponsorVerdict is what the sponsor check found for one object id: the
// kind of object (SponsorUser, SponsorGroup), or why it cannot sponsor.
type sponsorVerdict struct {
	kind    string
	refused string
}

// learnSponsors reads, once per object id and process, who each sponsor
// the spec names is: sponsors are responsible for the guest, so the
// policy takes members of the tenant (users whose userType is not Guest)
// and groups, never a guest and nothing that does not exist. Graph does
// not enforce this (graph-b2b.md §16). The verdicts are cached for the
// life of the engine; outstanding uses them. A read that fails is
// returned (transient), so provisioning is retried.
func (e *Engine) learnSponsors(ctx context.Context, s Spec) error {
	for _, id := range s.Sponsors {
		if _, ok := e.sponsors.Load(id); ok {
			continue
		}
		v, err := e.readSponsor(ctx, id)
		if err != nil {
			return err
		}
		e.sponsors.Store(id, v)
	}
	return nil
}

func (e *Engine) readSponsor(ctx context.Context, id string) (sponsorVerdict, error) {
	u, err := e.Directory.User(ctx, id)
	var nf *NotFoundError
	switch {
	case err == nil && strings.EqualFold(u.UserType, "Guest"):
		return sponsorVerdict{kind: SponsorUser, refused: fmt.Sprintf("sponsor %s is a guest: sponsors must be members of the tenant", id)}, nil
	case err == nil:
		return sponsorVerdict{kind: SponsorUser}, nil
	case !errors.As(err, &nf):
		return sponsorVerdict{}, fmt.Errorf("read sponsor %s: %w", id, err)
	}
	group, err := e.Directory.ObjectExists(ctx, ChangeGroup, id)
	switch {
	case err != nil:
		return sponsorVerdict{}, fmt.Errorf("read sponsor %s: %w", id, err)
	case group:
		return sponsorVerdict{kind: SponsorGroup}, nil
	}
	return sponsorVerdict{refused: fmt.Sprintf("sponsor %s is neither a user nor a group of the tenant", id)}, nil
}

// sponsorCheck returns the change with its SponsorType filled in, or why
// the sponsor is refused; a sponsor not read yet (learnSponsors) is
// returned as it is.
func (e *Engine) sponsorCheck(c Change) (_ Change, refused string) {
	v, ok := e.sponsors.Load(c.ID)
	if !ok {
		return c, ""
	}
	sv := v.(sponsorVerdict)
	c.SponsorType = sv.kind
	return c, sv.refused
}
