package graphsim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

func TestInvitationCreatesPendingGuest(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	inv := models.NewInvitation()
	inv.SetInvitedUserEmailAddress(ptr("John.Doe@contoso.com"))
	inv.SetInviteRedirectUrl(ptr("https://myapps.microsoft.com"))
	inv.SetInvitedUserDisplayName(ptr("John Doe"))
	inv.SetSendInvitationMessage(ptr(true))
	info := models.NewInvitedUserMessageInfo()
	info.SetCustomizedMessageBody(ptr("Welcome to Fabrikam"))
	info.SetMessageLanguage(ptr("fr-FR"))
	cc := models.NewRecipient()
	addr := models.NewEmailAddress()
	addr.SetAddress(ptr("sponsor@contoso.com"))
	cc.SetEmailAddress(addr)
	info.SetCcRecipients([]models.Recipientable{cc})
	inv.SetInvitedUserMessageInfo(info)

	got, err := e.client.Invitations().Post(ctx(t), inv, nil)
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	guestID := *got.GetInvitedUser().GetId()
	if guestID == "" || guestID == *got.GetId() {
		t.Fatalf("invitedUser.id %q must be set and differ from the invitation id %q", guestID, *got.GetId())
	}
	if *got.GetStatus() != "PendingAcceptance" || *got.GetInvitedUserType() != "Guest" {
		t.Errorf("status/type = %s/%s", *got.GetStatus(), *got.GetInvitedUserType())
	}
	if r := got.GetInviteRedeemUrl(); r == nil || !strings.HasPrefix(*r, "https://login.microsoftonline.com/redeem?rd=") {
		t.Errorf("inviteRedeemUrl = %v", r)
	}

	u, err := e.client.Users().ByUserId(guestID).Get(ctx(t), nil)
	if err != nil {
		t.Fatalf("get guest: %v", err)
	}
	if *u.GetUserPrincipalName() != "John.Doe_contoso.com#EXT#@fabrikam.onmicrosoft.com" {
		t.Errorf("UPN = %s", *u.GetUserPrincipalName())
	}
	if *u.GetMail() != "John.Doe@contoso.com" || *u.GetDisplayName() != "John Doe" {
		t.Errorf("mail/displayName = %s/%s", *u.GetMail(), *u.GetDisplayName())
	}
	st, _ := e.sim.UserByMail("john.doe@CONTOSO.com")
	if st.UserType != "Guest" || st.CreationType != "Invitation" || st.ExternalUserState != "PendingAcceptance" {
		t.Errorf("state user = %+v", st)
	}
	mails := e.sim.EmailsSent("john.doe@contoso.com")
	if len(mails) != 1 || mails[0].Message != "Welcome to Fabrikam" || mails[0].Language != "fr-FR" ||
		len(mails[0].CC) != 1 || mails[0].CC[0] != "sponsor@contoso.com" || mails[0].UserID != guestID {
		t.Errorf("emails = %+v", mails)
	}
}

func TestReinviteReturnsSameUserAndCountsEmails(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	first := invite(t, e, "partner@northwind.com", false)
	second := invite(t, e, "Partner@Northwind.com", true)
	third := invite(t, e, "partner@northwind.com", true)
	id := *first.GetInvitedUser().GetId()
	if *second.GetInvitedUser().GetId() != id || *third.GetInvitedUser().GetId() != id {
		t.Fatalf("re-invite created another user: %s %s %s", id, *second.GetInvitedUser().GetId(), *third.GetInvitedUser().GetId())
	}
	if *second.GetId() == *first.GetId() {
		t.Errorf("each invitation needs its own id")
	}
	n := 0
	for _, u := range e.sim.State().Users {
		if strings.EqualFold(u.Mail, "partner@northwind.com") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("users with the address = %d, want 1", n)
	}
	if got := len(e.sim.EmailsSent("partner@northwind.com")); got != 2 {
		t.Errorf("emails = %d, want 2 (first invite did not send)", got)
	}
	if _, err := e.sim.Accept("partner@northwind.com"); err != nil {
		t.Fatal(err)
	}
	after := invite(t, e, "partner@northwind.com", false)
	if *after.GetStatus() != "Completed" {
		t.Errorf("re-invite of an accepted guest: status %s, want Completed", *after.GetStatus())
	}
}

