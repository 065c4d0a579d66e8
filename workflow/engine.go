package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Config are the workflow's tunables (validated by the config package).
type Config struct {
	// ReminderSchedule lists when reminder n (1-based) is due, measured from
	// the first invitation. Each reminder resends while PendingAcceptance.
	ReminderSchedule []time.Duration
	// ExpireAfter, measured from the first invitation, is when a guest who
	// is still PendingAcceptance is marked expired; zero means never.
	ExpireAfter time.Duration
	// ExpiryAction is applied to the guest on expiry: "none", "disable" or "delete".
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
	ExistingUsers string
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
	Action string // e.g. "provisioned", "reminder-sent", "completed", "ignored", "retry-scheduled"
	Detail string
}

func (e *Engine) logger() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}

// Status finds a record by onboarding key (an email, normalized here),
// guest object id or procurement request id.
func (e *Engine) Status(ctx context.Context, query string) (Record, error) {
	query = strings.TrimSpace(query)
	if strings.Contains(query, "@") {
		key, err := NormalizeEmail(query)
		if err != nil {
			return Record{}, err
		}
		return e.Store.Load(ctx, key)
	}
	recs, err := e.Store.List(ctx)
	if err != nil {
		return Record{}, err
	}
	for _, r := range recs {
		if strings.EqualFold(r.GuestID, query) {
			return r, nil
		}
		for _, id := range r.RequestIDs {
			if id == query {
				return r, nil
			}
		}
	}
	return Record{}, fmt.Errorf("onboarding %q: %w", query, ErrNotFound)
}
