package workflow

import (
	"context"

	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// RecordFailures records every permanent failure next returns (see
// recordFailure) and marks the result ActionFailed; the error itself is
// returned unchanged, as is every other outcome.
func (e *Engine) RecordFailures(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, d Delivery) (Result, error) {
		res, err := next(ctx, d)
		if IsPermanent(err) {
			e.recordFailure(ctx, d, res.Key, err)
			res.Action = ActionFailed
		}
		return res, err
	}
}

// recordFailure stores the reason of a permanent failure under the message
// id and the event's hash (so redeliveries of that message fail fast and
// the dead-letter listing can show it) and on the record, when there is one.
func (e *Engine) recordFailure(ctx context.Context, d Delivery, key string, cause error) {
	hash := EventHash(d.Event)
	f := Failure{MessageID: d.MessageID, Key: key, EventType: d.Event.Type, Reason: cause.Error(), At: e.Clock.Now().UTC(), BodyHash: hash,
		RequestID: requestIDOf(d.Event)}
	if old, err := e.Store.Failure(ctx, d.MessageID); err == nil {
		f.Retry = old.Retry // keep the retry count under this id
	}
	if e.Publisher != nil && (key != "" || f.RequestID != "" && eventType(d.Event.Type, e.Config) == TypePartnerApproved) {
		// the partner-failed outcome is saved with the failure itself,
		// whether or not a record exists to keep it
		f.Outbox = []Outcome{{ID: failureOutcomeID(key, hash, f.Reason), Type: OutcomeFailed, At: f.At,
			Data: OutcomeData{Key: key, RequestID: f.RequestID, Phase: PhaseFailed, Reason: f.Reason}}}
	}
	if err := e.Store.SaveFailure(ctx, f); err != nil {
		e.logger().Error("could not record failure", logkey.MessageID, MaskEmails(d.MessageID), logkey.Error, MaskEmails(err.Error()))
	} else {
		outboxOf(ctx).noteFailure(f)
	}
	f.Outbox = nil
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
		e.logger().Error("could not mark record failed", logkey.MessageID, MaskEmails(d.MessageID), logkey.Error, MaskEmails(err.Error()))
	}
}
