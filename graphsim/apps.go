package graphsim

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

var servicePrincipalType = entityType{name: "microsoft.graph.servicePrincipal", props: []string{
	"id", "appId", "displayName", "appRoles", "appRoleAssignmentRequired", "servicePrincipalType", "accountEnabled",
}}

var appRoleAssignmentType = entityType{name: "microsoft.graph.appRoleAssignment", props: []string{
	"id", "appRoleId", "createdDateTime", "deletedDateTime", "principalDisplayName", "principalId", "principalType", "resourceDisplayName", "resourceId",
}}

var reGUID = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
})

func (sp *servicePrincipal) props() map[string]any {
	roles := make([]any, 0, len(sp.appRoles))
	for _, r := range sp.appRoles {
		roles = append(roles, map[string]any{
			"id": r.ID, "allowedMemberTypes": []any{"User"}, "description": r.Description,
			"displayName": r.DisplayName, "isEnabled": !sp.disabledRoles[strings.ToLower(r.ID)], "origin": "Application", "value": r.Value,
		})
	}
	return map[string]any{
		"id": sp.id, "appId": sp.appID, "displayName": sp.displayName, "appRoles": roles,
		"appRoleAssignmentRequired": false, "servicePrincipalType": "Application", "accountEnabled": !sp.disabled,
	}
}

func (a *appRoleAssignment) props() map[string]any {
	return map[string]any{
		"id": a.id, "appRoleId": a.appRoleID, "createdDateTime": a.created.Format(time.RFC3339Nano),
		"deletedDateTime": nil, "principalDisplayName": a.principalDisplayName, "principalId": a.principalID,
		"principalType": a.principalType, "resourceDisplayName": a.resourceDisplayName, "resourceId": a.resourceID,
	}
}

func (s *Server) spOr404(id string) (*servicePrincipal, *response) {
	sp, ok := s.t.sps[strings.ToLower(id)]
	if !ok {
		return nil, errResponse(notFound(id))
	}
	return sp, nil
}

func (s *Server) listServicePrincipals(req *request, _ params) *response {
	q, e := parseQuery(req, servicePrincipalType)
	if e != nil {
		return errResponse(e)
	}
	items := matchingItems(q, s.t.spOrder, func(k string) map[string]any { return s.t.sps[k].props() })
	return listResponse(req, "servicePrincipals", q, items)
}

func (s *Server) getServicePrincipal(req *request, p params) *response {
	q, e := parseQuery(req, servicePrincipalType)
	if e != nil {
		return errResponse(e)
	}
	sp, r := s.spOr404(p["id"])
	if r != nil {
		return r
	}
	return entityResponse("servicePrincipals", q.sel, project(sp.props(), q.sel, nil))
}

func (s *Server) listAssignments(req *request, keep func(*appRoleAssignment) bool, set string) *response {
	q, e := parseQuery(req, appRoleAssignmentType)
	if e != nil {
		return errResponse(e)
	}
	kept := slices.DeleteFunc(slices.Clone(s.t.appRoleAssignments), func(a *appRoleAssignment) bool { return !keep(a) })
	return listResponse(req, set, q, matchingItems(q, kept, (*appRoleAssignment).props))
}

func (s *Server) listAppRoleAssignedTo(req *request, p params) *response {
	sp, r := s.spOr404(p["id"])
	if r != nil {
		return r
	}
	return s.listAssignments(req, func(a *appRoleAssignment) bool { return strings.EqualFold(a.resourceID, sp.id) },
		"servicePrincipals('"+sp.id+"')/appRoleAssignedTo")
}

func (s *Server) listUserAppRoleAssignments(req *request, p params) *response {
	u, r := s.readableUserOr404(p["id"])
	if r != nil {
		return r
	}
	return s.listAssignments(req, func(a *appRoleAssignment) bool { return strings.EqualFold(a.principalID, u.id()) },
		"users('"+u.id()+"')/appRoleAssignments")
}

func (s *Server) postAppRoleAssignedTo(req *request, p params) *response {
	sp, r := s.spOr404(p["id"])
	if r != nil {
		return r
	}
	return s.assignAppRole(req, "resourceId", sp.id, "servicePrincipals('"+sp.id+"')/appRoleAssignedTo")
}

func (s *Server) postUserAppRoleAssignment(req *request, p params) *response {
	u, r := s.visibleUserOr404(p["id"])
	if r != nil {
		return r
	}
	return s.assignAppRole(req, "principalId", u.id(), "users('"+u.id()+"')/appRoleAssignments")
}

