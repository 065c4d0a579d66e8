package servicebus

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

func outcomeMessage(id string) workflow.Message {
	return workflow.Message{ID: id, Event: workflow.Event{ID: id, Type: "com.contoso.onboarding.partner-invited",
		Source: workflow.Source, Subject: "PR-1", Data: []byte(`{"key":"ada@fabrikam.com"}`)}}
}

// Outcome events go out at once, under the workflow's ids, as structured
// CloudEvents the subscriber can decode; a failure stops the rest.
func TestPublisherSendsEachOutcome(t *testing.T) {
	rs := &recordingSender{}
	msgs := []workflow.Message{outcomeMessage("ada@fabrikam.com/outcome/1"), outcomeMessage("ada@fabrikam.com/outcome/2")}
	if err := NewPublisher(rs).Publish(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if len(rs.sent) != 2 {
		t.Fatalf("sent %d", len(rs.sent))
	}
	for i, m := range rs.sent {
		if *m.MessageID != msgs[i].ID || m.ScheduledEnqueueTime != nil || *m.Subject != msgs[i].Event.Type {
			t.Errorf("message %d: id %q scheduled %v subject %q", i, *m.MessageID, m.ScheduledEnqueueTime, *m.Subject)
		}
		ev, err := decodeAsHandler(m.Body)
		if err != nil || ev.Subject != "PR-1" || ev.Type != msgs[i].Event.Type {
			t.Errorf("body: %v %v", ev, err)
		}
	}
	failing := &recordingSender{err: errors.New("link detached")}
	if err := NewPublisher(failing).Publish(context.Background(), msgs); err == nil || len(failing.sent) != 0 {
		t.Fatalf("failing sender: %v, sent %d", err, len(failing.sent))
	}
}

// A message that cannot be sent is refused before Service Bus with an
// error naming the operation and the rule.
func TestPublisherRefusesABadMessage(t *testing.T) {
	rs := &recordingSender{}
	err := NewPublisher(rs).Publish(context.Background(), []workflow.Message{outcomeMessage("")})
	if err == nil || !strings.Contains(err.Error(), "publish") || !strings.Contains(err.Error(), "message id: must not be empty") || len(rs.sent) != 0 {
		t.Fatalf("got %v, sent %d; want a publish error naming the message id rule and nothing sent", err, len(rs.sent))
	}
}
