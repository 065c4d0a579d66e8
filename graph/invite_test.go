package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

var ctx = context.Background()

func adaInvitation(email string) workflow.Invitation {
	return workflow.Invitation{
		Email: email, DisplayName: "Ada Lovelace", RedirectURL: "https://myapps.microsoft.com", UserType: "Guest",
		SendMessage: true, Message: "Welcome to Fabrikam", CC: "buyer@contoso.com", Language: "nl-NL",
	}
}

func TestInviteSendsOneEmailAndRecordsTheMessage(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	const email = "ada.lovelace@fabrikam.com"
	res, err := env.Dir.Invite(ctx, adaInvitation(email))
	if err != nil {
		t.Fatal(err)
	}
	if res.GuestID == "" || res.Status != "PendingAcceptance" {
		t.Fatalf("invite result = %+v", res)
	}
	u, ok := env.Sim.GetUser(res.GuestID)
	if !ok || u.UserType != "Guest" || u.DisplayName != "Ada Lovelace" || !strings.EqualFold(u.Mail, email) {
		t.Fatalf("guest in tenant = %+v (found %v)", u, ok)
	}
	mails := env.Sim.EmailsSent(email)
	if len(mails) != 1 {
		t.Fatalf("emails sent = %d, want 1", len(mails))
	}
	m := mails[0]
	if m.UserID != res.GuestID || m.Message != "Welcome to Fabrikam" || m.Language != "nl-NL" ||
		!slices.Equal(m.CC, []string{"buyer@contoso.com"}) || m.RedirectURL != "https://myapps.microsoft.com" {
		t.Fatalf("email = %+v", m)
	}
}

func TestReinviteReturnsTheSameGuest(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	const email = "grace.hopper@fabrikam.com"
	first, err := env.Dir.Invite(ctx, adaInvitation(email))
	if err != nil {
		t.Fatal(err)
	}
	users := len(env.Sim.State().Users)

	cases := []struct {
		name       string
		send       bool
		wantEmails int
	}{
		{"resend with message", true, 2},
		{"re-invite without message", false, 2},
	}
	for _, tc := range cases {
		inv := adaInvitation(email)
		inv.SendMessage = tc.send
		again, err := env.Dir.Invite(ctx, inv)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if again.GuestID != first.GuestID {
			t.Fatalf("%s: guest id %s, want %s", tc.name, again.GuestID, first.GuestID)
		}
		if n := len(env.Sim.EmailsSent(email)); n != tc.wantEmails {
			t.Fatalf("%s: emails = %d, want %d", tc.name, n, tc.wantEmails)
		}
		if n := len(env.Sim.State().Users); n != users {
			t.Fatalf("%s: users = %d, want %d (no duplicate)", tc.name, n, users)
		}
	}
}

func TestInviteRefusedAddressesArePermanent(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	for _, email := range []string{"ada+partner@fabrikam.com", "sales@fabrikam.com", "no-at-sign"} {
		_, err := env.Dir.Invite(ctx, adaInvitation(email))
		var pe *workflow.PermanentError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: got %v, want PermanentError", email, err)
		}
		if !strings.Contains(pe.Reason, "Graph 400 BadRequest") {
			t.Errorf("%s: reason %q does not quote Graph's status and code", email, pe.Reason)
		}
		if !workflow.IsPermanent(err) {
			t.Errorf("%s: IsPermanent false", email)
		}
	}
	if n := len(env.Sim.State().Emails); n != 0 {
		t.Fatalf("emails sent for refused addresses: %d", n)
	}
}

