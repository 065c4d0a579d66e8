package graphsim

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Email is one invitation email the simulated tenant "sent".
type Email struct {
	To           string    `json:"to"`
	UserID       string    `json:"userId"`
	InvitationID string    `json:"invitationId"`
	Message      string    `json:"message,omitempty"`  // customizedMessageBody
	Language     string    `json:"language,omitempty"` // messageLanguage
	CC           []string  `json:"cc,omitempty"`
	RedirectURL  string    `json:"redirectUrl"`
	RedeemURL    string    `json:"redeemUrl"`
	SentAt       time.Time `json:"sentAt"`
}

func invitationError(format string, args ...any) *response {
	return errResponse(errorf(http.StatusBadRequest, CodeBadRequest, format, args...))
}

// postInvitation is POST /invitations: validate, create (or find) the guest,
// record the email, answer 201 with the invitation.
func (s *Server) postInvitation(req *request, _ params) *response {
	body, gerr := decodeObject(req.body)
	if gerr != nil {
		return errResponse(gerr)
	}
	in, bad := parseInvitation(body)
	if bad != nil {
		return bad
	}
	addr, err := parseAddress(in.email)
	if err != nil {
		return invitationError("The Primary SMTP Address is an invalid value: %v.", err)
	}
	t := s.t
	if !t.invitesAllowedForApps() {
		return errResponse(invitationsRestricted())
	}
	if t.isGroupAddress(in.email) {
		return invitationError(MsgGroupEmail)
	}
	now := s.now().UTC()
	u := t.userOwningAddress(in.email)
	status := "PendingAcceptance"
	// An address that belongs to a member: "If the user already exists in
	// your resource directory, they won't receive an invitation"
	// (customize-invitation-api). What the call answers is undocumented
	// (reference §15); graphsim answers the harsher way a client can
	// misread: 201 with the member's id, status Completed, and no email.
	member := u != nil && !in.reset && !strings.EqualFold(u.str("userType"), "Guest") && u.str("creationType") != "Invitation"
	switch {
	case in.reset:
		if u, bad = s.resetRedemption(body, in.email, now); bad != nil {
			return bad
		}
	case u == nil:
		u = s.createGuest(addr, in, now)
	case u.str("externalUserState") != "PendingAcceptance":
		status = "Completed"
	}
	invID := s.newID()
	t.invitations++
	redeem := "https://login.microsoftonline.com/redeem?rd=" + url.QueryEscape(
		"https://invitations.microsoft.com/redeem/?tenant="+t.tenantID+"&user="+invID+"&ticket="+strings.ReplaceAll(s.newID(), "-", "")+"&ver=2.0")
	if in.send && !member {
		key := strings.ToLower(in.email)
		t.emails[key] = append(t.emails[key], Email{
			To: in.email, UserID: u.id(), InvitationID: invID, Message: in.info.body, Language: in.info.lang,
			CC: in.info.cc, RedirectURL: in.redirect, RedeemURL: redeem, SentAt: now,
		})
	}
	var displayOut any
	if d, ok := body["invitedUserDisplayName"].(string); ok {
		displayOut = d
	}
	return jsonResponse(http.StatusCreated, map[string]any{
		"@odata.context":          metadataBase + "invitations/$entity",
		"id":                      invID,
		"inviteRedeemUrl":         redeem,
		"invitedUserDisplayName":  displayOut,
		"invitedUserType":         in.userType,
		"invitedUserEmailAddress": in.email,
		"sendInvitationMessage":   in.send,
		"resetRedemption":         in.reset,
		"inviteRedirectUrl":       in.redirect,
		"status":                  status,
		"invitedUserMessageInfo":  in.info.echo,
		"invitedUser":             map[string]any{"id": u.id()},
	})
}

// invitationRequest is a POST /invitations body whose properties have the
// right types and values (the address itself is parsed later).
type invitationRequest struct {
	email, redirect, display, userType string
	send, reset                        bool
	info                               messageInfo
}

// messageInfo is a checked invitedUserMessageInfo: what the email says,
// and the object as the answer echoes it.
type messageInfo struct {
	body, lang string
	cc         []string
	echo       map[string]any
}

// parseInvitation checks the properties of a POST /invitations body in
// the order Graph reports them, answering 400 for the first bad one.
func parseInvitation(body map[string]any) (in invitationRequest, bad *response) {
	if in.email, bad = optString(body, "invitedUserEmailAddress"); bad != nil {
		return in, bad
	}
	if strings.TrimSpace(in.email) == "" {
		return in, invitationError("Required property 'invitedUserEmailAddress' is missing or empty.")
	}
	if in.redirect, bad = optString(body, "inviteRedirectUrl"); bad != nil {
		return in, bad
	}
	if strings.TrimSpace(in.redirect) == "" {
		return in, invitationError("Required property 'inviteRedirectUrl' is missing or empty.")
	}
	if u, err := url.Parse(in.redirect); err != nil || u.Scheme == "" || u.Host == "" {
		return in, invitationError("Invalid value for property 'inviteRedirectUrl': '%s' is not an absolute URL.", in.redirect)
	}
	if in.display, bad = optString(body, "invitedUserDisplayName"); bad != nil {
		return in, bad
	}
	if in.userType, bad = optString(body, "invitedUserType"); bad != nil {
		return in, bad
	}
	switch {
	case in.userType == "", strings.EqualFold(in.userType, "Guest"):
		in.userType = "Guest"
	case strings.EqualFold(in.userType, "Member"):
		in.userType = "Member"
	default:
		return in, invitationError("Invalid value for property 'invitedUserType': '%s' is not one of Guest, Member.", in.userType)
	}
	if in.send, bad = optBool(body, "sendInvitationMessage"); bad != nil {
		return in, bad
	}
	if in.reset, bad = optBool(body, "resetRedemption"); bad != nil {
		return in, bad
	}
	in.info, bad = parseMessageInfo(body["invitedUserMessageInfo"])
	return in, bad
}

