package devhost

import (
	"context"
	"strings"
	"testing"
)

// A topic copies each message to every subscription and drops a repeated
// MessageId, as Service Bus's duplicate detection on a topic does.
func TestTopicFansOutAndDropsDuplicates(t *testing.T) {
	b, err := NewBroker(BrokerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	topic, err := b.Topic("outcomes", "procurement", "audit")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, id := range []string{"a/outcome/1", "a/outcome/2", "a/outcome/1"} {
		res, err := topic.Send(ctx, Message{MessageID: id, Body: []byte(id)})
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 2; res.Duplicate != want {
			t.Errorf("%s: duplicate = %v", id, res.Duplicate)
		}
	}
	for _, sub := range []string{"procurement", "audit"} {
		q, ok := b.Lookup(SubscriptionQueue("outcomes", sub))
		if !ok {
			t.Fatalf("no queue for subscription %s", sub)
		}
		if got := q.Peek(); len(got) != 2 || got[0].MessageID != "a/outcome/1" || got[1].MessageID != "a/outcome/2" {
			t.Errorf("%s holds %d messages: %+v", sub, len(got), got)
		}
	}
	if _, err := b.Topic("outcomes"); err == nil {
		t.Error("a topic without subscriptions was accepted")
	}
}

// Subscription names are checked: an empty or repeated name is refused
// with an error naming the subscription and the rule.
func TestTopicRefusesBadSubscriptionNames(t *testing.T) {
	b, err := NewBroker(BrokerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, tc := range []struct {
		subs []string
		want string
	}{
		{[]string{""}, "subscription name: must not be empty"},
		{[]string{"audit", "audit"}, "subscription audit: named twice"},
		{[]string{"a b"}, "not allowed"},
	} {
		if _, err := b.Topic("outcomes", tc.subs...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Topic(outcomes, %q) = %v, want an error containing %q", tc.subs, err, tc.want)
		}
	}
}