func TestInvitationValidation(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	cases := []struct {
		name, email, redirect, msg string
		mutate                     func(models.Invitationable)
	}{
		{name: "plus", email: "jo+tag@contoso.com", msg: "'+'"},
		{name: "missing email", email: "", msg: "invitedUserEmailAddress"},
		{name: "missing redirect", email: "a@contoso.com", redirect: "-", msg: "inviteRedirectUrl"},
		{name: "relative redirect", email: "a@contoso.com", redirect: "/home", msg: "inviteRedirectUrl"},
		{name: "no at", email: "contoso.com", msg: "local@domain"},
		{name: "leading dot", email: ".a@contoso.com", msg: "'.'"},
		{name: "trailing dash", email: "a-@contoso.com", msg: "'-'"},
		{name: "comma", email: "a,b@contoso.com", msg: "','"},
		{name: "hash", email: "a#b@contoso.com", msg: "'#'"},
		{name: "bad domain", email: "a@contoso", msg: "domain"},
		{name: "seeded group mailbox", email: "projectapollo@fabrikam.onmicrosoft.com", msg: graphsim.MsgGroupEmail},
		{name: "distribution list", email: "sales@fabrikam.com", msg: graphsim.MsgGroupEmail},
		{name: "group-looking name", email: "dl-partners@contoso.com", msg: graphsim.MsgGroupEmail},
		{name: "bad user type", email: "a@contoso.com", msg: "invitedUserType", mutate: func(i models.Invitationable) { i.SetInvitedUserType(ptr("Admin")) }},
		{name: "two cc", email: "a@contoso.com", msg: "only one additional recipient", mutate: func(i models.Invitationable) {
			info := models.NewInvitedUserMessageInfo()
			var rs []models.Recipientable
			for _, a := range []string{"x@contoso.com", "y@contoso.com"} {
				r := models.NewRecipient()
				ea := models.NewEmailAddress()
				ea.SetAddress(ptr(a))
				r.SetEmailAddress(ea)
				rs = append(rs, r)
			}
			info.SetCcRecipients(rs)
			i.SetInvitedUserMessageInfo(info)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := models.NewInvitation()
			if c.email != "" {
				inv.SetInvitedUserEmailAddress(ptr(c.email))
			}
			switch c.redirect {
			case "":
				inv.SetInviteRedirectUrl(ptr("https://myapps.microsoft.com"))
			case "-":
			default:
				inv.SetInviteRedirectUrl(ptr(c.redirect))
			}
			if c.mutate != nil {
				c.mutate(inv)
			}
			_, err := e.client.Invitations().Post(ctx(t), inv, nil)
			wantODataError(t, err, http.StatusBadRequest, "BadRequest", c.msg)
		})
	}
	if n := len(e.sim.State().Users); n != 3 {
		t.Errorf("users after invalid invitations = %d, want the 3 seeded", n)
	}
}

