package workflow

import (
	"context"
	"log/slog"
	"time"
)

// Config are the workflow's tunables (validated by the config package).
type Config struct {
	// ReminderSchedule lists when reminder n (1-based) is due, measured from
	// the first invitation. Each reminder resends while PendingAcceptance.
	ReminderSchedule []time.Duration
	// ExpireAfter, measured from the first invitation, is when a guest who
	// is still PendingAcceptance is marked expired. Must exceed the last reminder.
	ExpireAfter time.Duration
	// ExpiryAction is applied to the guest on expiry: "none", "disable" or "delete".
	ExpiryAction string
	// RetryInitial, RetryMax and RetryMaxElapsed bound the backoff of
	// transiently failed events (exponential with jitter, Retry-After wins).
	RetryInitial    time.Duration
	RetryMax        time.Duration
	RetryMaxElapsed time.Duration
	// TypeAliases maps extra CloudEvent types to TypePartnerApproved or
	// TypeReminderDue (e.g. a reverse-DNS type a procurement system emits).
	TypeAliases map[string]string
	// DefaultRedirectURL is used when an event gives no redirectUrl.
	DefaultRedirectURL string
}

// Engine runs the onboarding reconcile for each delivered event.
type Engine struct {
	Directory Directory
	Store     Store
	Scheduler Scheduler
	Clock     Clock
	Policy    Policy
	Config    Config
	Log       *slog.Logger
}

// Result says what handling an event did, for logs and tests.
type Result struct {
	Key    string // onboarding key, when known
	Action string // e.g. "invited", "provisioned", "reminder-sent", "completed", "ignored", "retry-scheduled"
	Detail string
}

// Handle processes one delivery. A nil error means the message may be
// completed (this includes transient failures for which a retry was
// scheduled); a non-nil error means the host must abandon it: either a
// permanent failure (IsPermanent, recorded, failing fast until the message
// is dead-lettered) or a transient one whose retry could not be scheduled.
func (e *Engine) Handle(ctx context.Context, d Delivery) (Result, error) {
	panic("not implemented yet")
}

// Status finds a record by onboarding key (email, normalized here), guest
// object id or procurement request id.
func (e *Engine) Status(ctx context.Context, query string) (Record, error) {
	panic("not implemented yet")
}
