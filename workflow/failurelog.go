package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventHash identifies an event's content for the failure log: type,
// source, id, subject and data. Extension attributes are left out: a
// sender controls them and the workflow does not act on them.
func EventHash(ev Event) string {
	h := sha256.New()
	for _, part := range []string{ev.Type, ev.Source, ev.ID, ev.Subject} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(ev.Data)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// failsFast reports whether a redelivery with body hash hash is the
// message this entry recorded a permanent failure for. Only the same
// message (id and hash) fails fast: another message sent under the same
// id — a junk or forged one under a reminder's id, say — is processed on
// its own merits, and an entry without a hash (an undecodable envelope, or
// one written before hashes were recorded) never short-cuts a decodable one.
func (f Failure) failsFast(hash string) bool {
	return !f.Transient && f.BodyHash != "" && f.BodyHash == hash
}

// originalMessageID is the id a retry chain is keyed by: the message id
// without a trailing "/retry/<n>". A replayed dead letter
// ("…/retry/3/replay/<n>") is a new message with a chain of its own.
func originalMessageID(id string) string {
	i := strings.LastIndex(id, "/retry/")
	if i < 0 {
		return id
	}
	n := id[i+len("/retry/"):]
	if _, err := strconv.Atoi(n); err != nil || n == "" {
		return id
	}
	return id[:i]
}

// retry schedules the delivered event again after a backoff; it turns the
// failure permanent once the total retry time is used up. The attempt
// count and the time of the first failure live in the failure log under
// the original message id (Failure.Retry), never in attributes a sender
// could set.
func (e *Engine) retry(ctx context.Context, d Delivery, res Result, cause error) (Result, error) {
	now := e.Clock.Now().UTC()
	orig := originalMessageID(d.MessageID)
	hash := EventHash(d.Event)
	f, err := e.Store.Failure(ctx, orig)
	switch {
	case errors.Is(err, ErrNotFound):
		f = Failure{MessageID: orig, Transient: true, BodyHash: hash}
	case err != nil:
		return res, &TransientError{Op: "read retry state", Err: fmt.Errorf("%w (after: %v)", err, cause)}
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
		return res, &TransientError{Op: "save retry state", Err: fmt.Errorf("%w (after: %v)", err, cause)}
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
	e.logger().Warn("transient failure, retry scheduled", "messageId", d.MessageID, "attempt", attempt,
		"retryIn", delay.Round(time.Millisecond).String(), "error", cause.Error())
	return Result{Key: res.Key, Action: "retry-scheduled", Detail: cause.Error()}, nil
}

// recordFailure stores the reason of a permanent failure under the message
// id and the event's hash (so redeliveries of that message fail fast and
// the dead-letter listing can show it) and on the record, when there is one.
func (e *Engine) recordFailure(ctx context.Context, d Delivery, key string, cause error) {
	hash := EventHash(d.Event)
	f := Failure{MessageID: d.MessageID, Key: key, EventType: d.Event.Type, Reason: cause.Error(), At: e.Clock.Now().UTC(), BodyHash: hash}
	if old, err := e.Store.Failure(ctx, d.MessageID); err == nil {
		f.Retry = old.Retry // keep the retry count under this id
	}
	if err := e.Store.SaveFailure(ctx, f); err != nil {
		e.logger().Error("could not record failure", "messageId", d.MessageID, "error", err)
	}
	if key == "" {
		return
	}
	_, err := e.update(ctx, key, func(r *Record) error {
		if r.Spec.Email == "" {
			return errNoChange
		}
		r.Failure = &f
		if r.Phase == PhaseNew || r.Phase == PhaseInvited {
			// an onboarding that got further is not undone by one bad event
			r.Phase = PhaseFailed
		}
		r.note(e, "failed", f.Reason)
		return nil
	})
	if err != nil {
		e.logger().Error("could not mark record failed", "messageId", d.MessageID, "error", err)
	}
}
