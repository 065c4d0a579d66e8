package graph

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// userSelect is the $select of every user read: externalUserState,
// userType and creationType are only returned when selected.
var userSelect = []string{"id", "mail", "userType", "externalUserState", "creationType", "createdDateTime"}

// invitationBody is the POST /invitations body (graph-b2b.md §1).
// sendInvitationMessage is always sent, false included, so the request
// says whether Graph mails the guest rather than leaving it to a default.
type invitationBody struct {
	Email       string       `json:"invitedUserEmailAddress"`
	RedirectURL string       `json:"inviteRedirectUrl"`
	DisplayName string       `json:"invitedUserDisplayName,omitempty"`
	UserType    string       `json:"invitedUserType,omitempty"`
	SendMessage bool         `json:"sendInvitationMessage"`
	MessageInfo *messageInfo `json:"invitedUserMessageInfo,omitempty"`
}

// messageInfo is invitedUserMessageInfo; only what is set is sent.
type messageInfo struct {
	Body     string      `json:"customizedMessageBody,omitempty"`
	Language string      `json:"messageLanguage,omitempty"`
	CC       []recipient `json:"ccRecipients,omitempty"`
}

type recipient struct {
	EmailAddress emailAddress `json:"emailAddress"`
}

type emailAddress struct {
	Address string `json:"address"`
}

// Invite sends POST /invitations and returns invitedUser.id (the guest's
// object id, not the invitation id) and the invitation status. Graph sends
// the email only when inv.SendMessage is true; re-inviting an existing
// address is how an invitation is resent.
func (d *Directory) Invite(ctx context.Context, inv workflow.Invitation) (workflow.InviteResult, error) {
	const op = "invite"
	if inv.Email == "" {
		return workflow.InviteResult{}, &workflow.PermanentError{Op: op, Reason: "invitation email is required"}
	}
	if inv.RedirectURL == "" {
		return workflow.InviteResult{}, &workflow.PermanentError{Op: op, Reason: "invitation redirect URL is required"}
	}
	body := invitationBody{Email: inv.Email, RedirectURL: inv.RedirectURL, DisplayName: inv.DisplayName,
		UserType: inv.UserType, SendMessage: inv.SendMessage}
	if inv.Message != "" || inv.Language != "" || inv.CC != "" {
		body.MessageInfo = &messageInfo{Body: inv.Message, Language: inv.Language}
		if inv.CC != "" {
			body.MessageInfo.CC = []recipient{{EmailAddress: emailAddress{Address: inv.CC}}} // Graph supports exactly one
		}
	}
	if d.pacer != nil {
		slot, wait, err := d.pacer.wait(ctx, d.opts.ItemRetryBudget)
		switch {
		case err != nil:
			return workflow.InviteResult{}, &workflow.TransientError{Op: op, Refused: true, Err: err}
		case slot == nil: // not sent: the workflow reschedules the event after the wait
			return workflow.InviteResult{}, &workflow.TransientError{Op: op, RetryAfter: wait, Refused: true,
				Err: fmt.Errorf("invitations paced (%d per %s per instance, or throttled by Graph): next turn in %s", d.opts.InviteLimit, d.opts.InviteWindow, wait.Round(time.Millisecond))}
		}
		defer d.pacer.done(slot)
	}
	// Only a 429 is re-sent in-process: any other failure may come after
	// Graph sent the mail, and the workflow decides what to do then.
	info, err := d.newRequest(abstractions.POST, "/invitations", nil, body)
	var res invitationJSON
	if err == nil {
		info.AddRequestOptions(d.inviteOptions)
		err = d.sendJSON(ctx, info, &res)
	}
	if err != nil {
		err = classify(op, err)
		d.log.WarnContext(ctx, "invitation failed", slog.String(logkey.Email, workflow.MaskEmail(inv.Email)),
			slog.String(logkey.Error, workflow.MaskEmails(err.Error())))
		return workflow.InviteResult{}, err
	}
	out := workflow.InviteResult{GuestID: res.InvitedUser.ID, Status: res.Status}
	if out.GuestID == "" {
		return workflow.InviteResult{}, &workflow.TransientError{Op: op,
			Err: fmt.Errorf("graph answered the invitation without invitedUser.id (status %q)", out.Status)}
	}
	d.log.InfoContext(ctx, "invitation sent", slog.String(logkey.Email, workflow.MaskEmail(inv.Email)),
		slog.String(logkey.GuestID, out.GuestID), slog.String(logkey.Status, out.Status), slog.Bool(logkey.Mail, inv.SendMessage))
	return out, nil
}

// ODataString quotes s as an OData string literal: in single quotes, with
// each ' doubled.
func ODataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// MailFilter is the default (non-advanced) $filter that finds a user whose
// mail or otherMails equals email. It needs no ConsistencyLevel header.
func MailFilter(email string) string {
	q := ODataString(email)
	return "mail eq " + q + " or otherMails/any(m:m eq " + q + ")"
}

