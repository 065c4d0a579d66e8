package graphsim

import (
	"slices"
	"strings"
)

var groupType = entityType{name: "microsoft.graph.group", props: []string{
	"id", "displayName", "description", "mail", "mailNickname", "mailEnabled", "securityEnabled", "groupTypes", "visibility", "createdDateTime",
	"membershipRule", "membershipRuleProcessingState", "onPremisesSyncEnabled",
}}

// maxMembersBind is Graph's limit of members@odata.bind entries per PATCH.
const maxMembersBind = 20

func (g *group) props() map[string]any {
	types := make([]any, 0, len(g.groupTypes))
	for _, t := range g.groupTypes {
		types = append(types, t)
	}
	var vis any
	if len(g.groupTypes) > 0 {
		vis = "Private"
	}
	out := map[string]any{
		"id": g.id, "displayName": g.displayName, "description": nullable(g.description),
		"mail": nullable(g.mail), "mailNickname": g.mailNickname, "mailEnabled": g.mailEnabled,
		"securityEnabled": g.securityEnabled, "groupTypes": types, "visibility": vis,
		"createdDateTime": "2024-01-15T09:00:00Z",
		"membershipRule":  nullable(g.membershipRule), "membershipRuleProcessingState": nil, "onPremisesSyncEnabled": nil,
	}
	if g.dynamic() {
		out["membershipRuleProcessingState"] = "On"
	}
	if g.onPremSync {
		out["onPremisesSyncEnabled"] = true
	}
	return out
}

func (g *group) dynamic() bool { return slices.Contains(g.groupTypes, "DynamicMembership") }

