package workflow

import "time"

// Config are the workflow's tunables (validated by the config package).
type Config struct {
	// ReminderSchedule lists when reminder n (1-based) is due, measured from
	// the first invitation. Each reminder resends while PendingAcceptance.
	ReminderSchedule []time.Duration
	// ExpireAfter, measured from the first invitation, is when a guest who
	// is still PendingAcceptance is marked expired; zero means never.
	ExpireAfter time.Duration
	// ExpiryAction is applied to the guest on expiry: one of ExpiryNone
	// (the default when empty), ExpiryDisable or ExpiryDelete. It stays a
	// string until cmd/onboard's settings test compares it to a typed value.
	ExpiryAction string
	// RetryInitial, RetryMax and RetryMaxElapsed bound the backoff of
	// transiently failed events (exponential with jitter, Retry-After wins).
	RetryInitial    time.Duration
	RetryMax        time.Duration
	RetryMaxElapsed time.Duration
	// InviteSettle is how long after an unfinished invitation attempt a
	// redelivery waits for the guest to appear in lookups before inviting
	// again, without mail (Graph replication lag). Default 60s.
	InviteSettle time.Duration
	// SettleWindow, measured from a cycle's invitation, is how long a 404
	// on a write for the guest counts as replication lag and is retried; a
	// 404 is permanent earlier only when the referenced object is read
	// and found missing. Default 5m.
	SettleWindow time.Duration
	// ExistingUsers decides what happens when the address belongs to a
	// user this onboarding did not create: ExistingAdoptGuests (the
	// default), ExistingRefuse or ExistingAdoptAll.
	ExistingUsers ExistingMode
	// TypeAliases maps extra CloudEvent types to TypePartnerApproved or
	// TypeReminderDue (e.g. a reverse-DNS type a procurement system emits).
	TypeAliases map[string]string
	// DefaultRedirectURL is used when an event gives no redirectUrl.
	DefaultRedirectURL string
	// OutcomeTypePrefix is put before each outcome event's type, e.g.
	// "com.contoso.onboarding." gives "com.contoso.onboarding.partner-invited".
	OutcomeTypePrefix string
}

// ExpiryAction is what expiry does to a guest this onboarding created (the
// EXPIRY_ACTION setting).
type ExpiryAction string

// The expiry actions.
const (
	ExpiryNone    ExpiryAction = "none"    // mark the onboarding expired only
	ExpiryDisable ExpiryAction = "disable" // also block the guest's sign-in (undone by a new approval)
	ExpiryDelete  ExpiryAction = "delete"  // also delete the guest
)
