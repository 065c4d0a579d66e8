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
//
// A first delivery (DeliveryCount 1) is not looked up: it cannot have
// failed before under its MessageId (retries and replays get ids of their
// own), so the store round trip is saved on every healthy delivery. A
// sender that reuses a MessageId after Service Bus's duplicate detection
// window sends a new message, which is reconciled anew (level-based, and
// the policy is checked again); its redeliveries fail fast as before.
func (e *Engine) FailFast(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, d Delivery) (Result, error) {
		if d.DeliveryCount == 1 {
			return next(ctx, d)
		}
		f, err := e.Store.Failure(ctx, d.MessageID)
		switch {
		case err == nil && f.failsFast(EventHash(d.Event)):
			outboxOf(ctx).noteFailure(f) // its outcome, if a crash kept it from being published
			return Result{Key: f.Key, Action: ActionFailed}, &PermanentError{Op: "known failure", Reason: f.Reason}
		case err != nil && !errors.Is(err, ErrNotFound):
			return Result{}, storeError("read failure log", err)
		}
		return next(ctx, d)
	}
}
