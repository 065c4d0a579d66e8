package workflow

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the Store port.
var (
	// ErrNotFound: no record (or failure entry) under that key.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the record changed since it was loaded (ETag mismatch),
	// or a create found one already there.
	ErrConflict = errors.New("conflict: record changed concurrently")
)

// TransientError is a failure that the same request may not hit later:
// throttling, 5xx, time-outs, replication lag, store conflicts. The
// workflow schedules a retry after RetryAfter (or its own backoff when zero).
type TransientError struct {
	Op         string        // what was attempted, e.g. "invite"
	RetryAfter time.Duration // server hint (Retry-After), zero if none
	// Refused is set when the service answered that it did not act on the
	// request (429 Too Many Requests): the outcome is known, nothing
	// happened. Without it a transient failure leaves the outcome unknown
	// (a time-out, a dropped connection, a 5xx): the request may have
	// taken effect.
	Refused bool
	Err     error
}

func (e *TransientError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s: transient (retry after %s): %v", e.Op, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("%s: transient: %v", e.Op, e.Err)
}

func (e *TransientError) Unwrap() error { return e.Err }

// PermanentError is a failure no retry can fix: an invalid event, a policy
// violation, a Graph 400/403. Reason is what ops read in the dead-letter
// listing.
type PermanentError struct {
	Op     string
	Reason string
	Err    error
}

func (e *PermanentError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Op, e.Reason, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Op, e.Reason)
}

func (e *PermanentError) Unwrap() error { return e.Err }

// NotFoundError is a Graph 404 on the object addressed. Right after an
// invitation it is usually replication lag (transient); the workflow decides.
type NotFoundError struct {
	Op  string
	Err error
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s: not found: %v", e.Op, e.Err) }

func (e *NotFoundError) Unwrap() error { return e.Err }

// ValidationError says which field of an event broke which rule.
type ValidationError struct {
	Field string // JSON path, e.g. "contact.postalCode"
	Rule  string // e.g. "at most 40 characters"
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Rule }

// PolicyError says which policy rule refused the event.
type PolicyError struct {
	Field string // e.g. "roles[0]"
	Rule  string // e.g. "role 62e9… (Global Administrator) is privileged and not allowed"
}

func (e *PolicyError) Error() string { return "policy: " + e.Field + ": " + e.Rule }

// IsPermanent reports whether err is a failure that no retry can fix.
func IsPermanent(err error) bool {
	var p *PermanentError
	var v *ValidationError
	var pol *PolicyError
	return errors.As(err, &p) || errors.As(err, &v) || errors.As(err, &pol)
}

// Refused reports whether err proves that a request had no effect: the
// service refused it (a PermanentError or NotFoundError: a 4xx answer, or
// a request that was never sent) or answered 429 (TransientError.Refused).
// Any other error leaves the outcome unknown, and a step that sends mail
// must then assume the mail went out: at most one email per slot.
func Refused(err error) bool {
	var t *TransientError
	var nf *NotFoundError
	switch {
	case IsPermanent(err), errors.As(err, &nf):
		return true
	case errors.As(err, &t):
		return t.Refused
	}
	return false
}

// RetryAfterOf returns the server's retry hint carried by err, if any.
func RetryAfterOf(err error) time.Duration {
	var t *TransientError
	if errors.As(err, &t) {
		return t.RetryAfter
	}
	return 0
}
