package workflow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// RetryTransient reschedules the delivered event when next fails with an
// error that is not permanent (see retry), and answers with a nil error
// and ActionRetryScheduled so the message is completed. A permanent
// error and every success pass through unchanged.
func (e *Engine) RetryTransient(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, d Delivery) (Result, error) {
		res, err := next(ctx, d)
		if err == nil || IsPermanent(err) {
			return res, err
		}
		return e.retry(ctx, d, res, err)
	}
}

// retry schedules the delivered event again after a backoff; it turns the
// failure permanent once the total retry time is used up, and fails
// (transient, so the host abandons and redelivers) when the retry cannot
// be scheduled. The attempt count and the time of the first failure live
// in the failure log under the original message id (Failure.Retry), never
// in attributes a sender could set.
func (e *Engine) retry(ctx context.Context, d Delivery, res Result, cause error) (Result, error) {
	now := e.Clock.Now().UTC()
	orig := originalMessageID(d.MessageID)
	hash := EventHash(d.Event)
	f, err := e.Store.Failure(ctx, orig)
	switch {
	case errors.Is(err, ErrNotFound):
		f = Failure{MessageID: orig, Transient: true, BodyHash: hash}
	case err != nil:
		return res, storeError("read retry state", fmt.Errorf("%w (after: %v)", err, cause))
	}
	// One chain per original id, whatever the body: the attempt count only
	// grows (so retry ids never repeat, which duplicate detection would
	// drop) and the first failure only stays put (so no message, forged or
	// not, retries past RETRY_MAX_ELAPSED).
	if f.Retry == nil {
		f.Retry = &RetryState{First: now}
	}
	f.Retry.Attempts++
	attempt, elapsed := f.Retry.Attempts, now.Sub(f.Retry.First)
	if e.Config.RetryMaxElapsed > 0 && elapsed >= e.Config.RetryMaxElapsed {
		return res, &PermanentError{Op: "retry", Reason: fmt.Sprintf("gave up after %d attempts over %s", attempt, elapsed.Round(time.Second)), Err: cause}
	}
	f.Key, f.EventType, f.At = res.Key, d.Event.Type, now
	if f.Transient {
		f.Reason = fmt.Sprintf("retrying (attempt %d): %v", attempt, cause)
	}
	if err := e.Store.SaveFailure(ctx, f); err != nil {
		return res, storeError("save retry state", fmt.Errorf("%w (after: %v)", err, cause))
	}
	delay := e.backoff(attempt)
	if ra := RetryAfterOf(cause); ra > delay {
		delay = ra
	}
	msg := Message{ID: retryMessageID(orig, attempt), Event: d.Event}
	if err := e.Scheduler.Schedule(ctx, msg, now.Add(delay)); err != nil {
		return res, &TransientError{Op: "schedule retry", Err: fmt.Errorf("%w (after: %v)", err, cause)}
	}
	if res.Key != "" {
		_, _ = e.update(ctx, res.Key, func(r *Record) error {
			if r.Spec.Email == "" {
				return errNoChange // never create a record just to hold an error
			}
			r.LastError = cause.Error()
			return nil
		})
	}
	e.logger().Warn("transient failure, retry scheduled", logkey.MessageID, MaskEmails(d.MessageID), logkey.Attempt, attempt,
		logkey.RetryIn, delay.Round(time.Millisecond).String(), logkey.Error, MaskEmails(cause.Error()))
	return Result{Key: res.Key, Action: ActionRetryScheduled, Detail: cause.Error()}, nil
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
