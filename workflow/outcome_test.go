package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// fakeTopic is the outcomes topic: it drops a message id it has seen
// (duplicate detection), counts every publication attempt, and fails
// while failing is set.
type fakeTopic struct {
	mu        sync.Mutex
	delivered []workflow.Message
	seen      map[string]int // publications per id, duplicates included
	failing   error
}

func (f *fakeTopic) Publish(ctx context.Context, msgs []workflow.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing != nil {
		return f.failing
	}
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	for _, m := range msgs {
		if f.seen[m.ID]++; f.seen[m.ID] == 1 {
			f.delivered = append(f.delivered, m)
		}
	}
	return nil
}

// types lists the delivered event types, in order.
func (f *fakeTopic) types() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.delivered {
		out = append(out, m.Event.Type)
	}
	return out
}

func (f *fakeTopic) data(t *testing.T, i int) workflow.OutcomeData {
	t.Helper()
	var d workflow.OutcomeData
	if err := json.Unmarshal(f.delivered[i].Event.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func newOutcomeEnv(t *testing.T) (*env, *fakeTopic) {
	e := newEnv(t)
	topic := &fakeTopic{}
	e.eng.Publisher = topic
	e.eng.Config.OutcomeTypePrefix = "com.contoso.onboarding."
	return e, topic
}

const pfx = "com.contoso.onboarding."

func TestOutcomesOfAnOnboarding(t *testing.T) {
	e, topic := newOutcomeEnv(t)
	key := "ada@fabrikam.com"
	e.handle(t, approved("m1", adaData))
	e.handle(t, approved("m1", adaData)) // a redelivery: nothing new
	want := []string{pfx + workflow.OutcomeInvited, pfx + workflow.OutcomeProvisioned}
	if got := topic.types(); !slices.Equal(got, want) {
		t.Fatalf("after approval: %v, want %v", got, want)
	}
	m := topic.delivered[1]
	d := topic.data(t, 1)
	if m.Event.Subject != "PR-1" || d.Key != key || d.GuestID == "" || d.Phase != workflow.PhaseProvisioned || len(d.Applied) != 5 {
		t.Fatalf("partner-provisioned: subject %q data %+v", m.Event.Subject, d)
	}
	if m.ID != key+"/outcome/2" || m.Event.ID != m.ID {
		t.Fatalf("message id %q event id %q, want the deterministic %s/outcome/2", m.ID, m.Event.ID, key)
	}
	if r := e.record(t, key); len(r.Outbox) != 0 {
		t.Fatalf("outbox not cleared after publishing: %+v", r.Outbox)
	}
	// reminder 1 while pending: partner-reminded
	if res, err := e.deliverScheduled(t, indexOf(t, e, key+"/reminder/1")); err != nil || res.Action != workflow.ActionReminderSent {
		t.Fatalf("reminder 1: %+v %v", res, err)
	}
	// the same reminder again is ignored: no event
	if res, err := e.deliverScheduled(t, indexOf(t, e, key+"/reminder/1")); err != nil || res.Action != workflow.ActionIgnored {
		t.Fatalf("reminder 1 again: %+v %v", res, err)
	}
	// the guest accepts; reminder 2 finds out
	e.dir.accept(key)
	if res, err := e.deliverScheduled(t, indexOf(t, e, key+"/reminder/2")); err != nil || res.Action != workflow.ActionCompleted {
		t.Fatalf("reminder 2: %+v %v", res, err)
	}
	want = append(want, pfx+workflow.OutcomeReminded, pfx+workflow.OutcomeAccepted)
	if got := topic.types(); !slices.Equal(got, want) {
		t.Fatalf("after acceptance: %v, want %v", got, want)
	}
	if d := topic.data(t, 2); d.RemindersSent != 1 || d.EmailsSent != 2 {
		t.Fatalf("partner-reminded data %+v, want remindersSent 1, emailsSent 2", d)
	}
	for id, n := range topic.seen {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
}

func TestOutcomeExpired(t *testing.T) {
	e, topic := newOutcomeEnv(t)
	key := "ada@fabrikam.com"
	e.handle(t, approved("m1", adaData))
	for n := 1; n <= 3; n++ {
		if _, err := e.deliverScheduled(t, indexOf(t, e, fmt.Sprintf("%s/reminder/%d", key, n))); err != nil {
			t.Fatalf("reminder %d: %v", n, err)
		}
	}
	got := topic.types()
	if len(got) != 5 || got[4] != pfx+workflow.OutcomeExpired || got[3] != pfx+workflow.OutcomeReminded {
		t.Fatalf("outcomes %v, want invited, provisioned, 2× reminded, expired", got)
	}
	if d := topic.data(t, 4); d.Phase != workflow.PhaseExpired {
		t.Fatalf("partner-expired data %+v", d)
	}
}

// An event the policy refuses, for an address without an onboarding,
// still answers procurement: partner-failed with the policy's reason,
// kept with the failure until it is published.
func TestOutcomeFailedWithoutRecord(t *testing.T) {
	e, topic := newOutcomeEnv(t)
	d := approved("bad-1", `{"requestId":"PR-9","email":"eve@fabrikam.com","roles":["`+globalAdmin+`"]}`)
	for i := 0; i < 2; i++ { // the redelivery fails fast and publishes nothing new
		d.DeliveryCount = i + 1 // as Service Bus counts them
		if _, err := e.eng.Handle(context.Background(), d); !workflow.IsPermanent(err) {
			t.Fatalf("poisoned event: %v, want a permanent failure", err)
		}
	}
	if got := topic.types(); !slices.Equal(got, []string{pfx + workflow.OutcomeFailed}) {
		t.Fatalf("outcomes %v, want one partner-failed", got)
	}
	m := topic.delivered[0]
	od := topic.data(t, 0)
	if m.Event.Subject != "PR-9" || od.Key != "eve@fabrikam.com" || !strings.Contains(od.Reason, "privileged") {
		t.Fatalf("partner-failed subject %q data %+v, want PR-9 and the policy reason", m.Event.Subject, od)
	}
	if f, err := e.store.Failure(context.Background(), "bad-1"); err != nil || len(f.Outbox) != 0 {
		t.Fatalf("failure log outbox not cleared: %+v %v", f, err)
	}
	if topic.seen[m.ID] != 1 {
		t.Fatalf("published %d times", topic.seen[m.ID])
	}
	// the same CloudEvent sent again as another message is the same
	// failure: published under the same id, dropped by the topic
	again := d
	again.MessageID = "bad-1/again"
	if _, err := e.eng.Handle(context.Background(), again); !workflow.IsPermanent(err) {
		t.Fatalf("poisoned event again: %v", err)
	}
	if got := topic.types(); len(got) != 1 || topic.seen[m.ID] != 2 {
		t.Fatalf("outcomes %v, %s published %d times: want the repeat under the same id", got, m.ID, topic.seen[m.ID])
	}
}

// A second, refused approval of an onboarding under way is reported as
// failed; the onboarding itself stays as it was.
func TestOutcomeFailedOnARecord(t *testing.T) {
	e, topic := newOutcomeEnv(t)
	e.handle(t, approved("m1", adaData))
	_, err := e.eng.Handle(context.Background(), approved("m2", `{"requestId":"PR-2","email":"ada@fabrikam.com","roles":["`+globalAdmin+`"]}`))
	if !workflow.IsPermanent(err) {
		t.Fatalf("refused approval: %v", err)
	}
	got := topic.types()
	if len(got) != 3 || got[2] != pfx+workflow.OutcomeFailed {
		t.Fatalf("outcomes %v, want invited, provisioned, failed", got)
	}
	if m := topic.delivered[2]; m.Event.Subject != "PR-2" {
		t.Fatalf("partner-failed subject %q, want the refused request PR-2", m.Event.Subject)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseProvisioned {
		t.Fatalf("phase %s: a refused later approval undid the onboarding", r.Phase)
	}
}

// A topic that cannot be reached neither undoes nor blocks the
// onboarding: the outcomes wait in the outbox, the event is retried, and
// the retry publishes each of them once.
func TestOutcomesSurviveAFailingTopic(t *testing.T) {
	e, topic := newOutcomeEnv(t)
	key := "ada@fabrikam.com"
	topic.failing = errors.New("topic unreachable")
	res, err := e.eng.Handle(context.Background(), approved("m1", adaData))
	if err != nil || res.Action != workflow.ActionRetryScheduled {
		t.Fatalf("approval with the topic down: %+v %v, want a scheduled retry", res, err)
	}
	r := e.record(t, key)
	if r.Phase != workflow.PhaseProvisioned || len(r.Outbox) != 2 {
		t.Fatalf("phase %s outbox %d: want the onboarding done and 2 outcomes waiting", r.Phase, len(r.Outbox))
	}
	if invites, _ := e.dir.counts(key); invites != 1 {
		t.Fatalf("invites = %d", invites)
	}
	topic.failing = nil
	if res, err := e.deliverScheduled(t, indexOf(t, e, "m1/retry/1")); err != nil || res.Action != workflow.ActionUpToDate {
		t.Fatalf("retry: %+v %v", res, err)
	}
	if got := topic.types(); !slices.Equal(got, []string{pfx + workflow.OutcomeInvited, pfx + workflow.OutcomeProvisioned}) {
		t.Fatalf("outcomes %v", got)
	}
	if r := e.record(t, key); len(r.Outbox) != 0 {
		t.Fatalf("outbox %+v after publishing", r.Outbox)
	}
	if invites, _ := e.dir.counts(key); invites != 1 {
		t.Fatalf("invites = %d after the retry", invites)
	}
}

// Outcomes published but not cleared (a crash in between) are published
// again by the next delivery under the same ids: the topic drops them.
func TestOutcomesRepublishedUnderTheSameIDs(t *testing.T) {
	e, topic := newOutcomeEnv(t)
	key := "ada@fabrikam.com"
	e.handle(t, approved("m1", adaData))
	// put the published outcomes back, as if the clearing save was lost
	r := e.record(t, key)
	r.Outbox = []workflow.Outcome{{ID: key + "/outcome/1", Type: workflow.OutcomeInvited, Data: workflow.OutcomeData{Key: key}},
		{ID: key + "/outcome/2", Type: workflow.OutcomeProvisioned, Data: workflow.OutcomeData{Key: key}}}
	if err := e.store.Save(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	e.handle(t, approved("m1", adaData))
	if got := topic.types(); len(got) != 2 {
		t.Fatalf("delivered %v: the repeat was not dropped", got)
	}
	if topic.seen[key+"/outcome/1"] != 2 {
		t.Fatalf("outcome 1 published %d times, want again (2) under the same id", topic.seen[key+"/outcome/1"])
	}
	if r := e.record(t, key); len(r.Outbox) != 0 {
		t.Fatalf("outbox %+v", r.Outbox)
	}
}

// A delivery already coming back (a transient failure of its own) is not
// retried a second time for a topic that cannot be reached: the retry
// publishes what waits in the outbox.
func TestFailingTopicAddsNoSecondRetry(t *testing.T) {
	e, topic := newOutcomeEnv(t)
	topic.failing = errors.New("topic unreachable")
	e.dir.fail["apply:group:"+groupA] = []error{&workflow.TransientError{Op: "add member", Err: context.DeadlineExceeded}}
	res, err := e.eng.Handle(context.Background(), approved("m1", adaData))
	if err != nil || res.Action != workflow.ActionRetryScheduled {
		t.Fatalf("%+v %v", res, err)
	}
	var retries []string
	for _, id := range ids(e.sched.all()) {
		if strings.HasPrefix(id, "m1/retry/") {
			retries = append(retries, id)
		}
	}
	if !slices.Equal(retries, []string{"m1/retry/1"}) {
		t.Fatalf("retries %v, want m1/retry/1 only", retries)
	}
	if r := e.record(t, "ada@fabrikam.com"); len(r.Outbox) == 0 {
		t.Fatal("the invitation's outcome is not waiting in the outbox")
	}
}
