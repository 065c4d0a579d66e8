package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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

// Handle processes one delivery. A nil error means the message may be
// completed (this includes transient failures for which a retry was
// scheduled); a non-nil error means the host must abandon it: either a
// permanent failure (IsPermanent; recorded, and failing fast on every
// redelivery until Service Bus dead-letters the message) or a transient one
// whose retry could not be scheduled.
func (e *Engine) Handle(ctx context.Context, d Delivery) (Result, error) {
	hash := EventHash(d.Event)
	if f, err := e.Store.Failure(ctx, d.MessageID); err == nil && f.failsFast(hash) {
		return Result{Key: f.Key, Action: "failed"}, &PermanentError{Op: "known failure", Reason: f.Reason}
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return Result{}, &TransientError{Op: "read failure log", Err: err}
	}
	res, err := e.dispatch(ctx, d)
	if err == nil {
		return res, nil
	}
	if !IsPermanent(err) {
		res, err = e.retry(ctx, d, res, err)
		if err == nil {
			return res, nil
		}
	}
	if IsPermanent(err) {
		e.recordFailure(ctx, d, res.Key, err)
		res.Action = "failed"
	}
	return res, err
}

// dispatch routes the event to its reconcile by type.
func (e *Engine) dispatch(ctx context.Context, d Delivery) (Result, error) {
	typ := d.Event.Type
	if t, ok := e.Config.TypeAliases[typ]; ok {
		typ = t
	}
	switch typ {
	case TypePartnerApproved:
		if err := e.Policy.CheckSource(d.Event.Source); err != nil {
			return Result{}, err
		}
		spec, err := ParsePartnerApproved(d.Event.Data, e.Config.DefaultRedirectURL)
		if err != nil {
			return Result{}, err
		}
		if err := e.Policy.Check(spec); err != nil {
			return Result{Key: spec.Email}, err
		}
		return e.partnerApproved(ctx, spec)
	case TypeReminderDue:
		if d.Event.Source != Source {
			if err := e.Policy.CheckSource(d.Event.Source); err != nil {
				return Result{}, err
			}
		}
		var r ReminderData
		if err := decodeStrict(d.Event.Data, &r); err != nil {
			return Result{}, err
		}
		if r.Key == "" || r.Number < 1 {
			return Result{}, &ValidationError{Field: "key/number", Rule: "a reminder-due event needs key and a number ≥ 1"}
		}
		return e.reminderDue(ctx, r)
	}
	return Result{}, &ValidationError{Field: "type", Rule: fmt.Sprintf("unsupported event type %q (expected %s or %s)", d.Event.Type, TypePartnerApproved, TypeReminderDue)}
}

// backoff is the exponential delay before retry attempt n (1-based), with
// up to 20% jitter, capped at RetryMax.
func (e *Engine) backoff(n int) time.Duration {
	base, max := e.Config.RetryInitial, e.Config.RetryMax
	if base <= 0 {
		base = 30 * time.Second
	}
	if max < base {
		max = base
	}
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
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