// AddressFilters are the default (non-advanced) $filters Microsoft
// recommends before inviting an address (customize-invitation-api,
// reference §15): userPrincipalName, mail, otherMails and proxyAddresses
// (either prefix case) in one, identities in another (a filter on
// identities needs an issuer, which Graph ignores for emailAddress
// identities; whether Graph takes it combined with the others is
// unconfirmed, so it goes alone).
func AddressFilters(email string) []string {
	q := ODataString(email)
	_, domain, _ := strings.Cut(email, "@")
	return []string{
		"userPrincipalName eq " + q + " or " + MailFilter(email) +
			" or proxyAddresses/any(p:p eq " + ODataString("SMTP:"+email) + ")" +
			" or proxyAddresses/any(p:p eq " + ODataString("smtp:"+email) + ")",
		"identities/any(c:c/issuerAssignedId eq " + q + " and c/issuer eq " + ODataString(domain) + ")",
	}
}

// FindUserByMail looks up the user an address belongs to with
// AddressFilters, one GET /users each. The queries are sent concurrently
// (one round trip instead of one per filter) and both are awaited; the
// answer is the one a sequential lookup in AddressFilters order gives: the
// first query that failed or found a user decides, so a failure of the
// first query is never hidden by a hit of the second. found is false when
// no user has the address.
func (d *Directory) FindUserByMail(ctx context.Context, email string) (workflow.DirectoryUser, bool, error) {
	const op = "find user by address"
	filters := AddressFilters(email)
	type answer struct {
		users []userJSON
		err   error
	}
	answers := make([]answer, len(filters))
	query := func(i int) {
		q := selectQuery(userSelect...)
		q.Set("$filter", filters[i])
		var res usersJSON
		answers[i].err = d.get(ctx, "/users", q, &res)
		answers[i].users = res.Value
	}
	var wg sync.WaitGroup
	for i := 1; i < len(filters); i++ {
		wg.Go(func() { query(i) })
	}
	query(0) // on this goroutine: one goroutine fewer
	wg.Wait()
	for _, a := range answers {
		if a.err != nil {
			return workflow.DirectoryUser{}, false, classify(op, a.err)
		}
		if len(a.users) == 0 {
			continue
		}
		if len(a.users) > 1 {
			d.log.WarnContext(ctx, "several users share one address; using the first",
				slog.String(logkey.Email, workflow.MaskEmail(email)), slog.Int(logkey.Count, len(a.users)))
		}
		return a.users[0].directoryUser(), true, nil
	}
	return workflow.DirectoryUser{}, false, nil
}

// User reads GET /users/{id}?$select=id,mail,userType,externalUserState.
func (d *Directory) User(ctx context.Context, id string) (workflow.DirectoryUser, error) {
	op := "read user " + id
	if id == "" {
		return workflow.DirectoryUser{}, &workflow.PermanentError{Op: op, Reason: "user id is required"}
	}
	var u userJSON
	if err := d.get(ctx, "/users/"+seg(id), selectQuery(userSelect...), &u); err != nil {
		return workflow.DirectoryUser{}, classify(op, err)
	}
	return u.directoryUser(), nil
}

// ObjectExists reads the object a change references, selecting only its
// id: the manager (GET /users/{id}), the group, the role definition or the
// resource service principal. A 404 means it does not exist.
func (d *Directory) ObjectExists(ctx context.Context, kind workflow.ChangeKind, id string) (bool, error) {
	op := fmt.Sprintf("read %s %s", kind, id)
	var path string
	switch kind {
	case workflow.ChangeManager:
		path = "/users/"
	case workflow.ChangeGroup:
		path = "/groups/"
	case workflow.ChangeRole:
		path = "/roleManagement/directory/roleDefinitions/"
	case workflow.ChangeApp:
		path = "/servicePrincipals/"
	default:
		return true, nil // references nothing
	}
	if id == "" { // GET on the collection would answer 200
		return false, &workflow.PermanentError{Op: op, Reason: fmt.Sprintf("%s id is required", kind)}
	}
	var obj struct {
		ID string `json:"id"`
	}
	err := d.get(ctx, path+seg(id), selectQuery("id"), &obj)
	if a, ok := apiErrorFromSDK(err); ok && a.Status == 404 {
		return false, nil
	}
	if err != nil {
		return false, classify(op, err)
	}
	return true, nil
}

// SetAccountEnabled blocks or allows sign-in with PATCH /users/{id}
// {accountEnabled: enabled}.
func (d *Directory) SetAccountEnabled(ctx context.Context, id string, enabled bool) error {
	op := fmt.Sprintf("set accountEnabled=%t on user %s", enabled, id)
	if id == "" {
		return &workflow.PermanentError{Op: op, Reason: "user id is required"}
	}
	body := struct {
		AccountEnabled bool `json:"accountEnabled"`
	}{enabled}
	if err := d.send(ctx, abstractions.PATCH, "/users/"+seg(id), body); err != nil {
		return classify(op, err)
	}
	d.log.InfoContext(ctx, "account enabled set", slog.String(logkey.UserID, id), slog.Bool(logkey.Enabled, enabled))
	return nil
}

// DeleteUser deletes the user; a user that is already gone (404) is success.
func (d *Directory) DeleteUser(ctx context.Context, id string) error {
	op := "delete user " + id
	if id == "" {
		return &workflow.PermanentError{Op: op, Reason: "user id is required"}
	}
	err := d.send(ctx, abstractions.DELETE, "/users/"+seg(id), nil)
	if a, ok := apiErrorFromSDK(err); ok && a.Status == 404 {
		d.log.InfoContext(ctx, "user already deleted", slog.String(logkey.UserID, id))
		return nil
	}
	if err != nil {
		return classify(op, err)
	}
	d.log.InfoContext(ctx, "user deleted", slog.String(logkey.UserID, id))
	return nil
}
