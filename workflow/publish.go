package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// outbox collects, for one delivery, the newest record (per key) and the
// failure log entries that hold unpublished outcomes, as the delivery
// read or saved them. PublishOutcomes publishes them when the delivery is
// done.
type outbox struct {
	mu       sync.Mutex
	records  map[string]Record
	failures map[string]Failure
}

type outboxKey struct{}

// outboxOf is the delivery's outbox; nil (whose methods do nothing) outside
// PublishOutcomes.
func outboxOf(ctx context.Context) *outbox {
	o, _ := ctx.Value(outboxKey{}).(*outbox)
	return o
}

// note keeps rec when its outbox is not empty: the newest version wins,
// and a record whose outbox is empty (published by now) drops the older.
func (o *outbox) note(rec Record) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(rec.Outbox) == 0 {
		delete(o.records, rec.Key)
		return
	}
	o.records[rec.Key] = rec
}

func (o *outbox) noteFailure(f Failure) {
	if o == nil || len(f.Outbox) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures[f.MessageID] = f
}

// PublishOutcomes publishes, after next has handled the delivery, the
// outcome events its saves put into an outbox, and those it found still
// waiting there (a process that crashed after the save, a publication
// that failed): each with its deterministic id, so what an earlier
// delivery already published is dropped by the topic as a duplicate.
// Then it clears the published outcomes from the outbox with one save.
//
// Publishing never changes what the delivery did: a failure is logged
// and, when the delivery succeeded, the event is retried later
// (RetryTransient's scheduling), whose delivery finds the outbox and
// publishes again; a failed delivery keeps its own error, and a later
// delivery for the onboarding publishes what is left.
func (e *Engine) PublishOutcomes(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, d Delivery) (Result, error) {
		if e.Publisher == nil {
			return next(ctx, d)
		}
		o := &outbox{records: map[string]Record{}, failures: map[string]Failure{}}
		res, err := next(context.WithValue(ctx, outboxKey{}, o), d)
		perr := e.flush(ctx, o)
		if perr == nil {
			return res, err
		}
		e.logger().Warn("outcome events not published; published again later", logkey.MessageID, MaskEmails(d.MessageID), logkey.Error, MaskEmails(perr.Error()))
		if err != nil || res.Action == ActionRetryScheduled {
			return res, err // failed, or coming back anyway: that delivery publishes
		}
		rres, rerr := e.retry(ctx, d, res, &TransientError{Op: "publish outcomes", Err: perr})
		if IsPermanent(rerr) {
			return res, nil // the onboarding is done; a later delivery publishes what is left
		}
		return rres, rerr
	}
}

// flush publishes what o holds and clears it from the outboxes.
func (e *Engine) flush(ctx context.Context, o *outbox) error {
	var errs []error
	for _, rec := range o.records {
		if err := e.publish(ctx, rec.Outbox); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := e.markPublished(ctx, rec); err != nil {
			e.logger().Warn("published outcomes not cleared from the outbox; a later delivery publishes them again as duplicates the topic drops",
				logkey.Key, MaskEmail(rec.Key), logkey.Error, MaskEmails(err.Error()))
		}
	}
	for _, f := range o.failures {
		if err := e.publish(ctx, f.Outbox); err != nil {
			errs = append(errs, err)
			continue
		}
		f.Outbox = nil
		if err := e.Store.SaveFailure(ctx, f); err != nil {
			e.logger().Warn("published outcome not cleared from the failure log", logkey.MessageID, MaskEmails(f.MessageID), logkey.Error, MaskEmails(err.Error()))
		}
	}
	return errors.Join(errs...)
}

// publish sends outcomes in one call and logs one line for each.
func (e *Engine) publish(ctx context.Context, outcomes []Outcome) error {
	msgs := make([]Message, len(outcomes))
	for i, oc := range outcomes {
		msgs[i] = e.message(oc)
	}
	if err := e.Publisher.Publish(ctx, msgs); err != nil {
		return fmt.Errorf("publish %d outcome(s): %w", len(msgs), err)
	}
	for i, oc := range outcomes {
		e.logger().Info("outcome published", logkey.EventType, msgs[i].Event.Type, logkey.Key, MaskEmail(oc.Data.Key),
			logkey.MessageID, MaskEmails(oc.ID), logkey.Phase, string(oc.Data.Phase), logkey.Reason, MaskEmails(oc.Data.Reason))
	}
	return nil
}

// markPublished removes the published outcomes from the record: one save
// on the version the delivery last saw, or, when another delivery saved
// since, the same removal on the newest one (pending's commit). A crash
// before it only means the outcomes are published again, under the same
// ids.
func (e *Engine) markPublished(ctx context.Context, rec Record) error {
	done := make([]string, len(rec.Outbox))
	for i, oc := range rec.Outbox {
		done[i] = oc.ID
	}
	return e.pendingFrom(rec).apply(ctx, func(r *Record) error {
		n := len(r.Outbox)
		r.Outbox = slices.DeleteFunc(r.Outbox, func(oc Outcome) bool { return slices.Contains(done, oc.ID) })
		if len(r.Outbox) == n {
			return errNoChange
		}
		return nil
	})
}
