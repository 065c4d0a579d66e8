package directorytest

import (
	"errors"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Replication lag as Graph shows it right after an invitation: every write
// that references the new guest answers NotFoundError while the objects
// the changes reference read as present — which is how the workflow tells
// lag (retry) from a missing object (permanent). Reads of the guest may or
// may not see it. Once the lag is over the same writes succeed; users that
// existed before are never affected.
func testReplicationLag(t *testing.T, e *env) {
	if e.SetReplicationLag == nil {
		t.Skip("the implementation cannot simulate replication lag")
	}
	const lag = 10 * time.Minute
	e.SetReplicationLag(lag)
	guest := e.invite(t, "ada@fabrikam-partner.example", false).GuestID
	changes := everyKind()
	errs := e.Directory.Apply(e.ctx(t), guest, changes)
	if len(errs) != len(changes) {
		t.Fatalf("Apply answered %d results for %d changes", len(errs), len(changes))
	}
	for i, c := range changes {
		if !errors.As(errs[i], new(*workflow.NotFoundError)) {
			t.Errorf("%s during lag: %v, want a NotFoundError", c.Key(), errs[i])
		}
		if ok, err := e.Directory.ObjectExists(e.ctx(t), c.Kind, c.ID); !ok || err != nil {
			t.Errorf("ObjectExists(%s, %s) during lag = %v, %v: the referenced object must read as present", c.Kind, c.ID, ok, err)
		}
	}
	if err := e.Directory.SetAccountEnabled(e.ctx(t), guest, false); !errors.As(err, new(*workflow.NotFoundError)) {
		t.Errorf("SetAccountEnabled during lag: %v, want a NotFoundError", err)
	}
	if _, err := e.Directory.User(e.ctx(t), guest); err != nil && !errors.As(err, new(*workflow.NotFoundError)) {
		t.Errorf("User during lag: %v, want the guest or a NotFoundError", err)
	}
	e.applyAll(t, AcceptedGuestID, []workflow.Change{{Kind: workflow.ChangeGroup, ID: GroupA}})

	e.clock.Advance(lag + time.Second)
	e.applyAll(t, guest, changes)
	for _, c := range changes {
		if !e.Applied(guest, c) {
			t.Errorf("%s not in place after the lag", c.Key())
		}
	}
}

// A throttled invitation (429 with Retry-After) is a TransientError that
// carries the Retry-After and is Refused: nothing happened, no user, no
// email.
func testThrottled(t *testing.T, e *env) {
	if e.SetThrottled == nil {
		t.Skip("the implementation cannot simulate throttling")
	}
	const addr = "ada@fabrikam-partner.example"
	e.SetThrottled(true)
	_, err := e.Directory.Invite(e.ctx(t), invitation(addr, true))
	var te *workflow.TransientError
	if !errors.As(err, &te) || te.RetryAfter <= 0 || !workflow.Refused(err) {
		t.Fatalf("throttled Invite: %v, want a refused TransientError carrying Retry-After", err)
	}
	e.SetThrottled(false)
	if u, found, err := e.Directory.FindUserByMail(e.ctx(t), addr); err != nil || found {
		t.Errorf("after a throttled invitation: %+v found=%v err=%v, want no user", u, found, err)
	}
	if n := e.Emails(addr); n != 0 {
		t.Errorf("%d emails after a throttled invitation", n)
	}
	e.invite(t, addr, true)
}

// A lost answer (the service acted, the connection dropped) is a
// TransientError that is not Refused: the outcome is unknown. The
// invitation is not repeated by the implementation (one email), and a
// repeated Apply finds its changes in place and succeeds.
func testLostAnswer(t *testing.T, e *env) {
	if e.SetDropAfter == nil {
		t.Skip("the implementation cannot simulate lost answers")
	}
	const addr = "ada@fabrikam-partner.example"
	e.SetDropAfter(true)
	_, err := e.Directory.Invite(e.ctx(t), invitation(addr, true))
	e.SetDropAfter(false)
	if !errors.As(err, new(*workflow.TransientError)) || workflow.Refused(err) {
		t.Fatalf("Invite with a lost answer: %v, want a TransientError that is not Refused", err)
	}
	u, found, err := e.Directory.FindUserByMail(e.ctx(t), addr)
	if err != nil || !found {
		t.Fatalf("the invitation whose answer was lost created no user: %+v found=%v err=%v", u, found, err)
	}
	if n := e.Emails(addr); n != 1 {
		t.Errorf("%d emails, want 1: the invitation must not be repeated", n)
	}

	group := []workflow.Change{{Kind: workflow.ChangeGroup, ID: GroupA}}
	e.SetDropAfter(true)
	errs := e.Directory.Apply(e.ctx(t), u.ID, group)
	e.SetDropAfter(false)
	if len(errs) != 1 || !errors.As(errs[0], new(*workflow.TransientError)) || workflow.Refused(errs[0]) {
		t.Fatalf("Apply with a lost answer: %v, want one TransientError that is not Refused", errs)
	}
	if !e.Applied(u.ID, group[0]) {
		t.Errorf("the change whose answer was lost is not in place")
	}
	e.applyAll(t, u.ID, group)
}
