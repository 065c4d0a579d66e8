package graphsim

import (
	"net/http"
	"strings"
)

var userType = func() entityType {
	et := entityType{name: "microsoft.graph.user"}
	for _, r := range userProperties {
		et.props = append(et.props, r.name)
	}
	et.props = append(et.props, "identities")
	return et
}()

// renderUser answers a user with the selected (or default) properties.
func renderUser(u *user, sel []string) map[string]any {
	return project(u.props, sel, userDefaultSelect)
}

// visibleUserOr404 finds a user to write to, honouring replication lag:
// a user still lagging answers 404.
func (s *Server) visibleUserOr404(id string) (*user, *response) {
	u := s.t.visibleUser(id, s.now())
	if u == nil {
		return nil, errResponse(notFound(id))
	}
	return u, nil
}

// readableUserOr404 finds a user to read: a lagging user is seen or not
// as Knobs.LagReads says.
func (s *Server) readableUserOr404(id string) (*user, *response) {
	u := s.t.lookupUser(id)
	if u == nil || !s.readSees(u) {
		return nil, errResponse(notFound(id))
	}
	return u, nil
}

// readSees reports whether a read sees u: always once its replication lag
// is over, during the lag as Knobs.LagReads says.
func (s *Server) readSees(u *user) bool {
	if !s.now().Before(u.visibleAt) {
		return true
	}
	switch s.Knobs().LagReads {
	case LagReadsHidden:
		return false
	case LagReadsMixed:
		return s.float() < 0.5
	default:
		return true
	}
}

func (s *Server) listUsers(req *request, _ params) *response {
	q, e := parseQuery(req, userType)
	if e != nil {
		return errResponse(e)
	}
	lag := s.Knobs().LagListings
	now := s.now()
	var items []map[string]any
	for _, k := range s.t.userOrder {
		u := s.t.users[k]
		if lag && now.Before(u.visibleAt) || !s.readSees(u) {
			continue
		}
		if q.match(u.props) {
			items = append(items, renderUser(u, q.sel))
		}
	}
	return listResponse(req, "users", q, items)
}

func (s *Server) getUser(req *request, p params) *response {
	q, e := parseQuery(req, userType)
	if e != nil {
		return errResponse(e)
	}
	u, r := s.readableUserOr404(p["id"])
	if r != nil {
		return r
	}
	return entityResponse("users", q.sel, renderUser(u, q.sel))
}

func (s *Server) patchUser(req *request, p params) *response {
	u, r := s.visibleUserOr404(p["id"])
	if r != nil {
		return r
	}
	body, e := decodeObject(req.body)
	if e != nil {
		return errResponse(e)
	}
	changes, e := validateUserPatch(body)
	if e != nil {
		return errResponse(e)
	}
	if v, ok := changes["userPrincipalName"].(string); ok && !strings.EqualFold(v, u.str("userPrincipalName")) {
		if other := s.t.lookupUser(v); other != nil {
			return errResponse(badRequest("Another object with the same value for property userPrincipalName already exists."))
		}
	}
	for k, v := range changes {
		u.props[k] = v
	}
	return noContent()
}

func (s *Server) deleteUser(_ *request, p params) *response {
	u, r := s.visibleUserOr404(p["id"])
	if r != nil {
		return r
	}
	s.t.deleteUser(u)
	return noContent()
}

func (s *Server) getManager(req *request, p params) *response {
	q, e := parseQuery(req, userType)
	if e != nil {
		return errResponse(e)
	}
	u, r := s.readableUserOr404(p["id"])
	if r != nil {
		return r
	}
	if u.managerID == "" {
		return errResponse(notFound("manager"))
	}
	m := s.t.lookupUser(u.managerID)
	if m == nil {
		return errResponse(notFound("manager"))
	}
	out := renderUser(m, q.sel)
	out["@odata.context"] = metadataBase + "directoryObjects/$entity"
	out["@odata.type"] = "#microsoft.graph.user"
	return jsonResponse(http.StatusOK, out)
}

// refID extracts the object id from an "@odata.id" reference body such as
// {"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/{id}"}.
func refID(body []byte) (string, *graphError) {
	_, id, e := refOf(body)
	return id, e
}

// refOf reads a $ref body: the '@odata.id' reference as sent and the
// object id it names.
func refOf(body []byte) (ref, id string, e *graphError) {
	m, e := decodeObject(body)
	if e != nil {
		return "", "", e
	}
	ref, ok := m["@odata.id"].(string)
	if !ok || ref == "" {
		return "", "", badRequest("Invalid request body: the '@odata.id' reference is missing.")
	}
	id, e = idFromRef(ref)
	return ref, id, e
}

// idFromRef accepts absolute or relative references to users, groups,
// servicePrincipals or directoryObjects.
func idFromRef(ref string) (string, *graphError) {
	v := ref
	if i := strings.Index(v, "/v1.0/"); i >= 0 {
		v = v[i+len("/v1.0/"):]
	} else if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return "", badRequest("Invalid object identifier '%s'.", ref)
	}
	v = strings.Trim(v, "/")
	parts := strings.Split(v, "/")
	if len(parts) != 2 {
		return "", badRequest("Invalid object identifier '%s'.", ref)
	}
	switch strings.ToLower(parts[0]) {
	case "directoryobjects", "users", "groups", "serviceprincipals":
	default:
		return "", badRequest("Invalid object identifier '%s'.", ref)
	}
	if parts[1] == "" {
		return "", badRequest("Invalid object identifier '%s'.", ref)
	}
	return parts[1], nil
}

func (s *Server) putManager(req *request, p params) *response {
	u, r := s.visibleUserOr404(p["id"])
	if r != nil {
		return r
	}
	mid, e := refID(req.body)
	if e != nil {
		return errResponse(e)
	}
	m := s.t.visibleUser(mid, s.now())
	if m == nil {
		return errResponse(notFound(mid))
	}
	if strings.EqualFold(m.id(), u.id()) {
		return errResponse(badRequest("A user cannot be their own manager."))
	}
	u.managerID = m.id()
	return noContent()
}

func (s *Server) deleteManager(_ *request, p params) *response {
	u, r := s.visibleUserOr404(p["id"])
	if r != nil {
		return r
	}
	if u.managerID == "" {
		return errResponse(notFound("manager"))
	}
	u.managerID = ""
	return noContent()
}

func (s *Server) listMemberOf(req *request, p params) *response {
	q, e := parseQuery(req, groupType)
	if e != nil {
		return errResponse(e)
	}
	u, r := s.readableUserOr404(p["id"])
	if r != nil {
		return r
	}
	var items []map[string]any
	for _, k := range s.t.groupOrd {
		g := s.t.groups[k]
		if g.hasMember(u.id()) && q.match(g.props()) {
			it := project(g.props(), q.sel, nil)
			it["@odata.type"] = "#microsoft.graph.group"
			items = append(items, it)
		}
	}
	return listResponse(req, "directoryObjects", q, items)
}
