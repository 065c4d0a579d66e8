package directorytest

import (
	"errors"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Sign-in is blocked and allowed again; an unknown user is a
// NotFoundError.
func testSetAccountEnabled(t *testing.T, e *env) {
	guest := e.invite(t, "ada@fabrikam-partner.example", false).GuestID
	for _, enabled := range []bool{false, true} {
		if err := e.Directory.SetAccountEnabled(e.ctx(t), guest, enabled); err != nil {
			t.Fatalf("SetAccountEnabled(%v): %v", enabled, err)
		}
		if got := e.AccountEnabled(guest); got != enabled {
			t.Fatalf("account enabled = %v after SetAccountEnabled(%v)", got, enabled)
		}
	}
	if err := e.Directory.SetAccountEnabled(e.ctx(t), Missing, false); !errors.As(err, new(*workflow.NotFoundError)) {
		t.Errorf("SetAccountEnabled(unknown) = %v, want a NotFoundError", err)
	}
}

// A deleted user is gone for reads and lookups; deleting a user that is
// already gone is success (the expiry action may be repeated).
func testDeleteUser(t *testing.T, e *env) {
	const addr = "ada@fabrikam-partner.example"
	guest := e.invite(t, addr, false).GuestID
	if err := e.Directory.DeleteUser(e.ctx(t), guest); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := e.Directory.User(e.ctx(t), guest); !errors.As(err, new(*workflow.NotFoundError)) {
		t.Errorf("User(deleted) = %v, want a NotFoundError", err)
	}
	if u, found, err := e.Directory.FindUserByMail(e.ctx(t), addr); err != nil || found {
		t.Errorf("FindUserByMail(deleted) = %+v found=%v err=%v", u, found, err)
	}
	if err := e.Directory.DeleteUser(e.ctx(t), guest); err != nil {
		t.Errorf("deleting a deleted user: %v, want success", err)
	}
}
