package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Outcomes logged for every Service Bus invocation (slog field logkey.Outcome).
const (
	OutcomeCompleted = "completed" // 200: the host completes the message
	OutcomeRejected  = "rejected"  // 500: envelope or CloudEvent undecodable (permanent)
	OutcomePermanent = "permanent" // 500: the workflow failed permanently
	OutcomeAbandoned = "abandoned" // 500: transient failure whose retry could not be scheduled
	OutcomePanic     = "panic"     // 500: the processor panicked
)

// serveEvents handles one Service Bus trigger invocation: decode the
// envelope and the CloudEvent, run the processor, map its outcome to the
// HTTP status the host settles the message by.
func (h *handler) serveEvents(w http.ResponseWriter, r *http.Request, function string) {
	start := time.Now()
	ctx := r.Context()
	log := h.log.With(logkey.Function, function, logkey.InvocationID, r.Header.Get(InvocationIDHeader))

	raw, err := h.readEnvelope(w, r)
	if err != nil {
		h.reject(ctx, w, log, start, ServiceBusMessage{}, err)
		return
	}
	msg, err := DecodeServiceBusEnvelope(raw, h.opts.EventsBinding)
	log = log.With(logkey.MessageID, workflow.MaskEmails(msg.MessageID), logkey.DeliveryCount, msg.DeliveryCount)
	if err != nil {
		h.reject(ctx, w, log, start, msg, err)
		return
	}
	ev, err := ParseCloudEvent(msg.ContentType, msg.ApplicationProperties, msg.Body)
	if err != nil {
		h.reject(ctx, w, log, start, msg, err)
		return
	}
	log = log.With(logkey.EventType, ev.Type, logkey.EventID, workflow.MaskEmails(ev.ID))
	if h.opts.Processor == nil {
		log.Error("no processor configured", logkey.Outcome, OutcomeAbandoned)
		writeInvoke(w, http.StatusInternalServerError, nil, []string{function + " is not configured (no processor)"})
		return
	}

	d := workflow.Delivery{MessageID: msg.MessageID, DeliveryCount: msg.DeliveryCount, Event: ev}
	head := fmt.Sprintf("message %s (delivery %d): %s event %s", QuoteID(msg.MessageID), msg.DeliveryCount, ev.Type, QuoteID(ev.ID))
	res, err, panicked := h.process(ctx, d)
	elapsed := time.Since(start)
	attrs := []any{logkey.DurationMs, elapsed.Milliseconds()}
	if res.Key != "" {
		attrs = append(attrs, logkey.Key, workflow.MaskEmail(res.Key))
	}
	if res.Action != "" {
		attrs = append(attrs, logkey.Action, string(res.Action))
	}

	switch {
	case panicked != nil:
		log.Error("processor panicked", append(attrs, logkey.Outcome, OutcomePanic,
			logkey.Panic, workflow.MaskEmails(toString(panicked.value)), logkey.Stack, string(panicked.stack))...)
		writeInvoke(w, http.StatusInternalServerError, nil, []string{head, "internal error (panic); the message will be redelivered"})
	case err == nil:
		line := head + ": " + string(res.Action)
		if res.Key != "" {
			line += " " + workflow.MaskEmail(res.Key)
		}
		if res.Detail != "" {
			line += " (" + workflow.MaskEmails(res.Detail) + ")"
		}
		log.Info("event handled", append(attrs, logkey.Outcome, OutcomeCompleted, logkey.Detail, workflow.MaskEmails(res.Detail))...)
		writeInvoke(w, http.StatusOK, nil, []string{line})
	case workflow.IsPermanent(err):
		reason := workflow.MaskEmails(err.Error())
		log.Error("event failed permanently", append(attrs, logkey.Outcome, OutcomePermanent, logkey.Error, reason)...)
		writeInvoke(w, http.StatusInternalServerError, nil, []string{head, "permanent failure: " + reason + "; failing until dead-lettered"})
	default:
		reason := workflow.MaskEmails(err.Error())
		log.Error("event failed; retry could not be scheduled", append(attrs, logkey.Outcome, OutcomeAbandoned, logkey.Error, reason)...)
		writeInvoke(w, http.StatusInternalServerError, nil, []string{head, "failed, the host will redeliver: " + reason})
	}
}

// panicInfo is a recovered processor panic.
type panicInfo struct {
	value any
	stack []byte
}

// process runs the processor, turning a panic into a panicInfo so one bad
// event cannot take down the handler process (and every in-flight
// invocation with it). *workflow.Engine already turns a panic in its
// reconcile into a permanent failure (RecoverPanics); this catches the
// rest (its failure log, any other Processor).
func (h *handler) process(ctx context.Context, d workflow.Delivery) (res workflow.Result, err error, p *panicInfo) {
	defer func() {
		if v := recover(); v != nil {
			p = &panicInfo{value: v, stack: debug.Stack()}
		}
	}()
	res, err = h.opts.Processor.Handle(ctx, d)
	return res, err, nil
}

// reject answers an undecodable delivery: record the reason under the
// MessageId (when known and a recorder is configured), log it naming the
// field, and answer 500 so the message is abandoned and, after
// MaxDeliveryCount, dead-lettered.
func (h *handler) reject(ctx context.Context, w http.ResponseWriter, log *slog.Logger, start time.Time, msg ServiceBusMessage, cause error) {
	reason := cause.Error()
	if h.opts.Failures != nil && msg.MessageID != "" {
		f := workflow.Failure{MessageID: msg.MessageID, Reason: reason, At: h.opts.Now().UTC()}
		if err := h.recordFailure(ctx, f); err != nil {
			log.Error("cannot record failure", logkey.Error, workflow.MaskEmails(err.Error()))
		}
	}
	log.Error("message rejected", logkey.Outcome, OutcomeRejected, logkey.Error, workflow.MaskEmails(reason),
		logkey.DurationMs, time.Since(start).Milliseconds())
	head := fmt.Sprintf("message %s (delivery %d)", QuoteID(msg.MessageID), msg.DeliveryCount)
	writeInvoke(w, http.StatusInternalServerError, nil,
		[]string{head + " rejected: " + workflow.MaskEmails(reason) + "; failing until dead-lettered"})
}

// recordFailure calls the recorder, containing a panic in it.
func (h *handler) recordFailure(ctx context.Context, f workflow.Failure) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("failure recorder panicked: %v", v)
		}
	}()
	return h.opts.Failures.RecordFailure(ctx, f)
}

func toString(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return fmt.Sprint(v)
}
