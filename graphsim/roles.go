package graphsim

import (
	"encoding/base64"
	"net/http"
	"strings"
)

var roleDefinitionType = entityType{name: "microsoft.graph.unifiedRoleDefinition", props: []string{
	"id", "displayName", "description", "isBuiltIn", "isEnabled", "templateId", "version", "isPrivileged", "resourceScopes", "rolePermissions",
}}

var roleAssignmentType = entityType{name: "microsoft.graph.unifiedRoleAssignment", props: []string{
	"id", "roleDefinitionId", "principalId", "directoryScopeId", "appScopeId",
}}

func (r *roleDefinition) props() map[string]any {
	return map[string]any{
		"id": r.ID, "displayName": r.DisplayName, "description": r.Description, "isBuiltIn": true,
		"isEnabled": true, "templateId": r.ID, "version": "1", "isPrivileged": r.IsPrivileged,
		"resourceScopes": []any{"/"}, "rolePermissions": []any{},
	}
}

func (a *roleAssignment) props() map[string]any {
	return map[string]any{
		"id": a.id, "roleDefinitionId": a.roleDefinitionID, "principalId": a.principalID,
		"directoryScopeId": nullable(a.directoryScopeID), "appScopeId": nullable(a.appScopeID),
	}
}

// opaqueID makes an id shaped like Graph's assignment ids (base64url).
func (s *Server) opaqueID() string {
	raw := strings.ReplaceAll(s.newID()+s.newID(), "-", "")
	b := make([]byte, 0, 32)
	for i := 0; i+1 < len(raw) && len(b) < 32; i += 2 {
		var v byte
		for _, c := range raw[i : i+2] {
			v <<= 4
			if c <= '9' {
				v |= byte(c - '0')
			} else {
				v |= byte(c-'a') + 10
			}
		}
		b = append(b, v)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) listRoleDefinitions(req *request, _ params) *response {
	q, e := parseQuery(req, roleDefinitionType)
	if e != nil {
		return errResponse(e)
	}
	return listResponse(req, "roleManagement/directory/roleDefinitions", q, matchingItems(q, s.t.roleDefs, (*roleDefinition).props))
}

func (s *Server) getRoleDefinition(req *request, p params) *response {
	q, e := parseQuery(req, roleDefinitionType)
	if e != nil {
		return errResponse(e)
	}
	r := s.t.roleDefinition(p["id"])
	if r == nil {
		return errResponse(notFound(p["id"]))
	}
	return entityResponse("roleManagement/directory/roleDefinitions", q.sel, project(r.props(), q.sel, nil))
}

func (s *Server) listRoleAssignments(req *request, _ params) *response {
	q, e := parseQuery(req, roleAssignmentType)
	if e != nil {
		return errResponse(e)
	}
	return listResponse(req, "roleManagement/directory/roleAssignments", q, matchingItems(q, s.t.roleAssignments, (*roleAssignment).props))
}

func (s *Server) findRoleAssignment(id string) (int, *roleAssignment) {
	for i, a := range s.t.roleAssignments {
		if a.id == id {
			return i, a
		}
	}
	return -1, nil
}

func (s *Server) getRoleAssignment(req *request, p params) *response {
	q, e := parseQuery(req, roleAssignmentType)
	if e != nil {
		return errResponse(e)
	}
	_, a := s.findRoleAssignment(p["id"])
	if a == nil {
		return errResponse(notFound(p["id"]))
	}
	return entityResponse("roleManagement/directory/roleAssignments", q.sel, project(a.props(), q.sel, nil))
}

func (s *Server) deleteRoleAssignment(_ *request, p params) *response {
	i, a := s.findRoleAssignment(p["id"])
	if a == nil {
		return errResponse(notFound(p["id"]))
	}
	s.t.roleAssignments = append(s.t.roleAssignments[:i:i], s.t.roleAssignments[i+1:]...)
	return noContent()
}

// postRoleAssignment is POST /roleManagement/directory/roleAssignments.
func (s *Server) postRoleAssignment(req *request, _ params) *response {
	body, e := decodeObject(req.body)
	if e != nil {
		return errResponse(e)
	}
	get := func(name string) (string, *graphError) {
		v, ok := body[name]
		if !ok || v == nil {
			return "", nil
		}
		sv, ok := v.(string)
		if !ok {
			return "", invalidProperty(name, "UnifiedRoleAssignment", "must be a string")
		}
		return sv, nil
	}
	vals := map[string]string{}
	for _, n := range []string{"roleDefinitionId", "principalId", "directoryScopeId", "appScopeId"} {
		v, e := get(n)
		if e != nil {
			return errResponse(e)
		}
		vals[n] = v
	}
	for _, n := range []string{"roleDefinitionId", "principalId"} {
		if vals[n] == "" {
			return errResponse(badRequest("Required property '%s' is missing or empty.", n))
		}
	}
	if vals["directoryScopeId"] == "" && vals["appScopeId"] == "" {
		return errResponse(badRequest("Either 'directoryScopeId' or 'appScopeId' is required."))
	}
	if vals["directoryScopeId"] != "" && !strings.HasPrefix(vals["directoryScopeId"], "/") {
		return errResponse(invalidProperty("directoryScopeId", "UnifiedRoleAssignment", "must be '/' or '/<object id>'"))
	}
	rd := s.t.roleDefinition(vals["roleDefinitionId"])
	if rd == nil {
		return errResponse(invalidProperty("roleDefinitionId", "UnifiedRoleAssignment", "no role definition has id '"+vals["roleDefinitionId"]+"'"))
	}
	if _, ok := s.t.directoryObject(vals["principalId"], s.now()); !ok {
		return errResponse(notFound(vals["principalId"]))
	}
	for _, a := range s.t.roleAssignments {
		if strings.EqualFold(a.principalID, vals["principalId"]) && strings.EqualFold(a.roleDefinitionID, rd.ID) &&
			a.directoryScopeID == vals["directoryScopeId"] && a.appScopeID == vals["appScopeId"] {
			return errResponse(badRequest(MsgConflictingObject))
		}
	}
	a := &roleAssignment{id: s.opaqueID() + "-1", roleDefinitionID: rd.ID, principalID: s.canonicalID(vals["principalId"]),
		directoryScopeID: vals["directoryScopeId"], appScopeID: vals["appScopeId"]}
	s.t.roleAssignments = append(s.t.roleAssignments, a)
	out := a.props()
	out["@odata.context"] = metadataBase + "roleManagement/directory/roleAssignments/$entity"
	return jsonResponse(http.StatusCreated, out)
}
