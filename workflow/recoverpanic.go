package workflow

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// RecoverPanics turns a panic in next (the reconcile, the adapters it
// calls, the retry scheduling) into a *PermanentError, after logging the
// panic value and the stack. Errors and results pass through unchanged.
//
// Why permanent: a panic is a bug, and running the same event into it again
// repairs nothing. As a permanent failure it is recorded (RecordFailures,
// which sits above this middleware), the handler answers 500, each
// redelivery fails fast without repeating a Graph call, and Service Bus
// dead-letters the message after MaxDeliveryCount with the panic as its
// recorded reason; once the bug is fixed, `onboard dlq replay` sends it
// again under a new MessageId. Treated as transient it would be
// rescheduled and answered 2xx, repeating the bug (and the side effects
// before it) until RETRY_MAX_ELAPSED. Either way the process survives: one
// bad event never takes the other in-flight invocations down with it.
//
// Panics in the stages above (FailFast, RecordFailures: the store) are not
// caught here; the HTTP handler recovers them and answers 500.
func (e *Engine) RecoverPanics(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, d Delivery) (res Result, err error) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			cause, ok := v.(error)
			if !ok {
				cause = fmt.Errorf("%v", v)
			}
			e.logger().Error("reconcile panicked", logkey.MessageID, MaskEmails(d.MessageID), logkey.EventType, d.Event.Type,
				logkey.Panic, MaskEmails(cause.Error()), logkey.Stack, string(debug.Stack()))
			res = Result{}
			err = &PermanentError{Op: "reconcile", Reason: "internal error (panic), not retried", Err: cause}
		}()
		return next(ctx, d)
	}
}
