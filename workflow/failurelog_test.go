package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// A junk message sent under a reminder's MessageId fails on its own; it
// does not make the real reminder fail as a "known failure".
func TestJunkUnderAReminderIDDoesNotPoisonTheReminder(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	id := "ada@fabrikam.com/reminder/1"
	junk := workflow.Delivery{MessageID: id, Event: workflow.Event{ID: "junk", Type: workflow.TypeReminderDue, Source: workflow.Source,
		Data: json.RawMessage(`{"key":"ada@fabrikam.com","number":"one"}`)}}
	for i := 0; i < 2; i++ {
		if _, err := e.eng.Handle(context.Background(), junk); !workflow.IsPermanent(err) {
			t.Fatalf("junk: %v", err)
		}
	}
	res, err := e.deliverScheduled(t, indexOf(t, e, id))
	if err != nil || res.Action != "reminder-sent" {
		t.Fatalf("the real reminder: %+v %v", res, err)
	}
	// while the junk still fails fast on its redeliveries
	if _, err := e.eng.Handle(context.Background(), junk); !workflow.IsPermanent(err) {
		t.Fatalf("junk redelivery: %v", err)
	}
}

// A replayed dead letter starts a retry chain of its own: the old chain's
// first failure does not make its first transient failure final.
func TestReplayedMessageHasItsOwnRetryChain(t *testing.T) {
	e := newEnv(t)
	if err := e.store.SaveFailure(context.Background(), workflow.Failure{MessageID: "m1", Transient: true,
		Retry: &workflow.RetryState{Attempts: 9, First: e.clock.Now().Add(-48 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	e.dir.fail["invite"] = []error{&workflow.TransientError{Op: "invite", Refused: true, Err: errors.New("429")}}
	res := e.handle(t, approved("m1/retry/9/replay/1700000000", adaData))
	if res.Action != "retry-scheduled" {
		t.Fatalf("replayed message: %+v", res)
	}
	if _, ok := e.sched.find("m1/retry/9/replay/1700000000/retry/1"); !ok {
		t.Fatalf("scheduled %v", ids(e.sched.all()))
	}
}
