package workflow

import (
	"context"
	"errors"
)

// FailFast answers a redelivery of a message that already failed
// permanently (the failure log holds a permanent entry for its MessageId
// and the same event hash, see Failure.failsFast) with that failure at
// once, without calling next: no Graph call is repeated for a known
// failure, and Service Bus dead-letters the message after MaxDeliveryCount.
// A failure log that cannot be read fails the delivery (transient unless
// the store says otherwise), so the host abandons and redelivers it.
func (e *Engine) FailFast(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, d Delivery) (Result, error) {
		f, err := e.Store.Failure(ctx, d.MessageID)
		switch {
		case err == nil && f.failsFast(EventHash(d.Event)):
			pending(ctx).noteFailure(f) // its outcome, if a crash kept it from being published
			return Result{Key: f.Key, Action: ActionFailed}, &PermanentError{Op: "known failure", Reason: f.Reason}
		case err != nil && !errors.Is(err, ErrNotFound):
			return Result{}, storeError("read failure log", err)
		}
		return next(ctx, d)
	}
}
