package servicebus

import (
	"context"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Publisher implements workflow.Publisher over a Service Bus topic sender
// (client.NewSender(topic, nil)): each outcome event is sent as a
// structured CloudEvent with the workflow's deterministic MessageId, so the
// topic's duplicate detection drops one published twice. Messages are sent
// one by one, in order; the first failure stops the rest, which the
// workflow publishes again later under the same ids.
type Publisher struct {
	sender MessageSender
}

// NewPublisher returns a Publisher sending through sender.
func NewPublisher(sender MessageSender) *Publisher { return &Publisher{sender: sender} }

var _ workflow.Publisher = (*Publisher)(nil)

// Publish sends msgs for immediate delivery. Errors name the message;
// Service Bus failures are classified as Schedule's are.
func (p *Publisher) Publish(ctx context.Context, msgs []workflow.Message) error {
	for _, msg := range msgs {
		if _, err := send(ctx, p.sender, "publish", msg, time.Time{}, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}
