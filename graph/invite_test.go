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

// existingUsersSeed is the sample tenant plus a member whose address is
// also a secondary proxy address and differs from its UPN, and a guest
// invited by someone else.
func existingUsersSeed() graphsim.Seed {
	seed := graphsim.SampleSeed()
	seed.Users = append(seed.Users,
		graphsim.SeedUser{ID: graceID, DisplayName: "Grace Hopper", UserPrincipalName: "grace@fabrikam.onmicrosoft.com", Mail: "grace@fabrikam.com",
			ProxyAddresses: []string{"SMTP:grace@fabrikam.com", "smtp:g.hopper@fabrikam.com"}},
		graphsim.SeedUser{ID: linusID, DisplayName: "Linus", Mail: "linus@partner.example", UserPrincipalName: "linus_partner.example#EXT#@fabrikam.onmicrosoft.com",
			UserType: "Guest", CreationType: "Invitation", ExternalUserState: "Accepted", CreatedDateTime: "2025-06-01T10:00:00Z"})
	return seed
}

const (
	graceID = "5a1e0000-0000-4000-8000-0000000000a1"
	linusID = "5a1e0000-0000-4000-8000-0000000000a2"
)

func TestFindUserByMail(t *testing.T) {
	seed := existingUsersSeed()
	env := graphtest.Start(t, graphsim.Config{Seed: &seed}, graph.Options{})
	before := time.Now().Add(-time.Minute)
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
		{"member by a secondary proxy address", "g.hopper@fabrikam.com", graceID, "Member"},
		{"member by userPrincipalName", "grace@fabrikam.onmicrosoft.com", graceID, "Member"},
		{"guest invited by someone else", "linus@partner.example", linusID, "Guest"},
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
			if tc.wantID == quoted.GuestID && (u.ExternalUserState != workflow.StatePendingAcceptance || u.CreationType != "Invitation" || u.CreatedAt.Before(before)) {
				t.Fatalf("new guest read as %+v: want PendingAcceptance, creationType Invitation, created now", u)
			}
			if tc.wantID == linusID && (u.CreationType != "Invitation" || !u.CreatedAt.Equal(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC))) {
				t.Fatalf("foreign guest read as %+v", u)
			}
		})
	}
	// both queries (identities too) for every address: they are sent
	// concurrently, so a hit on the first does not save the second
	if n := env.Sim.RequestCount("GET /users"); n != 7*2 {
		t.Errorf("%d GET /users for 7 addresses, want 14", n)
	}
}

// TestInviteIsNotRepeatedUnlessRefused: POST /invitations sends mail, so
// the adapter re-sends it only after a 429 (which proves nothing happened)
// and says which failures leave the outcome unknown.
func TestInviteIsNotRepeatedUnlessRefused(t *testing.T) {
	cases := []struct {
		name        string
		knobs       graphsim.Knobs
		wantPosts   int
		wantRefused bool
	}{
		{"503: one request, outcome unknown", graphsim.Knobs{FailureRate: 1}, 1, false},
		{"answer lost after the invitation: outcome unknown", graphsim.Knobs{DropAfterRate: 1}, 1, false},
		{"429 throttle: refused", graphsim.Knobs{InviteLimit: 1, InviteWindow: time.Hour}, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.knobs
			env := graphtest.Start(t, graphsim.Config{Knobs: &k}, graph.Options{RequestRetries: 3})
			if tc.knobs.InviteLimit > 0 {
				if _, err := env.Dir.Invite(ctx, adaInvitation("first@fabrikam.com")); err != nil {
					t.Fatal(err)
				}
			}
			_, err := env.Dir.Invite(ctx, adaInvitation("ada@fabrikam.com"))
			var tr *workflow.TransientError
			if !errors.As(err, &tr) {
				t.Fatalf("got %v, want a TransientError", err)
			}
			if got := workflow.Refused(err); got != tc.wantRefused {
				t.Errorf("Refused = %v, want %v (%v)", got, tc.wantRefused, err)
			}
			posts := env.Sim.RequestCount("POST /invitations")
			if tc.knobs.InviteLimit > 0 {
				posts-- // the first, admitted invitation
			}
			if tc.wantPosts != posts {
				t.Errorf("%d invitation requests reached Graph, want %d", posts, tc.wantPosts)
			}
		})
	}
}

func TestObjectExists(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	const unknown = "0badc0de-0000-4000-8000-000000000000"
	for _, tc := range []struct {
		kind workflow.ChangeKind
		id   string
	}{
		{workflow.ChangeManager, graphsim.SampleUserMegan},
		{workflow.ChangeGroup, graphsim.SampleGroupPartners},
		{workflow.ChangeRole, graphsim.RoleGuestInviter},
		{workflow.ChangeApp, graphsim.SampleSPWiki},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			if ok, err := env.Dir.ObjectExists(ctx, tc.kind, tc.id); !ok || err != nil {
				t.Errorf("existing %s %s: %v, %v", tc.kind, tc.id, ok, err)
			}
			if ok, err := env.Dir.ObjectExists(ctx, tc.kind, unknown); ok || err != nil {
				t.Errorf("unknown %s: %v, %v, want false without error", tc.kind, ok, err)
			}
		})
	}
	k := graphsim.Knobs{FailureRate: 1}
	env.Sim.SetKnobs(k)
	if _, err := env.NewDirectory(t, graph.Options{RequestRetries: -1}).ObjectExists(ctx, workflow.ChangeGroup, graphsim.SampleGroupPartners); !errors.As(err, new(*workflow.TransientError)) {
		t.Errorf("a 503 reading the group: %v, want a TransientError (not \"missing\")", err)
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
