package servicebus

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Error is a failed Service Bus operation, classified. Op says what was
// attempted ("schedule", "send", "peek dead letters", …), Code is the
// azservicebus error code when the SDK gave one ("connlost", "timeout",
// "unauthorized", "notfound", "locklost", "closed"), and Transient says
// whether the same operation may succeed later without anyone changing
// configuration or permissions.
type Error struct {
	Op        string
	Code      string
	Transient bool
	Err       error
}

func (e *Error) Error() string {
	// The azservicebus error already prints its code, e.g. "(connlost): …".
	return fmt.Sprintf("servicebus %s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// classify wraps err from an azservicebus call as *Error. Transient ones are
// additionally wrapped in *workflow.TransientError, so the workflow's own
// errors.As checks see them as retryable; callers that want the details use
// errors.As(err, **Error) or IsTransient.
//
// Transient: lost connection, service or client time-out, lost lock, a
// closed link (reopened on the next call), and a context deadline.
// Not transient: unauthorized (RBAC or key), entity not found (wrong queue
// name), a cancelled context, and errors the SDK does not classify (for
// example a message too large for the entity). These are never reported as
// workflow.PermanentError: they are faults of the deployment, not of the
// event, and must not be recorded as the event's failure.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Err: err}
	var sbErr *azservicebus.Error
	switch {
	case errors.As(err, &sbErr):
		e.Code = string(sbErr.Code)
		switch sbErr.Code {
		case azservicebus.CodeConnectionLost, azservicebus.CodeTimeout,
			azservicebus.CodeLockLost, azservicebus.CodeClosed:
			e.Transient = true
		}
	case errors.Is(err, context.DeadlineExceeded):
		e.Transient = true
	}
	if e.Transient {
		return &workflow.TransientError{Op: op, Err: e}
	}
	return e
}

// IsTransient reports whether err (from this package) is a Service Bus
// failure that may go away by itself, so retrying later makes sense.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}
