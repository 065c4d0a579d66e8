package localqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Publisher is the workflow.Publisher over a local topic (a *devhost.Topic):
// each outcome event is sent as servicebus.Publisher sends it to Service
// Bus (structured CloudEvent, MessageId = the workflow's deterministic id,
// Subject = the event type), so the topic's duplicate detection drops a
// repeated publication as Service Bus would.
type Publisher struct {
	Topic Sender
}

var _ workflow.Publisher = Publisher{}

// Publish sends msgs for immediate delivery, in order.
func (p Publisher) Publish(ctx context.Context, msgs []workflow.Message) error {
	for _, msg := range msgs {
		m, err := Message(msg, time.Time{})
		if err != nil {
			return err
		}
		if _, err := p.Topic.Send(ctx, m); err != nil {
			return fmt.Errorf("publish %s on the local topic: %w", workflow.MaskEmails(msg.ID), err)
		}
	}
	return nil
}
