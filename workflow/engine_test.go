package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/b2b-onboarding/onboard/internal/testclock"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

type env struct {
	eng   *workflow.Engine
	dir   *fakeDirectory
	sched *fakeScheduler
	store *store.Memory
	clock *testclock.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{sched: &fakeScheduler{}, store: store.NewMemory(), clock: testclock.New(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))}
	e.dir = newFakeDirectory(e.clock.Now)
	e.eng = &workflow.Engine{Directory: e.dir, Store: e.store, Scheduler: e.sched, Clock: e.clock,
		Policy: workflow.Policy{AllowedGroups: []string{"*"}, AllowedRoles: []string{"*"}, AllowedApps: []string{"*"},
			AllowedSources: []string{"/procurement"}},
		Config: workflow.Config{ReminderSchedule: []time.Duration{72 * time.Hour, 168 * time.Hour}, ExpireAfter: 336 * time.Hour,
			ExpiryAction: "disable", RetryInitial: 30 * time.Second, RetryMax: time.Hour, RetryMaxElapsed: 24 * time.Hour,
			DefaultRedirectURL: redirect, TypeAliases: map[string]string{"com.contoso.partner-approved": workflow.TypePartnerApproved}},
		Log: slog.New(slog.DiscardHandler),
	}
	return e
}

func approved(msgID, data string) workflow.Delivery {
	return workflow.Delivery{MessageID: msgID, DeliveryCount: 1, Event: workflow.Event{ID: msgID, Type: workflow.TypePartnerApproved,
		Source: "/procurement", Data: json.RawMessage(data)}}
}

const adaData = `{"requestId":"PR-1","email":"ada@fabrikam.com","displayName":"Ada","groups":["` + groupA + `"],"roles":["` + guestInv + `"],
 "applications":[{"servicePrincipalId":"` + appA + `"}],"job":{"jobTitle":"Engineer","managerId":"11111111-1111-1111-1111-111111111111"}}`

func (e *env) handle(t *testing.T, d workflow.Delivery) workflow.Result {
	t.Helper()
	res, err := e.eng.Handle(context.Background(), d)
	if err != nil {
		t.Fatalf("Handle(%s): %v", d.MessageID, err)
	}
	return res
}

