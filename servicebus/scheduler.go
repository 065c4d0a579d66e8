package servicebus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// MaxMessageIDLength is the longest MessageId Service Bus accepts.
const MaxMessageIDLength = 128

// MessageSender is the part of *azservicebus.Sender the Scheduler uses; a
// *azservicebus.Sender satisfies it.
type MessageSender interface {
	SendMessage(ctx context.Context, message *azservicebus.Message, options *azservicebus.SendMessageOptions) error
}

// Scheduler implements workflow.Scheduler over Service Bus: each message is
// sent to the onboarding queue as a structured CloudEvent with a
// ScheduledEnqueueTime, so it stays invisible until due. Its MessageId is the
// workflow's deterministic id, so with duplicate detection enabled on the
// queue a repeated Schedule of the same id is dropped by Service Bus.
type Scheduler struct {
	sender MessageSender
	clock  workflow.Clock
	log    *slog.Logger
}

// NewScheduler returns a Scheduler sending through sender (usually
// client.NewSender(queue, nil)). clock decides whether a time is in the
// future (nil: the system clock); log may be nil.
func NewScheduler(sender MessageSender, clock workflow.Clock, log *slog.Logger) *Scheduler {
	if clock == nil {
		clock = workflow.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{sender: sender, clock: clock, log: log}
}

var _ workflow.Scheduler = (*Scheduler)(nil)

// Schedule sends msg to be delivered at at (immediately when at is not in
// the future). Errors are wrapped; Service Bus failures are classified (see
// IsTransient; transient ones also match *workflow.TransientError). Logs
// and errors show the message id with e-mail addresses masked.
func (s *Scheduler) Schedule(ctx context.Context, msg workflow.Message, at time.Time) error {
	m, err := send(ctx, s.sender, "schedule", msg, at, s.clock.Now())
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "message scheduled",
		slog.String(logkey.MessageID, workflow.MaskEmails(msg.ID)),
		slog.String(logkey.EventType, msg.Event.Type),
		slog.Time(logkey.Due, at),
		slog.Bool(logkey.Immediate, m.ScheduledEnqueueTime == nil))
	return nil
}

// send builds msg's Service Bus message (BuildMessage) and sends it; op
// ("schedule", "publish") starts both errors, which show the message id
// with e-mail addresses masked, and Service Bus failures are classified.
func send(ctx context.Context, sender MessageSender, op string, msg workflow.Message, at, now time.Time) (*azservicebus.Message, error) {
	id := workflow.MaskEmails(msg.ID)
	m, err := BuildMessage(msg, at, now)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, id, err)
	}
	if err := sender.SendMessage(ctx, m, nil); err != nil {
		return nil, classify(op+" message "+id, err)
	}
	return m, nil
}

// BuildMessage is the pure construction of the Service Bus message for msg:
// MessageId = msg.ID (deterministic, for duplicate detection), body and
// ContentType from Encode (structured CloudEvent), Subject = the event type
// (visible in Service Bus Explorer and usable in filters), and
// ScheduledEnqueueTime = at, in UTC, when at is after now (nil otherwise, so
// the message is sent for immediate delivery). No application properties:
// everything is in the structured event.
func BuildMessage(msg workflow.Message, at, now time.Time) (*azservicebus.Message, error) {
	if err := checkMessageID(msg.ID); err != nil {
		return nil, err
	}
	body, contentType, err := Encode(msg)
	if err != nil {
		return nil, err
	}
	id, subject := msg.ID, msg.Event.Type
	m := &azservicebus.Message{
		MessageID:   &id,
		Body:        body,
		ContentType: &contentType,
		Subject:     &subject,
	}
	if at.After(now) {
		t := at.UTC()
		m.ScheduledEnqueueTime = &t
	}
	return m, nil
}

// checkMessageID enforces Service Bus's MessageId rules.
func checkMessageID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("message id: must not be empty (Service Bus duplicate detection keys on it)")
	case len(id) > MaxMessageIDLength:
		return fmt.Errorf("message id %q: at most %d characters (Service Bus MessageId limit), got %d", workflow.MaskEmails(id), MaxMessageIDLength, len(id))
	}
	return nil
}
