package localqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

func reminderMessage(id string) workflow.Message {
	return workflow.Message{ID: id, Event: workflow.Event{
		ID: id, Type: workflow.TypeReminderDue, Source: workflow.Source, Subject: "ada@fabrikam.com",
		Time: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Data: json.RawMessage(`{"key":"ada@fabrikam.com","number":1,"requestId":"PR-1"}`),
		Extensions: map[string]string{"onboardattempt": "2"},
	}}
}

func TestSchedulerSendsServiceBusShapedMessages(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	q := devhost.NewQueue("onboarding", devhost.QueueOptions{Now: func() time.Time { return now }})
	s := Scheduler{Queue: q}
	ctx := context.Background()
	at := now.Add(20 * time.Second).In(time.FixedZone("CET", 3600))

	if err := s.Schedule(ctx, reminderMessage("ada@fabrikam.com/reminder/1"), at); err != nil {
		t.Fatal(err)
	}
	if err := s.Schedule(ctx, reminderMessage("ada@fabrikam.com/reminder/1"), at); err != nil {
		t.Fatalf("a repeated id must be accepted (and dropped), got %v", err)
	}
	if err := s.Schedule(ctx, reminderMessage("ada@fabrikam.com/retry/1"), now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	st := q.Stats()
	if st.Scheduled != 1 || st.Active != 1 {
		t.Fatalf("stats %+v: want the reminder scheduled once (duplicate dropped) and the past-due retry active", st)
	}
	msgs := q.Peek()
	var rem devhost.ReceivedMessage
	for _, m := range msgs {
		if m.MessageID == "ada@fabrikam.com/reminder/1" {
			rem = m
		}
	}
	if rem.MessageID == "" {
		t.Fatalf("no reminder among %+v", msgs)
	}
	if !rem.EnqueuedTime.Equal(at) || rem.State != devhost.StateScheduled {
		t.Errorf("reminder enqueued %s state %s; want held until %s", rem.EnqueuedTime, rem.State, at.UTC())
	}
	if rem.ContentType != servicebus.ContentTypeCloudEventsJSON || rem.Subject != workflow.TypeReminderDue {
		t.Errorf("content type %q subject %q: want %q and the event type", rem.ContentType, rem.Subject, servicebus.ContentTypeCloudEventsJSON)
	}
	// The body is what the handler decodes: a structured CloudEvent.
	ev, err := handlers.ParseCloudEvent(rem.ContentType, rem.ApplicationProperties, rem.Body)
	if err != nil {
		t.Fatalf("handler cannot decode the body: %v\n%s", err, rem.Body)
	}
	want := reminderMessage("x").Event
	if ev.Type != want.Type || ev.Source != want.Source || ev.Subject != want.Subject || ev.Extensions["onboardattempt"] != "2" ||
		!ev.Time.Equal(want.Time) || !jsonEqual(ev.Data, want.Data) {
		t.Errorf("decoded event %+v; want %+v", ev, want)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestSchedulerRefusesBadMessages(t *testing.T) {
	q := devhost.NewQueue("onboarding", devhost.QueueOptions{})
	s := Scheduler{Queue: q}
	bad := reminderMessage(strings.Repeat("x", 129))
	noData := reminderMessage("ok")
	noData.Event.Data = json.RawMessage(`{not json`)
	for name, m := range map[string]workflow.Message{"empty id": reminderMessage(""), "long id": bad, "invalid data": noData} {
		if err := s.Schedule(context.Background(), m, time.Now()); err == nil {
			t.Errorf("%s: scheduled; want an error", name)
		}
	}
	if st := q.Stats(); st.Active+st.Scheduled != 0 {
		t.Errorf("bad messages reached the queue: %+v", st)
	}
}
