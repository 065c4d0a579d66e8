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
	str := func(name string) (string, *response) {
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
	email, bad := str("invitedUserEmailAddress")
	if bad != nil {
		return bad
	}
	if strings.TrimSpace(email) == "" {
		return invitationError("Required property 'invitedUserEmailAddress' is missing or empty.")
	}
	redirect, bad := str("inviteRedirectUrl")
	if bad != nil {
		return bad
	}
	if strings.TrimSpace(redirect) == "" {
		return invitationError("Required property 'inviteRedirectUrl' is missing or empty.")
	}
	if u, err := url.Parse(redirect); err != nil || u.Scheme == "" || u.Host == "" {
		return invitationError("Invalid value for property 'inviteRedirectUrl': '%s' is not an absolute URL.", redirect)
	}
	display, bad := str("invitedUserDisplayName")
	if bad != nil {
		return bad
	}
	userType, bad := str("invitedUserType")
	if bad != nil {
		return bad
	}
	switch {
	case userType == "":
		userType = "Guest"
	case strings.EqualFold(userType, "Guest"):
		userType = "Guest"
	case strings.EqualFold(userType, "Member"):
		userType = "Member"
	default:
		return invitationError("Invalid value for property 'invitedUserType': '%s' is not one of Guest, Member.", userType)
	}
	send := false
	if v, ok := body["sendInvitationMessage"]; ok && v != nil {
		b, isBool := v.(bool)
		if !isBool {
			return invitationError("Invalid value for property 'sendInvitationMessage': expected true or false.")
		}
		send = b
	}
	reset := false
	if v, ok := body["resetRedemption"]; ok && v != nil {
		b, isBool := v.(bool)
		if !isBool {
			return invitationError("Invalid value for property 'resetRedemption': expected true or false.")
		}
		reset = b
	}
	var msgBody, lang string
	var cc []string
	info := map[string]any{"messageLanguage": nil, "customizedMessageBody": nil, "ccRecipients": []any{}}
	if v, ok := body["invitedUserMessageInfo"]; ok && v != nil {
		mi, isObj := v.(map[string]any)
		if !isObj {
			return invitationError("Invalid value for property 'invitedUserMessageInfo': expected an object.")
		}
		if m, ok := mi["customizedMessageBody"].(string); ok {
			msgBody = m
			info["customizedMessageBody"] = m
		}
		if l, ok := mi["messageLanguage"].(string); ok && l != "" {
			if !reLanguage.MatchString(l) {
				return invitationError("Invalid value for property 'messageLanguage': '%s' is not an ISO 639 language code.", l)
			}
			lang = l
			info["messageLanguage"] = l
		}
		if rc, ok := mi["ccRecipients"]; ok && rc != nil {
			list, isList := rc.([]any)
			if !isList {
				return invitationError("Invalid value for property 'ccRecipients': expected a collection of recipients.")
			}
			if len(list) > 1 {
				return invitationError("Invalid value for property 'ccRecipients': only one additional recipient is supported, got %d.", len(list))
			}
			for _, it := range list {
				addr := ""
				if r, ok := it.(map[string]any); ok {
					if ea, ok := r["emailAddress"].(map[string]any); ok {
						addr, _ = ea["address"].(string)
					}
				}
				if _, err := parseAddress(addr); err != nil {
					return invitationError("Invalid value for property 'ccRecipients': the recipient address is invalid: %v.", err)
				}
				cc = append(cc, addr)
			}
			info["ccRecipients"] = list
		}
	}
	addr, err := parseAddress(email)
	if err != nil {
		return invitationError("The Primary SMTP Address is an invalid value: %v.", err)
	}
	t := s.t
	if t.isGroupAddress(email) {
		return invitationError(MsgGroupEmail)
	}
	now := s.now().UTC()
	u := t.userOwningAddress(email)
	status := "PendingAcceptance"
	// An address that belongs to a member: "If the user already exists in
	// your resource directory, they won't receive an invitation"
	// (customize-invitation-api). What the call answers is undocumented
	// (reference §15); graphsim answers the harsher way a client can
	// misread: 201 with the member's id, status Completed, and no email.
	member := u != nil && !reset && !strings.EqualFold(u.str("userType"), "Guest") && u.str("creationType") != "Invitation"
	if reset {
		inv, _ := body["invitedUser"].(map[string]any)
		id, _ := inv["id"].(string)
		if id == "" {
			return invitationError("Reset redemption requires invitedUser.id.")
		}
		target := t.lookupUser(id)
		if target == nil {
			return errResponse(notFound(id))
		}
		if !target.hasAddress(email) {
			return invitationError("The invited user email address '%s' doesn't match any emails on the user object %s.", email, id)
		}
		u = target
		u.props["externalUserState"] = "PendingAcceptance"
		u.props["externalUserStateChangeDateTime"] = now.Format(time.RFC3339)
	}
	if u == nil {
		id := s.newID()
		upn := strings.ReplaceAll(addr.local+"_"+addr.domain, "@", "_") + "#EXT#@" + t.domain
		if display == "" {
			display = addr.local
		}
		p := map[string]any{
			"id":                              id,
			"displayName":                     display,
			"mail":                            email,
			"mailNickname":                    strings.ReplaceAll(addr.local+"_"+addr.domain, "@", "_") + "#EXT#",
			"userPrincipalName":               upn,
			"otherMails":                      []any{},
			"userType":                        userType,
			"creationType":                    "Invitation",
			"externalUserState":               "PendingAcceptance",
			"externalUserStateChangeDateTime": now.Format(time.RFC3339),
			"accountEnabled":                  true,
			"createdDateTime":                 now.Format(time.RFC3339),
			"identities": []any{map[string]any{
				"signInType": "userPrincipalName", "issuer": t.domain, "issuerAssignedId": upn,
			}},
			"proxyAddresses": []any{"SMTP:" + email},
		}
		fillUserDefaults(p)
		u = &user{props: p, visibleAt: now.Add(s.Knobs().ReplicationLag)}
		t.users[strings.ToLower(id)] = u
		t.userOrder = append(t.userOrder, strings.ToLower(id))
	} else if !reset && u.str("externalUserState") != "PendingAcceptance" {
		status = "Completed"
	}
	invID := s.newID()
	t.invitations++
	redeem := "https://login.microsoftonline.com/redeem?rd=" + url.QueryEscape(
		"https://invitations.microsoft.com/redeem/?tenant="+t.tenantID+"&user="+invID+"&ticket="+strings.ReplaceAll(s.newID(), "-", "")+"&ver=2.0")
	if send && !member {
		key := strings.ToLower(email)
		t.emails[key] = append(t.emails[key], Email{
			To: email, UserID: u.id(), InvitationID: invID, Message: msgBody, Language: lang,
			CC: cc, RedirectURL: redirect, RedeemURL: redeem, SentAt: now,
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
		"invitedUserType":         userType,
		"invitedUserEmailAddress": email,
		"sendInvitationMessage":   send,
		"resetRedemption":         reset,
		"inviteRedirectUrl":       redirect,
		"status":                  status,
		"invitedUserMessageInfo":  info,
		"invitedUser":             map[string]any{"id": u.id()},
	})
}
