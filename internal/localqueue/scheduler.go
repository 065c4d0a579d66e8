package localqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Sender is the part of *devhost.Queue the Scheduler uses.
type Sender interface {
	Send(ctx context.Context, msg devhost.Message) (devhost.SendResult, error)
}

// Scheduler is the workflow.Scheduler over the local queue: it sends each
// message exactly as servicebus.Scheduler sends it to Service Bus
// (structured CloudEvent body from servicebus.Encode, MessageId = the
// workflow's deterministic id, Subject = the event type,
// ScheduledEnqueueTime = at), so reminders and retries meet the same queue
// semantics as in Azure: held until due, duplicate detection on the id,
// delivery through the host emulator and the handler's HTTP path.
type Scheduler struct {
	Queue Sender
}

var _ workflow.Scheduler = Scheduler{}

// Schedule enqueues msg for delivery at at (at once when at is not in the
// future). A repeated id within the duplicate detection window is accepted
// and dropped by the queue, as Service Bus does.
func (s Scheduler) Schedule(ctx context.Context, msg workflow.Message, at time.Time) error {
	m, err := Message(msg, at)
	if err != nil {
		return err
	}
	if _, err := s.Queue.Send(ctx, m); err != nil {
		return fmt.Errorf("schedule %s on the local queue: %w", workflow.MaskEmails(msg.ID), err)
	}
	return nil
}

// Message is the pure construction of the queue message for msg.
func Message(msg workflow.Message, at time.Time) (devhost.Message, error) {
	if msg.ID == "" {
		return devhost.Message{}, fmt.Errorf("schedule: message id: must not be empty (duplicate detection keys on it)")
	}
	if len(msg.ID) > servicebus.MaxMessageIDLength {
		return devhost.Message{}, fmt.Errorf("schedule: message id: at most %d characters (Service Bus MessageId limit), got %d", servicebus.MaxMessageIDLength, len(msg.ID))
	}
	body, contentType, err := servicebus.Encode(msg)
	if err != nil {
		return devhost.Message{}, err
	}
	return devhost.Message{
		MessageID:            msg.ID,
		Body:                 body,
		ContentType:          contentType,
		Subject:              msg.Event.Type,
		ScheduledEnqueueTime: at.UTC(),
	}, nil
}
