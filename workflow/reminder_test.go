package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// reminderEvent is a reminder-due delivery as the app schedules it (or as
// anyone with send rights on the queue could forge it).
func reminderEvent(msgID, key string, n, cycle int) workflow.Delivery {
	data, _ := json.Marshal(workflow.ReminderData{Key: key, Number: n, Cycle: cycle})
	return workflow.Delivery{MessageID: msgID, DeliveryCount: 1, Event: workflow.Event{ID: msgID, Type: workflow.TypeReminderDue,
		Source: workflow.Source, Subject: key, Data: data}}
}

// A reminder that never reached the queue is scheduled again by the next
// delivery that touches the onboarding.
func TestNeverDeliveredReminderIsRescheduled(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	first, _ := e.sched.find("ada@fabrikam.com/reminder/1")
	e.sched.lose(first.msg.ID)
	e.handle(t, approved("m2", `{"requestId":"PR-2","email":"ada@fabrikam.com","contact":{"city":"Delft"}}`))
	again, ok := e.sched.find("ada@fabrikam.com/reminder/1")
	if !ok || !again.at.Equal(first.at) {
		t.Fatalf("reminder 1 not scheduled again for %s: %v", first.at, ids(e.sched.all()))
	}
}

// A reminder ahead of what the record expects is not dropped: it is
// retried and acts once the record expects it and it is due — never early.
func TestReminderAheadOfTheRecordIsRetried(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	key := "ada@fabrikam.com"
	res, err := e.eng.Handle(context.Background(), reminderEvent(key+"/reminder/2", key, 2, 0))
	if err != nil || res.Action != "retry-scheduled" || !strings.Contains(res.Detail, "ahead of the record") {
		t.Fatalf("reminder 2 before 1: %+v %v", res, err)
	}
	if _, emails := e.dir.counts(key); emails != 1 {
		t.Fatalf("emails = %d: an early reminder sent mail", emails)
	}
	// reminder 1 arrives and is handled; the retried 2 is then expected
	// but not due: retried again, for its due time
	if res, err := e.deliverScheduled(t, indexOf(t, e, key+"/reminder/1")); err != nil || res.Action != "reminder-sent" {
		t.Fatalf("reminder 1: %+v %v", res, err)
	}
	retry, _ := e.sched.find(key + "/reminder/2/retry/1")
	e.clock.Advance(retry.at.Sub(e.clock.Now()))
	res, err = e.eng.Handle(context.Background(), workflow.Delivery{MessageID: retry.msg.ID, Event: retry.msg.Event})
	if err != nil || res.Action != "retry-scheduled" || !strings.Contains(res.Detail, "not due until") {
		t.Fatalf("retried reminder 2 before its time: %+v %v", res, err)
	}
	due := e.record(t, key).Reminders.NextDue
	if again, _ := e.sched.find(key + "/reminder/2/retry/2"); !again.at.Equal(due) {
		t.Fatalf("retry at %s, want the due time %s", again.at, due)
	}
	res, err = e.deliverScheduled(t, indexOf(t, e, key+"/reminder/2/retry/2"))
	if err != nil || res.Action != "reminder-sent" || res.Detail != "#2" {
		t.Fatalf("reminder 2 at its time: %+v %v", res, err)
	}
	// the genuine reminder 2 now arrives: behind the record, ignored
	if res, err := e.deliverScheduled(t, indexOf(t, e, key+"/reminder/2")); err != nil || res.Action != "ignored" {
		t.Fatalf("reminder 2 again: %+v %v", res, err)
	}
	if _, emails := e.dir.counts(key); emails != 3 {
		t.Fatalf("emails = %d, want invitation + 2 resends", emails)
	}
}

// A reminder delivered late records itself before it schedules the next
// one, so the next — already due, delivered at once — is the one the
// record expects, not a "stale" one.
func TestLateReminderRecordsItselfBeforeTheNext(t *testing.T) {
	e := newEnv(t)
	key := "ada@fabrikam.com"
	e.handle(t, approved("m1", adaData))
	var got []string
	e.sched.onSchedule = func(m scheduled) { // the queue delivers a due message at once
		if strings.Contains(m.msg.ID, "/reminder/") && !m.at.After(e.clock.Now()) {
			res, err := e.eng.Handle(context.Background(), workflow.Delivery{MessageID: m.msg.ID, Event: m.msg.Event})
			got = append(got, fmt.Sprintf("%s: %s %v", m.msg.ID, res.Action, err))
		}
	}
	e.clock.Advance(200 * time.Hour) // reminder 1 arrives after reminder 2 (7d) was due
	first, _ := e.sched.find(key + "/reminder/1")
	if res, err := e.eng.Handle(context.Background(), workflow.Delivery{MessageID: first.msg.ID, Event: first.msg.Event}); err != nil || res.Action != "reminder-sent" {
		t.Fatalf("late reminder 1: %+v %v", res, err)
	}
	if len(got) == 0 || got[0] != key+"/reminder/2: reminder-sent <nil>" {
		t.Fatalf("deliveries of the next reminder: %q", got)
	}
	if r := e.record(t, key); r.Reminders.Sent != 2 || r.Reminders.Next != 3 {
		t.Fatalf("reminders = %+v", r.Reminders)
	}
}