func TestFindUserByMail(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	quoted, err := env.Dir.Invite(ctx, adaInvitation("o'brien@fabrikam.com"))
	if err != nil {
		t.Fatal(err)
	}
	megan, _ := env.Sim.GetUser(graphsim.SampleUserMegan)
	cases := []struct {
		name, email string
		wantID      string // "" = not found
		wantType    string
	}{
		{"guest with a quote in the address", "o'brien@fabrikam.com", quoted.GuestID, "Guest"},
		{"member by mail", megan.Mail, graphsim.SampleUserMegan, "Member"},
		{"unknown address", "nobody@fabrikam.com", "", ""},
		{"quote injection finds nothing", "x' or mail ne 'y@fabrikam.com", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, found, err := env.Dir.FindUserByMail(ctx, tc.email)
			if err != nil {
				t.Fatal(err)
			}
			if found != (tc.wantID != "") || u.ID != tc.wantID || u.UserType != tc.wantType {
				t.Fatalf("found=%v user=%+v, want id %q type %q", found, u, tc.wantID, tc.wantType)
			}
			if tc.wantType == "Guest" && u.ExternalUserState != workflow.StatePendingAcceptance {
				t.Fatalf("externalUserState = %q", u.ExternalUserState)
			}
		})
	}
}

func TestUserStateFollowsAcceptance(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	res, err := env.Dir.Invite(ctx, adaInvitation("ada@fabrikam.com"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.Dir.User(ctx, res.GuestID)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != res.GuestID || u.UserType != "Guest" || u.ExternalUserState != workflow.StatePendingAcceptance || !strings.EqualFold(u.Mail, "ada@fabrikam.com") {
		t.Fatalf("before acceptance: %+v", u)
	}
	if _, err := env.Sim.Accept(res.GuestID); err != nil {
		t.Fatal(err)
	}
	if u, err = env.Dir.User(ctx, res.GuestID); err != nil || u.ExternalUserState != workflow.StateAccepted {
		t.Fatalf("after acceptance: %+v, %v", u, err)
	}
	_, err = env.Dir.User(ctx, "00000000-0000-4000-8000-00000000dead")
	var nf *workflow.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("unknown user: %v, want NotFoundError", err)
	}
}

func TestDisableEnableAndDeleteUser(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	res, err := env.Dir.Invite(ctx, adaInvitation("ada@fabrikam.com"))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Dir.SetAccountEnabled(ctx, res.GuestID, false); err != nil {
		t.Fatal(err)
	}
	if u, _ := env.Sim.GetUser(res.GuestID); u.AccountEnabled {
		t.Fatal("account still enabled")
	}
	if err := env.Dir.SetAccountEnabled(ctx, res.GuestID, true); err != nil {
		t.Fatal(err)
	}
	if u, _ := env.Sim.GetUser(res.GuestID); !u.AccountEnabled {
		t.Fatal("account not enabled again")
	}
	if err := env.Dir.DeleteUser(ctx, res.GuestID); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.Sim.GetUser(res.GuestID); ok {
		t.Fatal("user still present")
	}
	if err := env.Dir.DeleteUser(ctx, res.GuestID); err != nil {
		t.Fatalf("deleting a deleted user: %v, want nil", err)
	}
	var nf *workflow.NotFoundError
	if err := env.Dir.SetAccountEnabled(ctx, res.GuestID, false); !errors.As(err, &nf) {
		t.Fatalf("disabling a deleted user: %v, want NotFoundError", err)
	}
}

// A throttle window longer than the retry budget is not slept out in the
// SDK's retry handler: the 429 comes back at once with its Retry-After so
// the workflow can reschedule the event.
func TestInviteThrottleBeyondBudgetReturnsRetryAfter(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 1, InviteWindow: time.Hour}},
		graph.Options{ItemRetryBudget: 2 * time.Second})
	if _, err := env.Dir.Invite(ctx, adaInvitation("first@fabrikam.com")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := env.Dir.Invite(ctx, adaInvitation("second@fabrikam.com"))
	var te *workflow.TransientError
	if !errors.As(err, &te) || te.RetryAfter < 30*time.Minute {
		t.Fatalf("err = %v, want a TransientError carrying the throttle's Retry-After", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s: the SDK waited on a Retry-After beyond the budget", took)
	}
	if n := env.Sim.RequestCount("POST /invitations (throttled)"); n != 1 {
		t.Errorf("throttled %d times, want 1 (no in-process retry)", n)
	}
}
