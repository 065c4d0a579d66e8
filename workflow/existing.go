package workflow

import (
	"fmt"
	"strings"
	"time"
)

// The values of Config.ExistingUsers (the POLICY_EXISTING_USERS setting):
// what an onboarding does when its address belongs to a user it did not
// create.
const (
	// ExistingAdoptGuests (the default): a guest invited by someone else is
	// adopted for assignments only (groups, roles, apps; never its
	// identity properties or manager); a member is refused.
	ExistingAdoptGuests ExistingMode = "adopt-guests"
	// ExistingRefuse: every existing user is refused.
	ExistingRefuse ExistingMode = "refuse"
	// ExistingAdoptAll: members are adopted too, for assignments only.
	ExistingAdoptAll ExistingMode = "adopt-all"
)

// ExistingMode is a value of Config.ExistingUsers.
type ExistingMode string

// createdSkew tolerates the difference between our clock and Graph's when
// comparing a user's createdDateTime with the invitation attempt.
const createdSkew = 5 * time.Minute

// createdBy reports whether u is the user this cycle's invitation created:
// made by an invitation (creationType Invitation) no earlier than the
// cycle's first invitation attempt (its only attempt, for older records). Without that proof a user found under
// the address existed before, whatever the invitation answered
// (reference §15).
func createdBy(rec Record, u DirectoryUser) bool {
	first := rec.Invite.FirstIntentAt
	if first.IsZero() {
		first = rec.Invite.IntentAt // a record from before FirstIntentAt was kept
	}
	return !first.IsZero() && strings.EqualFold(u.CreationType, "Invitation") &&
		!u.CreatedAt.IsZero() && !u.CreatedAt.Before(first.Add(-createdSkew))
}

// originOf decides whose user u (found under the onboarding's address) is:
// OriginCreated when this cycle's invitation made it, else an existing
// user, which Config.ExistingUsers adopts (OriginAdopted) or refuses with
// a PolicyError naming the setting.
func (e *Engine) originOf(rec Record, u DirectoryUser) (Origin, error) {
	if createdBy(rec, u) {
		return OriginCreated, nil
	}
	member := !strings.EqualFold(u.UserType, "Guest")
	mode := e.Config.ExistingUsers
	if mode == "" {
		mode = ExistingAdoptGuests
	}
	if mode == ExistingAdoptAll || mode == ExistingAdoptGuests && !member {
		return OriginAdopted, nil
	}
	kind := "guest"
	if member {
		kind = "member"
	}
	return "", &PolicyError{Field: "email", Rule: fmt.Sprintf(
		"the address belongs to an existing %s (user %s) that this onboarding did not create; POLICY_EXISTING_USERS=%s refuses it", kind, u.ID, mode)}
}

// accepted reports whether the onboarding's user has accepted, as far as
// the onboarding is concerned: an invited guest that redeemed, or an
// adopted user with no invitation pending (a member, or a guest that
// redeemed someone else's invitation).
func accepted(rec Record, u DirectoryUser) bool {
	if u.ExternalUserState == StateAccepted {
		return true
	}
	return rec.UserOrigin == OriginAdopted && u.ExternalUserState != StatePendingAcceptance
}