func TestInvitationMemberTypeAndUnderscore(t *testing.T) {
	e := newEnv(t, graphsim.Config{Domain: "contoso.onmicrosoft.com"}, clientOptions{})
	inv := newInvitation("first_last@partner.example.org", false)
	inv.SetInvitedUserType(ptr("Member"))
	got, err := e.client.Invitations().Post(ctx(t), inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := e.sim.GetUser(*got.GetInvitedUser().GetId())
	if u.UserType != "Member" || u.UserPrincipalName != "first_last_partner.example.org#EXT#@contoso.onmicrosoft.com" {
		t.Errorf("user = %+v", u)
	}
}

func TestResetRedemption(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	id := *invite(t, e, "guest@tailspin.com", false).GetInvitedUser().GetId()
	if _, err := e.sim.Accept(id); err != nil {
		t.Fatal(err)
	}
	inv := newInvitation("guest@tailspin.com", true)
	inv.SetResetRedemption(ptr(true))
	iu := models.NewUser()
	iu.SetId(ptr(id))
	inv.SetInvitedUser(iu)
	got, err := e.client.Invitations().Post(ctx(t), inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.GetInvitedUser().GetId() != id || *got.GetStatus() != "PendingAcceptance" {
		t.Errorf("reset answer id=%s status=%s", *got.GetInvitedUser().GetId(), *got.GetStatus())
	}
	if u, _ := e.sim.GetUser(id); u.ExternalUserState != "PendingAcceptance" {
		t.Errorf("state after reset = %s", u.ExternalUserState)
	}
	inv = newInvitation("other@tailspin.com", true)
	inv.SetResetRedemption(ptr(true))
	inv.SetInvitedUser(iu)
	_, err = e.client.Invitations().Post(ctx(t), inv, nil)
	wantODataError(t, err, http.StatusBadRequest, "BadRequest", "doesn't match any emails")
}

// An address that belongs to someone already in the tenant: a member gets
// no invitation (Graph: "they won't receive an invitation"), answered 201
// with the member's own id; a guest invited by someone else is re-invited
// (same id, a mail). Matches go through mail, proxyAddresses and UPN.
func TestInvitationOfExistingUsers(t *testing.T) {
	const (
		memberID = "5a1e0000-0000-4000-8000-0000000000a1"
		foreign  = "5a1e0000-0000-4000-8000-0000000000a2"
	)
	seed := graphsim.SampleSeed()
	seed.Users = append(seed.Users,
		graphsim.SeedUser{ID: memberID, DisplayName: "Grace Hopper", UserPrincipalName: "grace@fabrikam.onmicrosoft.com",
			Mail: "grace@fabrikam.com", ProxyAddresses: []string{"SMTP:grace@fabrikam.com", "smtp:g.hopper@fabrikam.com"}},
		graphsim.SeedUser{ID: foreign, DisplayName: "Linus", Mail: "linus@partner.example", UserPrincipalName: "linus_partner.example#EXT#@fabrikam.onmicrosoft.com",
			UserType: "Guest", CreationType: "Invitation", ExternalUserState: "Accepted"})
	e := newEnv(t, graphsim.Config{Seed: &seed}, clientOptions{})
	for _, addr := range []string{"grace@fabrikam.com", "g.hopper@fabrikam.com", "grace@fabrikam.onmicrosoft.com"} {
		inv := invite(t, e, addr, true)
		if id := *inv.GetInvitedUser().GetId(); id != memberID || *inv.GetStatus() != "Completed" {
			t.Errorf("invite %s: user %s status %s, want the member %s, Completed", addr, id, *inv.GetStatus(), memberID)
		}
		if n := len(e.sim.EmailsSent(addr)); n != 0 {
			t.Errorf("%s: a member got %d invitation emails", addr, n)
		}
	}
	inv := invite(t, e, "linus@partner.example", true)
	if id := *inv.GetInvitedUser().GetId(); id != foreign || *inv.GetStatus() != "Completed" {
		t.Errorf("foreign guest: user %s status %s", id, *inv.GetStatus())
	}
	if n := len(e.sim.EmailsSent("linus@partner.example")); n != 1 {
		t.Errorf("foreign guest re-invited: %d emails, want 1", n)
	}
	if n := len(e.sim.State().Users); n != len(seed.Users) {
		t.Errorf("%d users, want no new user for existing addresses", n)
	}
	// a new guest carries its address in proxyAddresses, as Graph adds it
	id := *invite(t, e, "new@partner.example", false).GetInvitedUser().GetId()
	if u, _ := e.sim.GetUser(id); fmt.Sprint(u.Properties["proxyAddresses"]) != "[SMTP:new@partner.example]" {
		t.Errorf("proxyAddresses = %v", u.Properties["proxyAddresses"])
	}
}