// Forged reminder-due events (the app's own source, any number) neither
// send mail nor expire the onboarding early: they are not due.
func TestForgedRemindersNeverMailOrExpireEarly(t *testing.T) {
	e := newEnv(t)
	e.eng.Config.ExpiryAction = "delete"
	key := "ada@fabrikam.com"
	e.handle(t, approved("m1", adaData))
	for n := 1; n <= 3; n++ { // 3 is the expiry check
		d := reminderEvent(fmt.Sprintf("forged-%d", n), key, n, 0)
		res, err := e.eng.Handle(context.Background(), d)
		if err != nil || res.Action == "reminder-sent" || res.Action == "expired" {
			t.Fatalf("forged reminder %d: %+v %v", n, res, err)
		}
	}
	r := e.record(t, key)
	if _, emails := e.dir.counts(key); emails != 1 || r.Phase != workflow.PhaseProvisioned || r.Reminders.Sent != 0 || e.dir.deleted[r.GuestID] {
		t.Fatalf("after forged reminders: %d emails, phase %s, reminders %+v, deleted %v", emails, r.Phase, r.Reminders, e.dir.deleted[r.GuestID])
	}
}

// A resend whose answer was lost after Graph sent the mail is assumed
// sent: the redelivered reminder does not mail again.
func TestResendWithLostAnswerIsNotMailedAgain(t *testing.T) {
	e := newEnv(t)
	key := "ada@fabrikam.com"
	e.handle(t, approved("m1", adaData))
	e.dir.failAfter["invite"] = []error{&workflow.TransientError{Op: "invite", Err: errors.New("network: connection reset")}}
	i := indexOf(t, e, key+"/reminder/1")
	if res, err := e.deliverScheduled(t, i); err != nil || res.Action != "reminder-sent" {
		t.Fatalf("reminder 1: %+v %v", res, err)
	}
	if res, err := e.deliverScheduled(t, i); err != nil || res.Action != "ignored" { // redelivery
		t.Fatalf("redelivered reminder 1: %+v %v", res, err)
	}
	if _, emails := e.dir.counts(key); emails != 2 {
		t.Fatalf("emails = %d, want invitation + one resend", emails)
	}
	r := e.record(t, key)
	if last := r.History[len(r.History)-2]; last.Step != "reminder-unknown" {
		t.Errorf("history %+v: the unknown outcome is not recorded", r.History)
	}
}

// A resend Graph refused with 429 sent nothing: the retry mails.
func TestResendThrottledIsMailedOnRetry(t *testing.T) {
	e := newEnv(t)
	key := "ada@fabrikam.com"
	e.handle(t, approved("m1", adaData))
	e.dir.fail["invite"] = []error{&workflow.TransientError{Op: "invite", RetryAfter: time.Minute, Refused: true, Err: errors.New("graph 429 TooManyRequests")}}
	if res, err := e.deliverScheduled(t, indexOf(t, e, key+"/reminder/1")); err != nil || res.Action != "retry-scheduled" {
		t.Fatalf("throttled reminder: %+v %v", res, err)
	}
	if res, err := e.deliverScheduled(t, indexOf(t, e, key+"/reminder/1/retry/1")); err != nil || res.Action != "reminder-sent" {
		t.Fatalf("retried reminder: %+v %v", res, err)
	}
	if _, emails := e.dir.counts(key); emails != 2 {
		t.Fatalf("emails = %d, want invitation + the retried resend", emails)
	}
}

// An invitation whose outcome is unknown (a 5xx, no proof nothing
// happened) is never mailed twice: the next attempt invites without mail.
func TestInvitationWithUnknownOutcomeIsNotMailedAgain(t *testing.T) {
	e := newEnv(t)
	e.dir.fail["invite"] = []error{&workflow.TransientError{Op: "invite", Err: errors.New("graph 503 serviceNotAvailable")}}
	if res := e.handle(t, approved("m1", adaData)); res.Action != "retry-scheduled" {
		t.Fatalf("first delivery: %+v", res)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Invite.IntentAt.IsZero() || !r.Invite.OutcomeUnknown {
		t.Fatalf("invite state %+v: the intent must be kept", r.Invite)
	}
	e.clock.Advance(2 * time.Minute)
	if res, err := e.deliverScheduled(t, indexOf(t, e, "m1/retry/1")); err != nil || res.Action != "invited" {
		t.Fatalf("retry: %+v %v", res, err)
	}
	invites, emails := e.dir.counts("ada@fabrikam.com")
	if r := e.record(t, "ada@fabrikam.com"); invites != 1 || emails != 0 || r.Phase != workflow.PhaseProvisioned || r.UserOrigin != workflow.OriginCreated {
		t.Fatalf("invites=%d emails=%d phase %s origin %q", invites, emails, r.Phase, r.UserOrigin)
	}
}
