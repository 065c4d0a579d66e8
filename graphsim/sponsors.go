package graphsim

import (
	"strings"
)

// Sponsors (graph-b2b.md §16; user-post-sponsors, user-list-sponsors).
// What the documentation leaves open is modelled the harsher way:
//   - the reference must name users/{id} or groups/{id}, as the docs'
//     examples do, and the collection must match the object (a
//     directoryObjects/ or servicePrincipals/ reference is refused 400);
//   - adding a sponsor that is already there answers 400 Request_BadRequest
//     with MsgSponsorExists, as members/$ref does for a member;
//   - a sixth sponsor answers 400 (at most MaxSponsors per user).
//
// Graph takes any user as a sponsor, a guest included; the rule that
// sponsors must be members is the app's own.

// MaxSponsors is the most sponsors a user can have (b2b-sponsors).
const MaxSponsors = 5

// Sponsor answers.
const (
	MsgSponsorExists   = "One or more added object references already exist for the following modified properties: 'sponsors'."
	MsgTooManySponsors = "The number of sponsors exceeds the maximum of 5."
)

// addSponsor is POST /users/{id}/sponsors/$ref.
func (s *Server) addSponsor(req *request, p params) *response {
	u, r := s.visibleUserOr404(p["id"])
	if r != nil {
		return r
	}
	ref, sid, e := refOf(req.body)
	if e != nil {
		return errResponse(e)
	}
	kind, ok := s.t.directoryObject(sid, s.now())
	if !ok {
		return errResponse(notFound(sid))
	}
	if want := map[string]string{"user": "users/", "group": "groups/"}[kind]; want == "" || !strings.Contains(strings.ToLower(ref), want) {
		return errResponse(badRequest("Invalid object identifier '%s'.", ref))
	}
	if containsFold(u.sponsors, sid) {
		return errResponse(badRequest(MsgSponsorExists))
	}
	if len(u.sponsors) >= MaxSponsors {
		return errResponse(badRequest(MsgTooManySponsors))
	}
	u.sponsors = append(u.sponsors, s.canonicalID(sid))
	return noContent()
}

// listSponsors is GET /users/{id}/sponsors: users and groups, each with
// its @odata.type.
func (s *Server) listSponsors(req *request, p params) *response {
	return s.listObjects(req, func() ([]string, *response) {
		u, r := s.readableUserOr404(p["id"])
		if r != nil {
			return nil, r
		}
		return u.sponsors, nil
	})
}

// removeSponsor is DELETE /users/{id}/sponsors/{sponsorId}/$ref.
func (s *Server) removeSponsor(_ *request, p params) *response {
	u, r := s.visibleUserOr404(p["id"])
	if r != nil {
		return r
	}
	if !containsFold(u.sponsors, p["sponsorId"]) {
		return errResponse(notFound(p["sponsorId"]))
	}
	u.sponsors = removeFold(u.sponsors, p["sponsorId"])
	return noContent()
}
