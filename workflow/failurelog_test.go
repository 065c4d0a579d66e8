package workflow_test

import (
	"context"
	"encoding/json"
	"testing"

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