func (e *env) record(t *testing.T, key string) workflow.Record {
	t.Helper()
	r, err := e.store.Load(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// reminder delivers the latest scheduled message as the queue would.
func (e *env) deliverScheduled(t *testing.T, i int) (workflow.Result, error) {
	t.Helper()
	all := e.sched.all()
	if i >= len(all) {
		t.Fatalf("only %d messages scheduled", len(all))
	}
	m := all[i]
	if e.clock.Now().Before(m.at) {
		e.clock.Advance(m.at.Sub(e.clock.Now()))
	}
	return e.eng.Handle(context.Background(), workflow.Delivery{MessageID: m.msg.ID, DeliveryCount: 1, Event: m.msg.Event})
}

func TestOnboardProvisionsEverything(t *testing.T) {
	e := newEnv(t)
	res := e.handle(t, approved("m1", adaData))
	if res.Action != "invited" || res.Key != "ada@fabrikam.com" {
		t.Errorf("result = %+v", res)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.Phase != workflow.PhaseProvisioned || r.GuestID == "" || r.Invite.EmailsSent != 1 {
		t.Fatalf("record = %+v", r)
	}
	if got := len(e.dir.appliedKeys()); got != 5 { // properties, manager, group, role, app
		t.Errorf("applied %d changes: %q", got, e.dir.appliedKeys())
	}
	msgs := e.sched.all()
	if len(msgs) != 1 || msgs[0].msg.ID != "ada@fabrikam.com/reminder/1" || !msgs[0].at.Equal(e.clock.Now().Add(72*time.Hour)) {
		t.Fatalf("scheduled = %+v", msgs)
	}
	if msgs[0].msg.Event.Type != workflow.TypeReminderDue || msgs[0].msg.Event.Source != workflow.Source {
		t.Errorf("reminder event = %+v", msgs[0].msg.Event)
	}
}

func TestDuplicateDeliverySendsOneEmail(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		d := approved("m1", adaData)
		d.DeliveryCount = i
		e.handle(t, d)
	}
	e.handle(t, approved("m1-resent-by-procurement", adaData))
	invites, emails := e.dir.counts("ada@fabrikam.com")
	if invites != 1 || emails != 1 {
		t.Fatalf("invites=%d emails=%d, want 1 and 1", invites, emails)
	}
	if n := len(e.sched.all()); n != 1 {
		t.Errorf("%d messages scheduled, want 1 reminder", n)
	}
}

func TestConcurrentDeliveriesInviteOnce(t *testing.T) {
	e := newEnv(t)
	e.dir.inviteGap = 20 * time.Millisecond
	var wg sync.WaitGroup
	results := make([]workflow.Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.eng.Handle(context.Background(), approved("m1", adaData))
			if err != nil {
				t.Errorf("Handle: %v", err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	invites, emails := e.dir.counts("ada@fabrikam.com")
	if invites != 1 || emails != 1 {
		t.Fatalf("invites=%d emails=%d, want 1 and 1", invites, emails)
	}
	// The deliveries that found the invitation in flight scheduled a retry;
	// delivering those retries finishes without another email.
	for i, m := range e.sched.all() {
		if strings.Contains(m.msg.ID, "/retry/") {
			if _, err := e.deliverScheduled(t, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 1 {
		t.Fatalf("emails=%d after retries", emails)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseProvisioned {
		t.Errorf("phase = %s", r.Phase)
	}
}

func TestSecondApprovalMergesAssignments(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	e.handle(t, approved("m2", `{"requestId":"PR-2","email":"ADA@fabrikam.com","groups":["`+groupB+`"],"contact":{"city":"Delft"}}`))
	r := e.record(t, "ada@fabrikam.com")
	if len(r.Spec.Groups) != 2 || len(r.Spec.Roles) != 1 || r.Spec.Properties.JobTitle != "Engineer" || r.Spec.Properties.City != "Delft" {
		t.Fatalf("merged spec = %+v", r.Spec)
	}
	if len(r.RequestIDs) != 2 {
		t.Errorf("request ids = %q", r.RequestIDs)
	}
	keys := strings.Join(e.dir.appliedKeys(), " ")
	if !strings.Contains(keys, "group:"+groupB) || !strings.Contains(keys, "group:"+groupA) {
		t.Errorf("applied = %s", keys)
	}
	if invites, _ := e.dir.counts("ada@fabrikam.com"); invites != 1 {
		t.Errorf("invites = %d, want 1", invites)
	}
}

func TestRemindersResendThenExpire(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	// reminder 1: pending → resend, schedule #2
	if res, err := e.deliverScheduled(t, 0); err != nil || res.Action != "reminder-sent" {
		t.Fatalf("reminder 1: %+v %v", res, err)
	}
	// a duplicate of reminder 1 is ignored: no second mail
	if res, err := e.deliverScheduled(t, 0); err != nil || res.Action != "ignored" {
		t.Fatalf("duplicate reminder 1: %+v %v", res, err)
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 2 {
		t.Fatalf("emails = %d, want 2", emails)
	}
	if res, err := e.deliverScheduled(t, 1); err != nil || res.Action != "reminder-sent" {
		t.Fatalf("reminder 2: %+v %v", res, err)
	}
	msgs := e.sched.all()
	if len(msgs) != 3 || msgs[2].msg.ID != "ada@fabrikam.com/reminder/3" {
		t.Fatalf("scheduled = %+v", msgs)
	}
	sent := e.record(t, "ada@fabrikam.com").Invite.SentAt
	if !msgs[2].at.Equal(sent.Add(336 * time.Hour)) {
		t.Errorf("expiry check at %s, want invitation + 14d", msgs[2].at)
	}
	if res, err := e.deliverScheduled(t, 2); err != nil || res.Action != "expired" {
		t.Fatalf("expiry: %+v %v", res, err)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.Phase != workflow.PhaseExpired || r.Invite.EmailsSent != 3 || !e.dir.disabled[r.GuestID] {
		t.Fatalf("record = %+v disabled=%v", r, e.dir.disabled)
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 3 {
		t.Errorf("emails = %d, want 3", emails)
	}
	// Approved again after expiry: a new cycle invites again.
	e.handle(t, approved("m9", `{"requestId":"PR-9","email":"ada@fabrikam.com"}`))
	r = e.record(t, "ada@fabrikam.com")
	if r.Cycle != 1 || r.Phase != workflow.PhaseProvisioned || r.Reminders.Next != 1 || r.Reenable {
		t.Fatalf("restarted record = %+v", r)
	}
	if e.dir.disabled[r.GuestID] {
		t.Error("the guest disabled on expiry was not enabled again for the new cycle")
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 4 {
		t.Errorf("emails = %d, want a new invitation for the new cycle", emails)
	}
	if last := e.sched.all()[3]; last.msg.ID != "ada@fabrikam.com/c1/reminder/1" {
		t.Errorf("new cycle reminder id = %s", last.msg.ID)
	}
}

func TestReminderAfterAcceptanceCompletes(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	e.dir.accept("ada@fabrikam.com")
	if res, err := e.deliverScheduled(t, 0); err != nil || res.Action != "completed" {
		t.Fatalf("reminder: %+v %v", res, err)
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 1 {
		t.Errorf("emails = %d, want only the invitation", emails)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseCompleted || r.Reminders.Next != 0 {
		t.Errorf("record = %+v", r)
	}
	if n := len(e.sched.all()); n != 1 {
		t.Errorf("%d scheduled, want no further reminder", n)
	}
}

func TestStaleReminderIgnored(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	for _, data := range []string{
		`{"key":"ada@fabrikam.com","number":1,"cycle":3}`,
		`{"key":"nobody@fabrikam.com","number":1}`,
	} {
		res := e.handle(t, workflow.Delivery{MessageID: "x", Event: workflow.Event{Type: workflow.TypeReminderDue, Source: workflow.Source, Data: json.RawMessage(data)}})
		if res.Action != "ignored" {
			t.Errorf("%s: %+v", data, res)
		}
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 1 {
		t.Errorf("emails = %d", emails)
	}
}

func TestTransientFailureSchedulesRetry(t *testing.T) {
	e := newEnv(t)
	e.dir.fail["invite"] = []error{&workflow.TransientError{Op: "invite", RetryAfter: 7 * time.Minute, Refused: true, Err: errors.New("429 TooManyRequests")}}
	res := e.handle(t, approved("m1", adaData))
	if res.Action != "retry-scheduled" {
		t.Fatalf("result = %+v", res)
	}
	msgs := e.sched.all()
	if len(msgs) != 1 || msgs[0].msg.ID != "m1/retry/1" || msgs[0].at.Before(e.clock.Now().Add(7*time.Minute)) {
		t.Fatalf("scheduled = %+v, want m1/retry/1 after Retry-After", msgs)
	}
	// the retry bookkeeping is in the store under the original message id
	if f, err := e.store.Failure(context.Background(), "m1"); err != nil || !f.Transient || f.Retry == nil || f.Retry.Attempts != 1 {
		t.Errorf("retry state = %+v, %v", f, err)
	}
	if r := e.record(t, "ada@fabrikam.com"); !strings.Contains(r.LastError, "429") {
		t.Errorf("last error = %q", r.LastError)
	}
	// The retry succeeds: the 429 proved nothing was sent, so it mails.
	e.clock.Advance(2 * time.Minute)
	if res, err := e.deliverScheduled(t, 0); err != nil || res.Action != "invited" {
		t.Fatalf("retry: %+v %v", res, err)
	}
	if invites, emails := e.dir.counts("ada@fabrikam.com"); invites != 1 || emails != 1 {
		t.Errorf("invites=%d emails=%d", invites, emails)
	}
}

func TestInterruptedInvitationDoesNotMailTwice(t *testing.T) {
	e := newEnv(t)
	// Graph created the guest and mailed, but the answer was lost (time-out).
	e.dir.failAfter["invite"] = []error{&workflow.TransientError{Op: "invite", Err: context.DeadlineExceeded}}
	if res := e.handle(t, approved("m1", adaData)); res.Action != "retry-scheduled" {
		t.Fatalf("first delivery: %+v", res)
	}
	e.clock.Advance(5 * time.Minute)
	e.handle(t, approved("m1", adaData)) // redelivery
	invites, emails := e.dir.counts("ada@fabrikam.com")
	if invites != 1 || emails != 1 {
		t.Fatalf("invites=%d emails=%d: the redelivery must find the guest instead of inviting", invites, emails)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.GuestID != "guest-1" || r.Phase != workflow.PhaseProvisioned || r.UserOrigin != workflow.OriginCreated {
		t.Errorf("record = %+v", r)
	}
}

func TestRetryGivesUpAfterMaxElapsed(t *testing.T) {
	e := newEnv(t)
	d := approved("m1/retry/5", adaData)
	// A sender's extension attributes are not retry bookkeeping: this one
	// claims the first failure is in the future, to retry for ever.
	d.Event.Extensions = map[string]string{"onboardattempt": "1", "onboardfirstfailure": e.clock.Now().Add(240 * time.Hour).Format(time.RFC3339Nano)}
	if err := e.store.SaveFailure(context.Background(), workflow.Failure{MessageID: "m1", Transient: true, BodyHash: workflow.EventHash(d.Event),
		Retry: &workflow.RetryState{Attempts: 5, First: e.clock.Now().Add(-25 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	e.dir.fail["invite"] = []error{&workflow.TransientError{Op: "invite", Err: errors.New("503")}}
	_, err := e.eng.Handle(context.Background(), d)
	if !workflow.IsPermanent(err) || !strings.Contains(err.Error(), "gave up after 6 attempts") {
		t.Fatalf("err = %v", err)
	}
}

func TestSchedulingFailureAbandons(t *testing.T) {
	e := newEnv(t)
	e.dir.fail["invite"] = []error{&workflow.TransientError{Op: "invite", Err: errors.New("503")}}
	e.sched.err = errors.New("service bus unavailable")
	_, err := e.eng.Handle(context.Background(), approved("m1", adaData))
	if err == nil || workflow.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient error so the host abandons", err)
	}
}

func TestPermanentFailureRecordedAndFailsFast(t *testing.T) {
	e := newEnv(t)
	e.dir.fail["apply:group:"+groupA] = []error{&workflow.PermanentError{Op: "add member", Reason: "403 Authorization_RequestDenied"}}
	_, err := e.eng.Handle(context.Background(), approved("m1", adaData))
	if !workflow.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
	f, ferr := e.store.Failure(context.Background(), "m1")
	if ferr != nil || !strings.Contains(f.Reason, "Authorization_RequestDenied") || f.Key != "ada@fabrikam.com" {
		t.Fatalf("failure = %+v, %v", f, ferr)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.Phase != workflow.PhaseFailed || r.Failure == nil || len(r.Done) != 4 {
		t.Fatalf("record = %+v (the other changes must be kept)", r)
	}
	before := len(e.dir.appliedKeys())
	invitesBefore, _ := e.dir.counts("")
	for i := 2; i <= 10; i++ {
		d := approved("m1", adaData)
		d.DeliveryCount = i
		if _, err := e.eng.Handle(context.Background(), d); !workflow.IsPermanent(err) {
			t.Fatalf("redelivery %d: %v", i, err)
		}
	}
	if invites, _ := e.dir.counts(""); invites != invitesBefore || len(e.dir.appliedKeys()) != before {
		t.Error("a known-permanent failure must not call Graph again")
	}
	// Replay with a fresh message id after the cause is fixed finishes it.
	e.handle(t, approved("m1/replay/1", adaData))
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseProvisioned || r.Failure != nil {
		t.Fatalf("after replay: %+v", r)
	}
}

func TestReplicationLagIsTransientMissingGroupPermanent(t *testing.T) {
	e := newEnv(t)
	e.dir.hidden["guest-1"] = true
	res := e.handle(t, approved("m1", adaData))
	if res.Action != "retry-scheduled" || !strings.Contains(res.Detail, "replication lag") {
		t.Fatalf("lag: %+v", res)
	}
	delete(e.dir.hidden, "guest-1")
	e.dir.missing[groupB] = true
	_, err := e.eng.Handle(context.Background(), approved("m2", `{"requestId":"PR-2","email":"ada@fabrikam.com","groups":["`+groupB+`"]}`))
	if !workflow.IsPermanent(err) || !strings.Contains(err.Error(), "group "+groupB+" does not exist") {
		t.Fatalf("missing group: %v", err)
	}
}

func TestRejectedEvents(t *testing.T) {
	cases := []struct {
		name string
		d    workflow.Delivery
		want string
	}{
		{"bad data", approved("m", `{"requestId":"r","email":"x"}`), "email: must contain exactly one @"},
		{"source", func() workflow.Delivery { d := approved("m", adaData); d.Event.Source = "/evil"; return d }(), "POLICY_ALLOWED_SOURCES"},
		{"type", func() workflow.Delivery { d := approved("m", adaData); d.Event.Type = "partner-rejected"; return d }(), `unsupported event type "partner-rejected"`},
		{"privileged", approved("m", `{"requestId":"r","email":"a@b.co","roles":["`+globalAdmin+`"]}`), "Global Administrator) is privileged"},
		{"reminder data", workflow.Delivery{MessageID: "m", Event: workflow.Event{Type: workflow.TypeReminderDue, Source: workflow.Source, Data: []byte(`{"key":"a@b.co","n":1}`)}}, "n: unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.eng.Handle(context.Background(), tc.d)
			if !workflow.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want permanent containing %q", err, tc.want)
			}
			if f, err := e.store.Failure(context.Background(), "m"); err != nil || !strings.Contains(f.Reason, tc.want) {
				t.Errorf("failure log = %+v %v", f, err)
			}
			if invites, _ := e.dir.counts(""); invites != 0 {
				t.Error("no Graph call for a rejected event")
			}
		})
	}
}

func TestTypeAliasAndStatus(t *testing.T) {
	e := newEnv(t)
	d := approved("m1", adaData)
	d.Event.Type = "com.contoso.partner-approved"
	e.handle(t, d)
	r := e.record(t, "ada@fabrikam.com")
	for _, q := range []string{"Ada@Fabrikam.com", r.GuestID, "PR-1"} {
		got, err := e.eng.Status(context.Background(), q)
		if err != nil || got.Key != "ada@fabrikam.com" {
			t.Errorf("Status(%q) = %v, %v", q, got.Key, err)
		}
	}
	if _, err := e.eng.Status(context.Background(), "PR-404"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("Status(unknown) = %v", err)
	}
}

func TestLongKeysMakeValidMessageIDs(t *testing.T) {
	e := newEnv(t)
	local := strings.Repeat("a", 64)
	email := fmt.Sprintf("%s@%s.fabrikam.com", local, strings.Repeat("b", 60))
	e.handle(t, approved("m1", `{"requestId":"r","email":"`+email+`"}`))
	id := e.sched.all()[0].msg.ID
	if len(id) > 128 || !strings.HasSuffix(id, "/reminder/1") {
		t.Errorf("message id %q (%d chars)", id, len(id))
	}
}

func TestRejectedSecondEventKeepsTheOnboarding(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	_, err := e.eng.Handle(context.Background(), approved("m2", `{"requestId":"PR-2","email":"ada@fabrikam.com","roles":["`+globalAdmin+`"]}`))
	if !workflow.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.Phase != workflow.PhaseProvisioned || r.Failure == nil || r.Failure.MessageID != "m2" {
		t.Fatalf("record = phase %s failure %+v: the failure is shown, the phase kept", r.Phase, r.Failure)
	}
}

func TestReminderRedeliveredAfterSchedulingFailureDoesNotResendTwice(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	first := e.sched.all()[0]
	e.clock.Advance(first.at.Sub(e.clock.Now()))
	d := workflow.Delivery{MessageID: first.msg.ID, DeliveryCount: 1, Event: first.msg.Event}
	e.sched.err = errors.New("service bus unavailable")
	if _, err := e.eng.Handle(context.Background(), d); err == nil || workflow.IsPermanent(err) {
		t.Fatalf("err = %v, want transient so the host redelivers", err)
	}
	// The reminder recorded itself before scheduling the next one, so the
	// redelivery is behind the record: ignored, no mail — and it schedules
	// the next reminder the failed send left unscheduled.
	e.sched.err = nil
	d.DeliveryCount = 2
	if res := e.handle(t, d); res.Action != "ignored" {
		t.Fatalf("redelivery: %+v", res)
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 2 {
		t.Fatalf("emails = %d, want invitation + one resend", emails)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Reminders.Next != 2 || r.Reminders.Sent != 1 {
		t.Fatalf("reminders = %+v", r.Reminders)
	}
	if last := e.sched.all(); last[len(last)-1].msg.ID != "ada@fabrikam.com/reminder/2" {
		t.Fatalf("reminder 2 not scheduled: %+v", last)
	}
}
