package graphsim

import (
	"net/http"
	"strings"
)

// The values of authorizationPolicy.allowInvitesFrom (graph-b2b.md §17).
const (
	InvitesFromNone                   = "none"
	InvitesFromAdminsAndGuestInviters = "adminsAndGuestInviters"
	InvitesFromAdminsGuestInvitersAll = "adminsGuestInvitersAndAllMembers"
	InvitesFromEveryone               = "everyone"
)

// authorizationPolicyID is the singleton policy's id, as Graph spells it.
const authorizationPolicyID = "authorizationPolicy"

// getAuthorizationPolicy is GET /policies/authorizationPolicy: the tenant's
// singleton authorization policy.
func (s *Server) getAuthorizationPolicy(req *request, _ params) *response {
	q, e := parseQuery(req, entityType{name: "microsoft.graph.authorizationPolicy",
		props: []string{"id", "displayName", "allowInvitesFrom", "guestUserRoleId"}})
	if e != nil {
		return errResponse(e)
	}
	out := map[string]any{
		"id": authorizationPolicyID, "displayName": "Authorization Policy",
		"allowInvitesFrom": s.t.allowInvitesFrom, "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
	}
	return entityResponse("policies/authorizationPolicy", q.sel, project(out, q.sel, nil))
}

// listOrganization is GET /organization: a collection holding the tenant's
// one organization; an unset statementUrl is "" as in Graph's example.
func (s *Server) listOrganization(req *request, _ params) *response {
	q, e := parseQuery(req, entityType{name: "microsoft.graph.organization",
		props: []string{"id", "displayName", "privacyProfile", "verifiedDomains"}})
	if e != nil {
		return errResponse(e)
	}
	org := map[string]any{
		"id": s.t.tenantID, "displayName": "Fabrikam",
		"privacyProfile":  map[string]any{"contactEmail": "", "statementUrl": s.t.privacyURL},
		"verifiedDomains": []any{map[string]any{"name": s.t.domain, "isDefault": true, "isInitial": true, "type": "Managed"}},
	}
	return listResponse(req, "organization", q, []map[string]any{project(org, q.sel, nil)})
}

// SetAllowInvitesFrom changes the authorization policy's allowInvitesFrom,
// as an administrator would in the external collaboration settings.
func (s *Server) SetAllowInvitesFrom(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.allowInvitesFrom = v
}

// SetPrivacyStatementURL changes the organization's privacy statement URL
// ("" clears it).
func (s *Server) SetPrivacyStatementURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.privacyURL = u
}

// invitesAllowedForApps reports whether app-only POST /invitations works
// under the tenant's allowInvitesFrom (graph-b2b.md §17).
func (t *tenant) invitesAllowedForApps() bool {
	return strings.EqualFold(t.allowInvitesFrom, InvitesFromEveryone) || strings.EqualFold(t.allowInvitesFrom, InvitesFromAdminsGuestInvitersAll)
}

// invitationsRestricted is the answer to an app-only invitation when the
// tenant restricts invitations; the exact text is undocumented, graphsim
// answers 403 (docs/graphsim.md).
func invitationsRestricted() *graphError {
	return errorf(http.StatusForbidden, CodeAuthorizationDenied,
		"Guest invitations are not allowed for your company. Contact your administrator for more information.")
}

// getCrossTenantDefault is GET /policies/crossTenantAccessPolicy/default
// (Policy.Read.All): the default cross-tenant access settings, shaped as
// Graph's documented service default (isServiceDefault true, B2B
// collaboration allowed both ways, B2B direct connect blocked). Only
// b2bCollaborationInbound.usersAndGroups changes (SetDefaultB2BInbound);
// graphsim does not make POST /invitations honour it, because what Graph
// answers then depends on the invitee's home tenant, which graphsim does
// not model.
func (s *Server) getCrossTenantDefault(req *request, _ params) *response {
	q, e := parseQuery(req, entityType{name: "microsoft.graph.crossTenantAccessPolicyConfigurationDefault",
		props: []string{"isServiceDefault", "inboundTrust", "b2bCollaborationOutbound", "b2bCollaborationInbound", "b2bDirectConnectOutbound", "b2bDirectConnectInbound", "automaticUserConsentSettings"}})
	if e != nil {
		return errResponse(e)
	}
	setting := func(access string) map[string]any {
		return map[string]any{
			"usersAndGroups": map[string]any{"accessType": access, "targets": []any{map[string]any{"target": "AllUsers", "targetType": "user"}}},
			"applications":   map[string]any{"accessType": access, "targets": []any{map[string]any{"target": "AllApplications", "targetType": "application"}}},
		}
	}
	inbound := setting("allowed")
	if s.t.b2bInboundBlocked {
		inbound["usersAndGroups"] = setting("blocked")["usersAndGroups"]
	}
	out := map[string]any{
		"isServiceDefault":         !s.t.b2bInboundBlocked,
		"inboundTrust":             map[string]any{"isMfaAccepted": false, "isCompliantDeviceAccepted": false, "isHybridAzureADJoinedDeviceAccepted": false},
		"b2bCollaborationOutbound": setting("allowed"), "b2bCollaborationInbound": inbound,
		"b2bDirectConnectOutbound": setting("blocked"), "b2bDirectConnectInbound": setting("blocked"),
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": false, "outboundAllowed": false},
	}
	return entityResponse("policies/crossTenantAccessPolicy/default", q.sel, project(out, q.sel, nil))
}

// SetDefaultB2BInbound allows or blocks inbound B2B collaboration for all
// users in the cross-tenant access default, as an administrator does under
// External Identities > Cross-tenant access settings > Default settings.
func (s *Server) SetDefaultB2BInbound(allowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.b2bInboundBlocked = !allowed
}
