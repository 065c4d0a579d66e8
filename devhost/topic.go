package devhost

import (
	"context"
	"fmt"
	"slices"
)

// Topic is a Service Bus topic of the embedded namespace: every message
// sent to it is copied to each of its subscriptions, which are queues of
// the broker named SubscriptionQueue(topic, subscription) (Service Bus's
// own path, "<topic>/Subscriptions/<name>", cannot be a queue name here).
// A subscription has queue semantics: peek-lock, delivery counts, dead
// letters, and the broker's persistence.
//
// Duplicate detection: Service Bus drops a repeated MessageId at the
// topic. Here each subscription queue drops it, with the broker's
// duplicate detection window; that is the same for the subscriptions a
// topic is opened with, which is how the dev runtime uses it (its
// subscriptions are fixed when it starts).
type Topic struct {
	name string
	subs []*Queue
}

// SubscriptionQueue is the name of the queue holding a topic subscription.
func SubscriptionQueue(topic, subscription string) string { return topic + "." + subscription }

// Topic returns the topic called name with the given subscriptions,
// creating their queues if needed.
func (b *Broker) Topic(name string, subscriptions ...string) (*Topic, error) {
	if err := ValidateQueueName(name); err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	if len(subscriptions) == 0 {
		return nil, fmt.Errorf("topic %s: needs at least one subscription (Service Bus drops what no subscription takes)", name)
	}
	t := &Topic{name: name}
	for i, s := range subscriptions {
		switch {
		case s == "":
			return nil, fmt.Errorf("topic %s: subscription name: must not be empty", name)
		case slices.Contains(subscriptions[:i], s):
			// one queue sent to twice would report every message a duplicate
			return nil, fmt.Errorf("topic %s: subscription %s: named twice", name, s)
		}
		q, err := b.Queue(SubscriptionQueue(name, s))
		if err != nil {
			return nil, fmt.Errorf("topic %s subscription %s: %w", name, s, err)
		}
		t.subs = append(t.subs, q)
	}
	return t, nil
}

// Name is the topic's name.
func (t *Topic) Name() string { return t.name }

// Subscriptions are the queues of the topic's subscriptions.
func (t *Topic) Subscriptions() []*Queue { return slices.Clone(t.subs) }

// Send copies msg to every subscription. Duplicate is true when a
// subscription dropped it as a repeated MessageId; the MessageId is the
// one every copy carries (generated once when msg has none).
func (t *Topic) Send(ctx context.Context, msg Message) (SendResult, error) {
	var res SendResult
	for i, q := range t.subs {
		r, err := q.Send(ctx, msg)
		if err != nil {
			return res, fmt.Errorf("topic %s: %w", t.name, err)
		}
		if i == 0 {
			res = r
			msg.MessageID = r.MessageID
		}
		res.Duplicate = res.Duplicate || r.Duplicate
	}
	return res, nil
}