// assignAppRole creates an app role assignment; pathProp names the body
// property that must equal the id in the URL (resourceId or principalId).
func (s *Server) assignAppRole(req *request, pathProp, pathID, set string) *response {
	body, e := decodeObject(req.body)
	if e != nil {
		return errResponse(e)
	}
	vals := map[string]string{}
	for _, n := range []string{"principalId", "resourceId", "appRoleId"} {
		v, ok := body[n].(string)
		if !ok || v == "" {
			return errResponse(badRequest("Required property '%s' is missing or empty.", n))
		}
		if !reGUID().MatchString(v) {
			return errResponse(invalidProperty(n, "AppRoleAssignment", "'"+v+"' is not a GUID"))
		}
		vals[n] = v
	}
	if !strings.EqualFold(vals[pathProp], pathID) {
		return errResponse(invalidProperty(pathProp, "AppRoleAssignment", "must equal the id in the request URL ("+pathID+")"))
	}
	sp, ok := s.t.sps[strings.ToLower(vals["resourceId"])]
	if !ok {
		return errResponse(notFound(vals["resourceId"]))
	}
	kind, ok := s.t.directoryObject(vals["principalId"], s.now())
	if !ok {
		return errResponse(notFound(vals["principalId"]))
	}
	roleID := strings.ToLower(vals["appRoleId"])
	if roleID != DefaultAccessAppRoleID && !sp.hasRole(roleID) {
		return errResponse(badRequest("Permission being assigned was not found on application '%s'.", sp.appID))
	}
	pid := s.canonicalID(vals["principalId"])
	for _, a := range s.t.appRoleAssignments {
		if strings.EqualFold(a.principalID, pid) && strings.EqualFold(a.resourceID, sp.id) && strings.EqualFold(a.appRoleID, roleID) {
			return errResponse(badRequest(MsgAppRoleExists))
		}
	}
	a := &appRoleAssignment{id: s.opaqueID(), appRoleID: roleID, principalID: pid, resourceID: sp.id,
		resourceDisplayName: sp.displayName, created: s.now().UTC()}
	switch kind {
	case "user":
		a.principalType = "User"
		a.principalDisplayName = s.t.lookupUser(pid).str("displayName")
	case "group":
		a.principalType = "Group"
		a.principalDisplayName = s.t.groups[strings.ToLower(pid)].displayName
	default:
		a.principalType = "ServicePrincipal"
		a.principalDisplayName = s.t.sps[strings.ToLower(pid)].displayName
	}
	s.t.appRoleAssignments = append(s.t.appRoleAssignments, a)
	out := a.props()
	out["@odata.context"] = metadataBase + set + "/$entity"
	return jsonResponse(http.StatusCreated, out)
}

func (s *Server) deleteAppRoleAssignedTo(_ *request, p params) *response {
	sp, r := s.spOr404(p["id"])
	if r != nil {
		return r
	}
	for i, a := range s.t.appRoleAssignments {
		if a.id == p["assignmentId"] && strings.EqualFold(a.resourceID, sp.id) {
			s.t.appRoleAssignments = append(s.t.appRoleAssignments[:i:i], s.t.appRoleAssignments[i+1:]...)
			return noContent()
		}
	}
	return errResponse(notFound(p["assignmentId"]))
}

// SetServicePrincipalEnabled sets a service principal's accountEnabled, as
// an administrator does with "Enabled for users to sign-in?"; it reports
// whether the service principal exists. Only what GET returns changes:
// how Graph answers an assignment to a disabled service principal is not
// documented, so graphsim does not model it.
func (s *Server) SetServicePrincipalEnabled(id string, enabled bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.t.sps[strings.ToLower(id)]
	if ok {
		sp.disabled = !enabled
	}
	return ok
}

// SetAppRoleEnabled sets an app role's isEnabled on a service principal
// (an app role must be disabled before it can be removed from an app
// registration); it reports whether the role exists. As with
// SetServicePrincipalEnabled only what GET returns changes.
func (s *Server) SetAppRoleEnabled(spID, roleID string, enabled bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.t.sps[strings.ToLower(spID)]
	if !ok || !sp.hasRole(roleID) {
		return false
	}
	if sp.disabledRoles == nil {
		sp.disabledRoles = map[string]bool{}
	}
	sp.disabledRoles[strings.ToLower(roleID)] = !enabled
	return true
}