// refuseMemberWrite is Graph's answer to a member write on a group whose
// membership is not managed through Graph (reference graph-b2b.md §18):
// on-premises synced and mail-enabled non-Microsoft-365 groups answer with
// the reported 400 texts; for dynamic groups the answer is undocumented,
// so graphsim refuses with a 400 as well (the harsher choice; docs/graphsim.md).
func (g *group) refuseMemberWrite() *graphError {
	switch {
	case g.dynamic():
		return badRequest("Insufficient privileges to complete the operation. Members of a group with dynamic membership are managed by its membership rule.")
	case g.onPremSync:
		return badRequest("Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
	case g.mailEnabled && !slices.Contains(g.groupTypes, "Unified"):
		return badRequest("Cannot Update a mail-enabled security groups and or distribution list.")
	}
	return nil
}

func (s *Server) groupOr404(id string) (*group, *response) {
	g, ok := s.t.groups[strings.ToLower(id)]
	if !ok {
		return nil, errResponse(notFound(id))
	}
	return g, nil
}

func (s *Server) listGroups(req *request, _ params) *response {
	q, e := parseQuery(req, groupType)
	if e != nil {
		return errResponse(e)
	}
	items := matchingItems(q, s.t.groupOrd, func(k string) map[string]any { return s.t.groups[k].props() })
	return listResponse(req, "groups", q, items)
}

func (s *Server) getGroup(req *request, p params) *response {
	q, e := parseQuery(req, groupType)
	if e != nil {
		return errResponse(e)
	}
	g, r := s.groupOr404(p["id"])
	if r != nil {
		return r
	}
	return entityResponse("groups", q.sel, project(g.props(), q.sel, nil))
}

// renderObject renders a directory object (user, group, service principal)
// with its @odata.type, as member listings do.
func (s *Server) renderObject(id string) map[string]any {
	if u := s.t.lookupUser(id); u != nil {
		out := renderUser(u, nil)
		out["@odata.type"] = "#microsoft.graph.user"
		return out
	}
	if g, ok := s.t.groups[strings.ToLower(id)]; ok {
		out := g.props()
		out["@odata.type"] = "#microsoft.graph.group"
		return out
	}
	if sp, ok := s.t.sps[strings.ToLower(id)]; ok {
		out := sp.props()
		out["@odata.type"] = "#microsoft.graph.servicePrincipal"
		return out
	}
	return nil
}

func (s *Server) listMembers(req *request, p params) *response {
	return s.listObjects(req, func() ([]string, *response) {
		g, r := s.groupOr404(p["id"])
		if r != nil {
			return nil, r
		}
		return g.members, nil
	})
}

// directoryObjectType is what a listing of directory objects may select
// and filter on: a user's properties plus a group's and a service
// principal's that users lack.
var directoryObjectType = entityType{name: "microsoft.graph.directoryObject",
	props: append(slices.Clone(userType.props), "mailEnabled", "securityEnabled", "appId")}

// listObjects answers a listing of directory objects (a group's members, a
// user's sponsors): the ids objects returns, each with its @odata.type,
// filtered and projected as the query asks.
func (s *Server) listObjects(req *request, objects func() ([]string, *response)) *response {
	q, e := parseQuery(req, directoryObjectType)
	if e != nil {
		return errResponse(e)
	}
	ids, r := objects()
	if r != nil {
		return r
	}
	var items []map[string]any
	for _, m := range ids {
		obj := s.renderObject(m)
		if obj == nil || !q.match(obj) {
			continue
		}
		if q.sel != nil {
			typ := obj["@odata.type"]
			obj = project(obj, q.sel, nil)
			obj["@odata.type"] = typ
		}
		items = append(items, obj)
	}
	return listResponse(req, "directoryObjects", q, items)
}

// addMember is POST /groups/{id}/members/$ref.
func (s *Server) addMember(req *request, p params) *response {
	g, r := s.groupOr404(p["id"])
	if r != nil {
		return r
	}
	mid, e := refID(req.body)
	if e != nil {
		return errResponse(e)
	}
	if _, ok := s.t.directoryObject(mid, s.now()); !ok {
		return errResponse(notFound(mid))
	}
	if e := g.refuseMemberWrite(); e != nil {
		return errResponse(e)
	}
	if strings.EqualFold(mid, g.id) {
		return errResponse(badRequest("A group cannot be a member of itself."))
	}
	if g.hasMember(mid) {
		return errResponse(badRequest(MsgMemberExists))
	}
	g.members = append(g.members, s.canonicalID(mid))
	return noContent()
}

// canonicalID returns the stored spelling of an object id.
func (s *Server) canonicalID(id string) string {
	if u := s.t.lookupUser(id); u != nil {
		return u.id()
	}
	if g, ok := s.t.groups[strings.ToLower(id)]; ok {
		return g.id
	}
	if sp, ok := s.t.sps[strings.ToLower(id)]; ok {
		return sp.id
	}
	return id
}

func (s *Server) removeMember(_ *request, p params) *response {
	g, r := s.groupOr404(p["id"])
	if r != nil {
		return r
	}
	if e := g.refuseMemberWrite(); e != nil {
		return errResponse(e)
	}
	if !g.hasMember(p["memberId"]) {
		return errResponse(notFound(p["memberId"]))
	}
	g.members = removeFold(g.members, p["memberId"])
	return noContent()
}

// patchGroup is PATCH /groups/{id}: displayName, description and
// members@odata.bind (at most 20, all or nothing).
func (s *Server) patchGroup(req *request, p params) *response {
	g, r := s.groupOr404(p["id"])
	if r != nil {
		return r
	}
	body, e := decodeObject(req.body)
	if e != nil {
		return errResponse(e)
	}
	var add []string
	strs := map[string]string{}
	for k, v := range body {
		switch {
		case strings.EqualFold(k, "members@odata.bind"):
			list, ok := v.([]any)
			if !ok {
				return errResponse(badRequest("Invalid value for 'members@odata.bind': expected a collection of directory object references."))
			}
			if e := g.refuseMemberWrite(); e != nil {
				return errResponse(e)
			}
			if len(list) > maxMembersBind {
				return errResponse(badRequest("Too many references in 'members@odata.bind': at most %d can be added in one request, got %d.", maxMembersBind, len(list)))
			}
			seen := map[string]bool{}
			for _, it := range list {
				ref, ok := it.(string)
				if !ok {
					return errResponse(badRequest("Invalid value for 'members@odata.bind': expected a collection of directory object references."))
				}
				id, e := idFromRef(ref)
				if e != nil {
					return errResponse(e)
				}
				if _, ok := s.t.directoryObject(id, s.now()); !ok {
					return errResponse(notFound(id))
				}
				if g.hasMember(id) || seen[strings.ToLower(id)] {
					return errResponse(badRequest(MsgMemberExists))
				}
				seen[strings.ToLower(id)] = true
				add = append(add, s.canonicalID(id))
			}
		case k == "displayName" || k == "description":
			sv, ok := v.(string)
			if !ok {
				return errResponse(invalidProperty(k, "Group", "must be a string"))
			}
			if k == "displayName" && (sv == "" || len([]rune(sv)) > 256) {
				return errResponse(invalidProperty(k, "Group", "must be 1 to 256 characters"))
			}
			if k == "description" && len([]rune(sv)) > 1024 {
				return errResponse(invalidProperty(k, "Group", "at most 1024 characters are allowed"))
			}
			strs[k] = sv
		case strings.HasPrefix(k, "@odata."):
		default:
			return errResponse(badRequest("Property '%s' does not exist as a declared property or extension property.", k))
		}
	}
	g.members = append(g.members, add...)
	if v, ok := strs["displayName"]; ok {
		g.displayName = v
	}
	if v, ok := strs["description"]; ok {
		g.description = v
	}
	return noContent()
}

// listMemberRefs is GET /groups/{id}/members/$ref: the members as
// {"@odata.id": …} references.
func (s *Server) listMemberRefs(req *request, p params) *response {
	q, e := parseQuery(req, entityType{name: "microsoft.graph.directoryObject", props: []string{"id"}})
	if e != nil {
		return errResponse(e)
	}
	g, r := s.groupOr404(p["id"])
	if r != nil {
		return r
	}
	var items []map[string]any
	for _, m := range g.members {
		items = append(items, map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + m})
	}
	return listResponse(req, "directoryObjects", q, items)
}

// removeMemberByQuery is DELETE /groups/{id}/members/$ref?$id=<reference>.
func (s *Server) removeMemberByQuery(req *request, p params) *response {
	ref := req.query.Get("$id")
	if ref == "" {
		ref = req.query.Get("@id")
	}
	if ref == "" {
		return errResponse(badRequest("The $id query parameter naming the member reference is required."))
	}
	id, e := idFromRef(ref)
	if e != nil {
		return errResponse(e)
	}
	return s.removeMember(req, params{"id": p["id"], "memberId": id})
}