// optString reads an optional string property ("" when absent or null).
func optString(body map[string]any, name string) (string, *response) {
	v, ok := body[name]
	if !ok || v == nil {
		return "", nil
	}
	sv, ok := v.(string)
	if !ok {
		return "", invitationError("Invalid value for property '%s': expected a string.", name)
	}
	return sv, nil
}

// optBool reads an optional boolean property (false when absent or null).
func optBool(body map[string]any, name string) (bool, *response) {
	v, ok := body[name]
	if !ok || v == nil {
		return false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, invitationError("Invalid value for property '%s': expected true or false.", name)
	}
	return b, nil
}

// parseMessageInfo checks invitedUserMessageInfo (v, absent when nil):
// message body, language and at most one CC recipient.
func parseMessageInfo(v any) (messageInfo, *response) {
	info := messageInfo{echo: map[string]any{"messageLanguage": nil, "customizedMessageBody": nil, "ccRecipients": []any{}}}
	if v == nil {
		return info, nil
	}
	mi, isObj := v.(map[string]any)
	if !isObj {
		return info, invitationError("Invalid value for property 'invitedUserMessageInfo': expected an object.")
	}
	if m, ok := mi["customizedMessageBody"].(string); ok {
		info.body = m
		info.echo["customizedMessageBody"] = m
	}
	if l, ok := mi["messageLanguage"].(string); ok && l != "" {
		if !reLanguage().MatchString(l) {
			return info, invitationError("Invalid value for property 'messageLanguage': '%s' is not an ISO 639 language code.", l)
		}
		info.lang = l
		info.echo["messageLanguage"] = l
	}
	rc, ok := mi["ccRecipients"]
	if !ok || rc == nil {
		return info, nil
	}
	list, isList := rc.([]any)
	if !isList {
		return info, invitationError("Invalid value for property 'ccRecipients': expected a collection of recipients.")
	}
	if len(list) > 1 {
		return info, invitationError("Invalid value for property 'ccRecipients': only one additional recipient is supported, got %d.", len(list))
	}
	for _, it := range list {
		addr := ""
		if r, ok := it.(map[string]any); ok {
			if ea, ok := r["emailAddress"].(map[string]any); ok {
				addr, _ = ea["address"].(string)
			}
		}
		if _, err := parseAddress(addr); err != nil {
			return info, invitationError("Invalid value for property 'ccRecipients': the recipient address is invalid: %v.", err)
		}
		info.cc = append(info.cc, addr)
	}
	info.echo["ccRecipients"] = list
	return info, nil
}

// resetRedemption finds the user a resetRedemption invitation names
// (invitedUser.id, which must own the address) and puts it back to
// PendingAcceptance.
func (s *Server) resetRedemption(body map[string]any, email string, now time.Time) (*user, *response) {
	inv, _ := body["invitedUser"].(map[string]any)
	id, _ := inv["id"].(string)
	if id == "" {
		return nil, invitationError("Reset redemption requires invitedUser.id.")
	}
	target := s.t.lookupUser(id)
	if target == nil {
		return nil, errResponse(notFound(id))
	}
	if !target.hasAddress(email) {
		return nil, invitationError("The invited user email address '%s' doesn't match any emails on the user object %s.", email, id)
	}
	target.props["externalUserState"] = "PendingAcceptance"
	target.props["externalUserStateChangeDateTime"] = now.Format(time.RFC3339)
	return target, nil
}

// createGuest adds the user an invitation creates, as Graph shapes it
// (#EXT# user principal name, creationType Invitation), visible to reads
// only after the replication lag.
func (s *Server) createGuest(addr address, in invitationRequest, now time.Time) *user {
	t := s.t
	id := s.newID()
	upn := strings.ReplaceAll(addr.local+"_"+addr.domain, "@", "_") + "#EXT#@" + t.domain
	display := in.display
	if display == "" {
		display = addr.local
	}
	p := map[string]any{
		"id":                              id,
		"displayName":                     display,
		"mail":                            in.email,
		"mailNickname":                    strings.ReplaceAll(addr.local+"_"+addr.domain, "@", "_") + "#EXT#",
		"userPrincipalName":               upn,
		"otherMails":                      []any{},
		"userType":                        in.userType,
		"creationType":                    "Invitation",
		"externalUserState":               "PendingAcceptance",
		"externalUserStateChangeDateTime": now.Format(time.RFC3339),
		"accountEnabled":                  true,
		"createdDateTime":                 now.Format(time.RFC3339),
		"identities": []any{map[string]any{
			"signInType": "userPrincipalName", "issuer": t.domain, "issuerAssignedId": upn,
		}},
		"proxyAddresses": []any{"SMTP:" + in.email},
	}
	fillUserDefaults(p)
	u := &user{props: p, visibleAt: now.Add(s.Knobs().ReplicationLag)}
	t.users[strings.ToLower(id)] = u
	t.userOrder = append(t.userOrder, strings.ToLower(id))
	return u
}
