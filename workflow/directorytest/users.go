package directorytest

import (
	"errors"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// invite invites address and fails the test on an error.
func (e *env) invite(t *testing.T, address string, send bool) workflow.InviteResult {
	t.Helper()
	res, err := e.Directory.Invite(e.ctx(t), invitation(address, send))
	if err != nil {
		t.Fatalf("Invite(%s): %v", address, err)
	}
	if res.GuestID == "" {
		t.Fatalf("Invite(%s) answered no guest id: %+v", address, res)
	}
	return res
}

// A new address gets a guest: invitedUser.id is the user's object id, the
// user reads as a pending guest created by the invitation just now, and
// one email goes out.
func testInviteCreatesGuest(t *testing.T, e *env) {
	const addr = "ada@fabrikam-partner.example"
	res := e.invite(t, addr, true)
	if res.Status != workflow.StatePendingAcceptance {
		t.Errorf("status = %q, want %s", res.Status, workflow.StatePendingAcceptance)
	}
	u, err := e.Directory.User(e.ctx(t), res.GuestID)
	if err != nil {
		t.Fatalf("User(invitedUser.id): %v", err)
	}
	want := workflow.DirectoryUser{ID: res.GuestID, Mail: addr, UserType: "Guest", ExternalUserState: workflow.StatePendingAcceptance,
		CreationType: "Invitation", CreatedAt: start}
	if !sameUser(u, want) {
		t.Errorf("guest reads as %+v, want %+v", u, want)
	}
	if n := e.Emails(addr); n != 1 {
		t.Errorf("%d emails, want 1", n)
	}
}

// sendInvitationMessage false creates the guest without an email.
func testInviteWithoutMessage(t *testing.T, e *env) {
	const addr = "quiet@fabrikam-partner.example"
	res := e.invite(t, addr, false)
	if _, err := e.Directory.User(e.ctx(t), res.GuestID); err != nil {
		t.Fatalf("User: %v", err)
	}
	if n := e.Emails(addr); n != 0 {
		t.Errorf("%d emails with sendInvitationMessage false, want 0", n)
	}
}

// Inviting the same address again answers the same guest (no second
// user); a resend sends another email, a re-invite without message none.
func testReinvite(t *testing.T, e *env) {
	const addr = "ada@fabrikam-partner.example"
	first := e.invite(t, addr, true)
	for _, step := range []struct {
		send   bool
		emails int
	}{{true, 2}, {false, 2}} {
		again := e.invite(t, addr, step.send)
		if again.GuestID != first.GuestID {
			t.Fatalf("re-invite answered %s, want the first guest %s", again.GuestID, first.GuestID)
		}
		if n := e.Emails(addr); n != step.emails {
			t.Fatalf("after a re-invite with send=%v: %d emails, want %d", step.send, n, step.emails)
		}
	}
	u, found, err := e.Directory.FindUserByMail(e.ctx(t), addr)
	if err != nil || !found || u.ID != first.GuestID {
		t.Errorf("lookup after re-invites: %+v found=%v err=%v, want the one guest %s", u, found, err, first.GuestID)
	}
}

// An address that belongs to a member gets no guest and no email: the
// invitation answers with the member's id (the workflow then refuses or
// adopts it by reading the user).
func testInviteExistingMember(t *testing.T, e *env) {
	res := e.invite(t, MemberMail, true)
	if res.GuestID != MemberID {
		t.Errorf("invitedUser.id = %s, want the member %s", res.GuestID, MemberID)
	}
	if res.Status == workflow.StatePendingAcceptance {
		t.Errorf("status %s for a member", res.Status)
	}
	if n := e.Emails(MemberMail); n != 0 {
		t.Errorf("%d emails to a member, want 0", n)
	}
	if u, err := e.Directory.User(e.ctx(t), MemberID); err != nil || u.UserType != "Member" {
		t.Errorf("member after the invitation: %+v %v", u, err)
	}
}

// An address that belongs to a guest someone else invited answers that
// guest: Completed once accepted, PendingAcceptance (and a resent email)
// while not.
func testInviteExistingGuest(t *testing.T, e *env) {
	for _, tc := range []struct {
		addr, id, status string
	}{
		{AcceptedGuestMail, AcceptedGuestID, "Completed"},
		{PendingGuestMail, PendingGuestID, workflow.StatePendingAcceptance},
	} {
		res := e.invite(t, tc.addr, true)
		if res.GuestID != tc.id || res.Status != tc.status {
			t.Errorf("invite %s = %+v, want guest %s status %s", tc.addr, res, tc.id, tc.status)
		}
	}
}

// The lookup Microsoft advises before inviting finds a user by mail (in
// any case), otherMails, a secondary proxy address, userPrincipalName and
// an emailAddress identity; an unknown address is "not found", not an
// error.
func testFindUserByMail(t *testing.T, e *env) {
	invited := e.invite(t, "new.guest@fabrikam-partner.example", false)
	for _, tc := range []struct {
		name, addr, id, userType string
	}{
		{"mail", MemberMail, MemberID, "Member"},
		{"mail in another case", strings.ToUpper(MemberMail), MemberID, "Member"},
		{"otherMails", MemberOtherMail, MemberID, "Member"},
		{"secondary proxy address", MemberProxyAlias, MemberID, "Member"},
		{"userPrincipalName", MemberUPN, MemberID, "Member"},
		{"emailAddress identity", LocalSignInEmail, LocalID, "Member"},
		{"foreign guest", AcceptedGuestMail, AcceptedGuestID, "Guest"},
		{"guest invited just now", "new.guest@fabrikam-partner.example", invited.GuestID, "Guest"},
		{"unknown", "nobody@fabrikam-partner.example", "", ""},
		{"quote in the address", "o'brien@fabrikam-partner.example", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, found, err := e.Directory.FindUserByMail(e.ctx(t), tc.addr)
			if err != nil {
				t.Fatalf("FindUserByMail(%s): %v", tc.addr, err)
			}
			if found != (tc.id != "") || u.ID != tc.id || u.UserType != tc.userType {
				t.Errorf("FindUserByMail(%s) = %+v found=%v, want id %q type %q", tc.addr, u, found, tc.id, tc.userType)
			}
		})
	}
}

// User reads what the workflow judges origin and acceptance by; an
// unknown id is a NotFoundError.
func testUser(t *testing.T, e *env) {
	u, err := e.Directory.User(e.ctx(t), AcceptedGuestID)
	want := workflow.DirectoryUser{ID: AcceptedGuestID, Mail: AcceptedGuestMail, UserType: "Guest", ExternalUserState: workflow.StateAccepted,
		CreationType: "Invitation", CreatedAt: foreignGuestCreated}
	if err != nil || !sameUser(u, want) {
		t.Errorf("User(foreign guest) = %+v, %v; want %+v", u, err, want)
	}
	if u, err := e.Directory.User(e.ctx(t), MemberID); err != nil || u.UserType != "Member" || u.CreationType != "" || u.ExternalUserState != "" {
		t.Errorf("User(member) = %+v, %v", u, err)
	}
	_, err = e.Directory.User(e.ctx(t), Missing)
	if !errors.As(err, new(*workflow.NotFoundError)) {
		t.Errorf("User(unknown) error = %v, want a NotFoundError", err)
	}
}

// sameUser compares users, addresses case-insensitively.
func sameUser(got, want workflow.DirectoryUser) bool {
	return got.ID == want.ID && strings.EqualFold(got.Mail, want.Mail) && got.UserType == want.UserType &&
		got.ExternalUserState == want.ExternalUserState && got.CreationType == want.CreationType && got.CreatedAt.Equal(want.CreatedAt)
}
