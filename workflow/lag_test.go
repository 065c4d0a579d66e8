package workflow_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// missingState maps change keys to their Missing state on the record.
func missingState(r workflow.Record) map[string]workflow.MissingState {
	out := map[string]workflow.MissingState{}
	for _, m := range r.Missing {
		out[m.Change] = m.State
	}
	return out
}

// Replication lag as Graph shows it: reads already see the new guest, but
// every write for it answers 404. Inside the settle window that is
// transient: nothing is declared missing, the record says what is waiting
// and why, and the retry provisions everything.
func TestGuestLagInsideSettleWindowIsRetried(t *testing.T) {
	e := newEnv(t)
	e.dir.hidden["guest-1"] = true // the first guest the fake creates
	res := e.handle(t, approved("m1", adaData))
	if res.Action != "retry-scheduled" || !strings.Contains(res.Detail, "replication lag") {
		t.Fatalf("during lag: %+v", res)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.Phase != workflow.PhaseInvited || r.Failure != nil || len(r.Missing) != 5 {
		t.Fatalf("record during lag: phase %s failure %+v missing %+v", r.Phase, r.Failure, r.Missing)
	}
	for _, m := range r.Missing {
		if m.State != workflow.MissingWaiting || !strings.Contains(m.Reason, "guest guest-1 not writable yet") {
			t.Errorf("missing %+v: want waiting, naming the guest", m)
		}
	}
	// each referenced object was read to tell lag from a missing object
	for _, want := range []string{"group " + groupA, "role " + guestInv, "app " + appA, "manager 11111111-1111-1111-1111-111111111111"} {
		if !slices.Contains(e.dir.reads, want) {
			t.Errorf("%s was not read: reads %q", want, e.dir.reads)
		}
	}
	if n := len(e.dir.appliedKeys()); n != 0 {
		t.Fatalf("%d writes during lag", n)
	}
	delete(e.dir.hidden, "guest-1")
	e.clock.Advance(time.Minute)
	if res, err := e.deliverScheduled(t, indexOf(t, e, "m1/retry/1")); err != nil || res.Action != "provisioned" {
		t.Fatalf("retry after lag: %+v %v", res, err)
	}
	r = e.record(t, "ada@fabrikam.com")
	if r.Phase != workflow.PhaseProvisioned || len(r.Missing) != 0 || len(e.dir.appliedKeys()) != 5 {
		t.Fatalf("after lag: phase %s missing %+v writes %q", r.Phase, r.Missing, e.dir.appliedKeys())
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 1 {
		t.Errorf("emails = %d", emails)
	}
}

// A referenced object that a read confirms missing makes its change fail
// permanently at once, with a reason naming kind and id; the rest is
// applied; the onboarding is never shown as provisioned.
func TestReferencedObjectConfirmedMissingIsPermanent(t *testing.T) {
	e := newEnv(t)
	e.dir.missing[groupA] = true
	_, err := e.eng.Handle(context.Background(), approved("m1", adaData))
	if !workflow.IsPermanent(err) || !strings.Contains(err.Error(), "group "+groupA+" does not exist") {
		t.Fatalf("err = %v", err)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.Phase != workflow.PhaseFailed || missingState(r)["group:"+groupA] != workflow.MissingFailed || len(e.dir.appliedKeys()) != 4 {
		t.Fatalf("record: phase %s missing %+v writes %q", r.Phase, r.Missing, e.dir.appliedKeys())
	}
	// The guest accepts: a reminder does not complete an onboarding with a
	// change missing.
	e.dir.accept("ada@fabrikam.com")
	rem, _ := e.sched.find("ada@fabrikam.com/reminder/1")
	e.clock.Advance(rem.at.Sub(e.clock.Now()))
	if _, err := e.eng.Handle(context.Background(), workflow.Delivery{MessageID: rem.msg.ID, Event: rem.msg.Event}); !workflow.IsPermanent(err) {
		t.Fatalf("reminder after acceptance: %v, want the permanent provisioning failure", err)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Phase == workflow.PhaseCompleted || r.Invite.Status != workflow.StateAccepted {
		t.Fatalf("phase %s, status %s: never Completed while a change is missing", r.Phase, r.Invite.Status)
	}
	// ops create the group; a replay of the approval finishes it: Completed.
	delete(e.dir.missing, groupA)
	e.handle(t, approved("m1/replay/1", adaData))
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseCompleted || len(r.Missing) != 0 {
		t.Fatalf("after the fix: phase %s missing %+v", r.Phase, r.Missing)
	}
}

// A 404 on the guest after the settle window is a real failure, reported
// with the guest's id.
func TestLagPastSettleWindowIsPermanent(t *testing.T) {
	e := newEnv(t)
	e.dir.hidden["guest-1"] = true
	e.handle(t, approved("m1", adaData))
	e.clock.Advance(6 * time.Minute) // default window: 5m
	_, err := e.eng.Handle(context.Background(), approved("m1", adaData))
	if !workflow.IsPermanent(err) || !strings.Contains(err.Error(), "guest guest-1 still answers 404 5m0s after the invitation") {
		t.Fatalf("err = %v", err)
	}
}

// The guest accepts while provisioning still waits for replication: the
// reminder is retried, the onboarding is not Completed until everything
// is in place, and no mail is sent after the acceptance.
func TestAcceptanceWaitsForProvisioning(t *testing.T) {
	e := newEnv(t)
	e.eng.Config.SettleWindow = 100 * time.Hour
	e.dir.hidden["guest-1"] = true
	e.handle(t, approved("m1", adaData))
	e.dir.accept("ada@fabrikam.com")
	res, err := e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/1"))
	if err != nil || res.Action != "retry-scheduled" {
		t.Fatalf("reminder during lag: %+v %v", res, err)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.Phase == workflow.PhaseCompleted || r.Invite.Status != workflow.StateAccepted {
		t.Fatalf("phase %s status %s", r.Phase, r.Invite.Status)
	}
	delete(e.dir.hidden, "guest-1")
	if res, err := e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/1/retry/1")); err != nil || res.Action != "completed" {
		t.Fatalf("retried reminder: %+v %v", res, err)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseCompleted || len(e.dir.appliedKeys()) != 5 {
		t.Fatalf("phase %s writes %q", r.Phase, e.dir.appliedKeys())
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 1 {
		t.Errorf("emails = %d, want only the invitation", emails)
	}
}

// The policy is evaluated on the merged desired state at every delivery:
// an assignment an earlier approval asked for, which the policy no longer
// allows, is not applied and the record says why.
func TestPolicyAppliesToTheMergedDesiredState(t *testing.T) {
	e := newEnv(t)
	e.dir.fail["apply:group:"+groupA] = []error{&workflow.TransientError{Op: "add member", Err: context.DeadlineExceeded}}
	e.handle(t, approved("m1", adaData)) // the group is left for a retry
	e.eng.Policy.AllowedGroups = []string{groupB}
	e.handle(t, approved("m2", `{"requestId":"PR-2","email":"ada@fabrikam.com","groups":["`+groupB+`"]}`))
	keys := strings.Join(e.dir.appliedKeys(), " ")
	if strings.Contains(keys, "group:"+groupA) || !strings.Contains(keys, "group:"+groupB) {
		t.Fatalf("writes %s: group A is no longer allowed, group B is", keys)
	}
	r := e.record(t, "ada@fabrikam.com")
	var reason string
	for _, m := range r.Missing {
		if m.Change == "group:"+groupA && m.State == workflow.MissingRefused {
			reason = m.Reason
		}
	}
	if !strings.Contains(reason, "POLICY_ALLOWED_GROUPS") || r.Phase != workflow.PhaseProvisioned {
		t.Fatalf("phase %s missing %+v: want group A refused by POLICY_ALLOWED_GROUPS, the rest provisioned", r.Phase, r.Missing)
	}
}

// indexOf finds a scheduled message by id.
func indexOf(t *testing.T, e *env, id string) int {
	t.Helper()
	for i, m := range e.sched.all() {
		if m.msg.ID == id {
			return i
		}
	}
	t.Fatalf("%s not scheduled; scheduled: %v", id, ids(e.sched.all()))
	return -1
}

func ids(ms []scheduled) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.msg.ID)
	}
	return out
}

// A completed onboarding that a later approval asks more of is not shown
// as Completed while the new change is missing.
func TestCompletedOnboardingWithNewChangesIsNotCompletedUntilApplied(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	e.dir.accept("ada@fabrikam.com")
	if res, err := e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/1")); err != nil || res.Action != "completed" {
		t.Fatalf("reminder: %+v %v", res, err)
	}
	e.dir.fail["apply:group:"+groupB] = []error{&workflow.TransientError{Op: "add member", Err: context.DeadlineExceeded}}
	second := approved("m2", `{"requestId":"PR-2","email":"ada@fabrikam.com","groups":["`+groupB+`"]}`)
	e.handle(t, second)
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseInvited || missingState(r)["group:"+groupB] != workflow.MissingWaiting {
		t.Fatalf("phase %s missing %+v", r.Phase, r.Missing)
	}
	e.handle(t, second) // a redelivery applies it
	if r := e.record(t, "ada@fabrikam.com"); r.Phase != workflow.PhaseCompleted {
		t.Fatalf("phase %s", r.Phase)
	}
}
