package workflow

import (
	"context"
	"time"
)

// Directory is what the workflow needs from Microsoft Graph. Implementations
// classify failures with the error types in errors.go: TransientError
// (throttling, 5xx, time-outs; Refused set when the answer proves nothing
// happened, as a 429 does), NotFoundError (404, possibly replication lag)
// and PermanentError (a request the service refused and no retry can
// fix). "Already exists" answers are not errors. The contract suite
// workflow/directorytest holds every implementation to this.
type Directory interface {
	// Invite creates the guest (or finds the existing one) through
	// POST /invitations and returns the guest's object id (invitedUser.id).
	// It sends an email only when inv.SendMessage is true. It never
	// repeats the request by itself unless the answer proved that nothing
	// happened (429): a repeat could send a second email.
	Invite(ctx context.Context, inv Invitation) (InviteResult, error)
	// FindUserByMail looks up the user an address belongs to, as Microsoft
	// advises before inviting: userPrincipalName, mail, otherMails,
	// proxyAddresses and identities. found is false when no user has it.
	FindUserByMail(ctx context.Context, email string) (user DirectoryUser, found bool, err error)
	// User reads one user including userType, externalUserState,
	// creationType and createdDateTime.
	User(ctx context.Context, id string) (DirectoryUser, error)
	// ObjectExists reads the object a change references (the manager
	// user, the group, the role definition, the resource service
	// principal) and reports whether it exists: a write's 404 is decided
	// by reading what it references, never the new guest (replication
	// lag). Kinds that reference nothing (properties) report true.
	ObjectExists(ctx context.Context, kind ChangeKind, id string) (bool, error)
	// Apply performs the changes for the guest, batching where it can, and
	// returns one error per change in the same order: nil when the change is
	// in place (including "already exists").
	Apply(ctx context.Context, guestID string, changes []Change) []error
	// SetAccountEnabled blocks (false) or allows (true) sign-in: the
	// "disable" expiry action, undone when an expired onboarding is
	// approved again.
	SetAccountEnabled(ctx context.Context, id string, enabled bool) error
	// DeleteUser deletes the user; used as an expiry action. A user that
	// is already gone is success, so the action can be repeated.
	DeleteUser(ctx context.Context, id string) error
}

// Store keeps onboarding records and the failure log. Save uses optimistic
// concurrency on Record.ETag.
type Store interface {
	// Load returns the record for key, or an error wrapping ErrNotFound.
	Load(ctx context.Context, key string) (Record, error)
	// Save creates the record when rec.ETag is empty (ErrConflict if it
	// already exists) or replaces it only if the stored ETag still equals
	// rec.ETag (ErrConflict otherwise). On success rec.ETag is the new tag.
	Save(ctx context.Context, rec *Record) error
	// List returns all records, in key order.
	List(ctx context.Context) ([]Record, error)
	// SaveFailure stores (replaces) the failure recorded for a message id.
	SaveFailure(ctx context.Context, f Failure) error
	// Failure returns the failure recorded for messageID, or an error
	// wrapping ErrNotFound.
	Failure(ctx context.Context, messageID string) (Failure, error)
}

// Scheduler sends a message to the onboarding queue to be delivered at (or
// after) at. Message.ID is the Service Bus MessageId used for duplicate
// detection, so scheduling the same id twice delivers it once (the first
// message); it must be 1 to 128 characters, as Service Bus requires, and
// other ids are refused. The contract suite workflow/schedulertest holds
// every implementation to this.
type Scheduler interface {
	Schedule(ctx context.Context, msg Message, at time.Time) error
}

// Publisher sends outcome events to the outcomes topic. Message.ID is the
// Service Bus MessageId; the topic's duplicate detection drops a message
// published twice under the same id, which is what makes a repeated
// publication (after a crash before the outbox was cleared) harmless.
// An error means some or all of msgs may not have been sent; they are
// published again later under the same ids.
type Publisher interface {
	Publish(ctx context.Context, msgs []Message) error
}

// Clock is the source of time, replaceable in tests.
type Clock interface {
	Now() time.Time
}

// SystemClock is the Clock of the real world.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
