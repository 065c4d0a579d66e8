package workflow

import "context"

// HandlerFunc handles one delivery. It is the shape of Engine.Dispatch, of
// each stage of the chain Engine.Handle runs, and of Handle itself.
type HandlerFunc func(ctx context.Context, d Delivery) (Result, error)

// Middleware wraps a HandlerFunc with one concern, as watermill's router
// middleware do. A middleware returns an error it does not act on exactly
// as it got it, so the class the reconcile or an adapter gave the error
// (IsPermanent, a TransientError with its RetryAfter) reaches the stages
// above intact.
type Middleware func(HandlerFunc) HandlerFunc

// Chain wraps h in mws, the first outermost: Chain(h, a, b) is a(b(h)).
func Chain(h HandlerFunc, mws ...Middleware) HandlerFunc {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Handler is the chain Handle runs, outermost first:
//
//   - PublishOutcomes: the outcome events the delivery's saves put into an
//     outbox (and any left there earlier) are published after it;
//   - FailFast: a redelivery of a message that already failed permanently
//     fails again at once, before any other work;
//   - RecordFailures: a permanent failure is written to the failure log and
//     onto the record;
//   - RecoverPanics: a panic below becomes a permanent failure, so it is
//     recorded and the message dead-letters;
//   - RetryTransient: any other failure is rescheduled with backoff (or
//     turned permanent once RETRY_MAX_ELAPSED is spent);
//   - Dispatch: the reconcile for the event's type.
//
// docs/retries.md explains how this rescheduling relates to the retries in
// the Graph adapter and to Service Bus redelivery.
func (e *Engine) Handler() HandlerFunc {
	return Chain(e.Dispatch, e.PublishOutcomes, e.FailFast, e.RecordFailures, e.RecoverPanics, e.RetryTransient)
}

// Handle processes one delivery by running Handler. A nil error means the
// message may be completed (this includes transient failures for which a
// retry was scheduled); a non-nil error means the host must abandon it:
// either a permanent failure (IsPermanent; recorded, and failing fast on
// every redelivery until Service Bus dead-letters the message) or a
// transient one whose retry could not be scheduled.
func (e *Engine) Handle(ctx context.Context, d Delivery) (Result, error) {
	e.handlerOnce.Do(func() { e.handler = e.Handler() })
	return e.handler(ctx, d)
}
