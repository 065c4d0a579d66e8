package graphsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

type params map[string]string

type handlerFunc func(s *Server, req *request, p params) *response

// route is one Graph endpoint, e.g. "POST /groups/{id}/members/$ref".
type route struct {
	method string
	tmpl   string
	segs   []string
	h      handlerFunc
}

var routes []route

func init() {
	add := func(method, tmpl string, h handlerFunc) {
		routes = append(routes, route{method: method, tmpl: tmpl, segs: strings.Split(strings.Trim(tmpl, "/"), "/"), h: h})
	}
	add("POST", "/invitations", (*Server).postInvitation)

	add("GET", "/users", (*Server).listUsers)
	add("GET", "/users/{id}", (*Server).getUser)
	add("PATCH", "/users/{id}", (*Server).patchUser)
	add("DELETE", "/users/{id}", (*Server).deleteUser)
	add("GET", "/users/{id}/manager", (*Server).getManager)
	add("PUT", "/users/{id}/manager/$ref", (*Server).putManager)
	add("DELETE", "/users/{id}/manager/$ref", (*Server).deleteManager)
	add("GET", "/users/{id}/memberOf", (*Server).listMemberOf)
	add("GET", "/users/{id}/appRoleAssignments", (*Server).listUserAppRoleAssignments)
	add("POST", "/users/{id}/appRoleAssignments", (*Server).postUserAppRoleAssignment)
	add("GET", "/users/{id}/sponsors", (*Server).listSponsors)
	add("POST", "/users/{id}/sponsors/$ref", (*Server).addSponsor)
	add("DELETE", "/users/{id}/sponsors/{sponsorId}/$ref", (*Server).removeSponsor)

	add("GET", "/policies/authorizationPolicy", (*Server).getAuthorizationPolicy)
	add("GET", "/organization", (*Server).listOrganization)
	add("GET", "/policies/crossTenantAccessPolicy/default", (*Server).getCrossTenantDefault)

	add("GET", "/groups", (*Server).listGroups)
	add("GET", "/groups/{id}", (*Server).getGroup)
	add("PATCH", "/groups/{id}", (*Server).patchGroup)
	add("GET", "/groups/{id}/members", (*Server).listMembers)
	add("POST", "/groups/{id}/members/$ref", (*Server).addMember)
	add("GET", "/groups/{id}/members/$ref", (*Server).listMemberRefs)
	add("DELETE", "/groups/{id}/members/$ref", (*Server).removeMemberByQuery)
	add("DELETE", "/groups/{id}/members/{memberId}/$ref", (*Server).removeMember)

	add("GET", "/servicePrincipals", (*Server).listServicePrincipals)
	add("GET", "/servicePrincipals/{id}", (*Server).getServicePrincipal)
	add("GET", "/servicePrincipals/{id}/appRoleAssignedTo", (*Server).listAppRoleAssignedTo)
	add("GET", "/servicePrincipals/{id}/appRoleAssignments", (*Server).listSPAppRoleAssignments)
	add("POST", "/servicePrincipals/{id}/appRoleAssignedTo", (*Server).postAppRoleAssignedTo)
	add("DELETE", "/servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}", (*Server).deleteAppRoleAssignedTo)

	add("GET", "/roleManagement/directory/roleDefinitions", (*Server).listRoleDefinitions)
	add("GET", "/roleManagement/directory/roleDefinitions/{id}", (*Server).getRoleDefinition)
	add("GET", "/roleManagement/directory/roleAssignments", (*Server).listRoleAssignments)
	add("POST", "/roleManagement/directory/roleAssignments", (*Server).postRoleAssignment)
	add("GET", "/roleManagement/directory/roleAssignments/{id}", (*Server).getRoleAssignment)
	add("DELETE", "/roleManagement/directory/roleAssignments/{id}", (*Server).deleteRoleAssignment)
}

// match finds the route for a method and path; pathKnown reports whether
// some route has this path (for 405).
func match(method string, segs []string) (r *route, p params, pathKnown bool) {
	for i := range routes {
		rt := &routes[i]
		if len(rt.segs) != len(segs) {
			continue
		}
		pp := params{}
		ok := true
		for j, s := range rt.segs {
			if strings.HasPrefix(s, "{") {
				if segs[j] == "" {
					ok = false
					break
				}
				pp[strings.Trim(s, "{}")] = segs[j]
				continue
			}
			if !strings.EqualFold(s, segs[j]) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		pathKnown = true
		if rt.method == method {
			return rt, pp, true
		}
	}
	return nil, nil, pathKnown
}

// dispatch routes one Graph call (top-level or $batch item): counts it,
// applies per-request faults and the invitation throttle, then runs the
// handler under the tenant lock.
func (s *Server) dispatch(req *request) *response {
	rt, p, known := match(req.method, req.segs)
	if rt == nil {
		s.count(req.method + " (unknown)")
		if known {
			return errResponse(errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
				"Specified HTTP method is not allowed for the request target."))
		}
		seg := ""
		if len(req.segs) > 0 {
			seg = req.segs[len(req.segs)-1]
		}
		return errResponse(errorf(http.StatusBadRequest, CodeBadRequest,
			"Resource not found for the segment '%s'.", seg))
	}
	k := s.Knobs()
	key := rt.method + " " + rt.tmpl
	if k.FailureRate > 0 && s.float() < k.FailureRate {
		s.count(key)
		e := errorf(http.StatusServiceUnavailable, CodeServiceUnavailable, "Service unavailable (graphsim fault injection).")
		e.header = map[string]string{"Retry-After": fmt.Sprint(k.RetryAfter)}
		return errResponse(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[key]++
	if slices.Contains(k.Deny, key) {
		s.counts[key+" (403)"]++
		return errResponse(errorf(http.StatusForbidden, CodeAuthorizationDenied, "Insufficient privileges to complete the operation."))
	}
	if rt.segs[0] == "invitations" {
		if e := s.throttleInviteLocked(k); e != nil {
			s.counts[key+" (throttled)"]++
			return errResponse(e)
		}
	}
	resp := rt.h(s, req, p)
	if resp.status >= 400 {
		s.counts[key+" ("+fmt.Sprint(resp.status)+")"]++
	}
	return resp
}
