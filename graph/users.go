package graph

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/b2b-onboarding/onboard/workflow"
)

// userSelect is the $select of every user read: externalUserState and
// userType are only returned when selected.
var userSelect = []string{"id", "mail", "userType", "externalUserState"}

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
	body := models.NewInvitation()
	body.SetInvitedUserEmailAddress(&inv.Email)
	body.SetInviteRedirectUrl(&inv.RedirectURL)
	if inv.DisplayName != "" {
		body.SetInvitedUserDisplayName(&inv.DisplayName)
	}
	if inv.UserType != "" {
		body.SetInvitedUserType(&inv.UserType)
	}
	send := inv.SendMessage
	body.SetSendInvitationMessage(&send)
	if inv.Message != "" || inv.Language != "" || inv.CC != "" {
		info := models.NewInvitedUserMessageInfo()
		if inv.Message != "" {
			info.SetCustomizedMessageBody(&inv.Message)
		}
		if inv.Language != "" {
			info.SetMessageLanguage(&inv.Language)
		}
		if inv.CC != "" {
			addr := models.NewEmailAddress()
			addr.SetAddress(&inv.CC)
			rcpt := models.NewRecipient()
			rcpt.SetEmailAddress(addr)
			info.SetCcRecipients([]models.Recipientable{rcpt}) // Graph supports exactly one
		}
		body.SetInvitedUserMessageInfo(info)
	}
	res, err := d.client.Invitations().Post(ctx, body, nil)
	if err != nil {
		err = classify(op, err)
		d.log.WarnContext(ctx, "invitation failed", slog.String("email", workflow.MaskEmail(inv.Email)), slog.Any("err", err))
		return workflow.InviteResult{}, err
	}
	var out workflow.InviteResult
	if u := res.GetInvitedUser(); u != nil {
		out.GuestID = deref(u.GetId())
	}
	out.Status = deref(res.GetStatus())
	if out.GuestID == "" {
		return workflow.InviteResult{}, &workflow.TransientError{Op: op,
			Err: fmt.Errorf("graph answered the invitation without invitedUser.id (status %q)", out.Status)}
	}
	d.log.InfoContext(ctx, "invitation sent", slog.String("email", workflow.MaskEmail(inv.Email)),
		slog.String("guestId", out.GuestID), slog.String("status", out.Status), slog.Bool("mail", send))
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

// FindUserByMail lists users with MailFilter(email). found is false when no
// user has the address.
func (d *Directory) FindUserByMail(ctx context.Context, email string) (workflow.DirectoryUser, bool, error) {
	const op = "find user by mail"
	filter := MailFilter(email)
	res, err := d.client.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: &filter, Select: userSelect},
	})
	if err != nil {
		return workflow.DirectoryUser{}, false, classify(op, err)
	}
	vals := res.GetValue()
	if len(vals) == 0 {
		return workflow.DirectoryUser{}, false, nil
	}
	if len(vals) > 1 {
		d.log.WarnContext(ctx, "several users share one address; using the first",
			slog.String("email", workflow.MaskEmail(email)), slog.Int("count", len(vals)))
	}
	return toDirectoryUser(vals[0]), true, nil
}

// User reads GET /users/{id}?$select=id,mail,userType,externalUserState.
func (d *Directory) User(ctx context.Context, id string) (workflow.DirectoryUser, error) {
	op := "read user " + id
	if id == "" {
		return workflow.DirectoryUser{}, &workflow.PermanentError{Op: op, Reason: "user id is required"}
	}
	u, err := d.client.Users().ByUserId(id).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: userSelect},
	})
	if err != nil {
		return workflow.DirectoryUser{}, classify(op, err)
	}
	return toDirectoryUser(u), nil
}

func toDirectoryUser(u models.Userable) workflow.DirectoryUser {
	if u == nil {
		return workflow.DirectoryUser{}
	}
	return workflow.DirectoryUser{
		ID:                deref(u.GetId()),
		Mail:              deref(u.GetMail()),
		UserType:          deref(u.GetUserType()),
		ExternalUserState: deref(u.GetExternalUserState()),
	}
}

// SetAccountEnabled blocks or allows sign-in with PATCH /users/{id}
// {accountEnabled: enabled}.
func (d *Directory) SetAccountEnabled(ctx context.Context, id string, enabled bool) error {
	op := fmt.Sprintf("set accountEnabled=%t on user %s", enabled, id)
	if id == "" {
		return &workflow.PermanentError{Op: op, Reason: "user id is required"}
	}
	body := models.NewUser()
	body.SetAccountEnabled(&enabled)
	if _, err := d.client.Users().ByUserId(id).Patch(ctx, body, nil); err != nil {
		return classify(op, err)
	}
	d.log.InfoContext(ctx, "account enabled set", slog.String("userId", id), slog.Bool("enabled", enabled))
	return nil
}

// DeleteUser deletes the user; a user that is already gone (404) is success.
func (d *Directory) DeleteUser(ctx context.Context, id string) error {
	op := "delete user " + id
	if id == "" {
		return &workflow.PermanentError{Op: op, Reason: "user id is required"}
	}
	err := d.client.Users().ByUserId(id).Delete(ctx, nil)
	if a, ok := apiErrorFromSDK(err); ok && a.Status == 404 {
		d.log.InfoContext(ctx, "user already deleted", slog.String("userId", id))
		return nil
	}
	if err != nil {
		return classify(op, err)
	}
	d.log.InfoContext(ctx, "user deleted", slog.String("userId", id))
	return nil
}
