package graph

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/b2b-onboarding/onboard/workflow"
)

// opName names a change in errors and logs, e.g. "add to group 0b1…".
func opName(c workflow.Change) string {
	switch c.Kind {
	case workflow.ChangeProperties:
		return "update properties"
	case workflow.ChangeManager:
		return "set manager " + c.ID
	case workflow.ChangeGroup:
		return "add to group " + c.ID
	case workflow.ChangeRole:
		return "assign role " + c.ID
	case workflow.ChangeApp:
		return "assign app " + c.ID + "/" + appRoleOrDefault(c.AppRoleID)
	case workflow.ChangeSponsor:
		return "add sponsor " + c.ID
	default:
		return "change " + string(c.Kind)
	}
}

func appRoleOrDefault(id string) string {
	if id == "" {
		return workflow.DefaultAppRoleID
	}
	return id
}

// requestFor builds the $batch item of one change, with the JSON body
// Graph documents for it (reference §2, §4–§6, §16). It returns (nil, nil)
// for a change with nothing to send (empty properties) and a PermanentError
// for a change that cannot be sent. The caller sets the item's id and headers.
func (d *Directory) requestFor(guestID string, c workflow.Change) (*batchItem, error) {
	bad := func(rule string) error { return &workflow.PermanentError{Op: opName(c), Reason: rule} }
	if c.Kind != workflow.ChangeProperties && c.ID == "" {
		return nil, bad(fmt.Sprintf("change %q: ID is required", c.Kind))
	}
	switch c.Kind {
	case workflow.ChangeProperties:
		if c.Properties.IsZero() {
			return nil, nil
		}
		return &batchItem{Method: "PATCH", URL: "/users/" + seg(guestID), Body: userPatch(c.Properties)}, nil
	case workflow.ChangeManager:
		return &batchItem{Method: "PUT", URL: "/users/" + seg(guestID) + "/manager/$ref",
			Body: odataRef{ID: d.base + "/users/" + seg(c.ID)}}, nil
	case workflow.ChangeGroup:
		return &batchItem{Method: "POST", URL: "/groups/" + seg(c.ID) + "/members/$ref",
			Body: odataRef{ID: d.base + "/directoryObjects/" + seg(guestID)}}, nil
	case workflow.ChangeRole:
		return &batchItem{Method: "POST", URL: "/roleManagement/directory/roleAssignments",
			Body: roleAssignmentJSON{RoleDefinitionID: c.ID, PrincipalID: guestID, DirectoryScopeID: "/"}}, nil
	case workflow.ChangeApp:
		principal, err := canonicalGUID(guestID)
		if err != nil {
			return nil, bad(fmt.Sprintf("guest id %q must be a GUID for an app role assignment", guestID))
		}
		resource, err := canonicalGUID(c.ID)
		if err != nil {
			return nil, bad(fmt.Sprintf("service principal id %q must be a GUID", c.ID))
		}
		role, err := canonicalGUID(appRoleOrDefault(c.AppRoleID))
		if err != nil {
			return nil, bad(fmt.Sprintf("app role id %q must be a GUID", c.AppRoleID))
		}
		return &batchItem{Method: "POST", URL: "/servicePrincipals/" + seg(c.ID) + "/appRoleAssignedTo",
			Body: appRoleAssignmentJSON{PrincipalID: principal, ResourceID: resource, AppRoleID: role}}, nil
	case workflow.ChangeSponsor:
		return d.sponsorRequest(guestID, c)
	default:
		return nil, bad(fmt.Sprintf("unknown change kind %q", c.Kind))
	}
}

// sponsorRequest is POST /users/{id}/sponsors/$ref naming users/{id} or
// groups/{id}, as user-post-sponsors documents (msgraph-sdk-go has no
// builder for it, graph-b2b.md §16).
func (d *Directory) sponsorRequest(guestID string, c workflow.Change) (*batchItem, error) {
	var collection string
	switch c.SponsorType {
	case workflow.SponsorUser:
		collection = "users"
	case workflow.SponsorGroup:
		collection = "groups"
	default:
		return nil, &workflow.PermanentError{Op: opName(c), Reason: fmt.Sprintf("sponsor %s: kind %q unknown (user or group)", c.ID, c.SponsorType)}
	}
	return &batchItem{Method: "POST", URL: "/users/" + seg(guestID) + "/sponsors/$ref",
		Body: odataRef{ID: d.base + "/" + collection + "/" + seg(c.ID)}}, nil
}

// canonicalGUID is s, a GUID in any form uuid.Parse reads, in its canonical
// lower-case form (the form the SDK's uuid fields were sent in); s itself
// when it is in that form already.
func canonicalGUID(s string) (string, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return "", err
	}
	if len(s) == 36 && strings.ToLower(s) == s { // the only 36-character form uuid.Parse reads is xxxxxxxx-xxxx-…
		return s, nil
	}
	return u.String(), nil
}

// roleAssignmentJSON is the POST /roleManagement/directory/roleAssignments
// body (reference §5).
type roleAssignmentJSON struct {
	RoleDefinitionID string `json:"roleDefinitionId"`
	PrincipalID      string `json:"principalId"`
	DirectoryScopeID string `json:"directoryScopeId"`
}

// appRoleAssignmentJSON is the POST /servicePrincipals/{id}/appRoleAssignedTo
// body (reference §6); the ids are GUIDs in their canonical lower-case form.
type appRoleAssignmentJSON struct {
	PrincipalID string `json:"principalId"`
	ResourceID  string `json:"resourceId"`
	AppRoleID   string `json:"appRoleId"`
}

// userPatchJSON is the PATCH /users/{id} body: only the set fields are sent.
// Its names are Graph's; most coincide with workflow.UserProperties' JSON
// tags, but those are our event and record format and may change on their
// own, so the wire type is kept apart.
type userPatchJSON struct {
	DisplayName             string   `json:"displayName,omitempty"`
	GivenName               string   `json:"givenName,omitempty"`
	Surname                 string   `json:"surname,omitempty"`
	JobTitle                string   `json:"jobTitle,omitempty"`
	Department              string   `json:"department,omitempty"`
	CompanyName             string   `json:"companyName,omitempty"`
	EmployeeID              string   `json:"employeeId,omitempty"`
	MobilePhone             string   `json:"mobilePhone,omitempty"`
	BusinessPhones          []string `json:"businessPhones,omitempty"`
	StreetAddress           string   `json:"streetAddress,omitempty"`
	City                    string   `json:"city,omitempty"`
	State                   string   `json:"state,omitempty"`
	PostalCode              string   `json:"postalCode,omitempty"`
	Country                 string   `json:"country,omitempty"`
	AgeGroup                string   `json:"ageGroup,omitempty"`
	ConsentProvidedForMinor string   `json:"consentProvidedForMinor,omitempty"`
	UsageLocation           string   `json:"usageLocation,omitempty"`
}

// userPatch is the PATCH /users/{id} body for p; BusinessPhone becomes
// businessPhones: [x].
func userPatch(p workflow.UserProperties) *userPatchJSON {
	u := &userPatchJSON{
		DisplayName: p.DisplayName, GivenName: p.GivenName, Surname: p.Surname, JobTitle: p.JobTitle,
		Department: p.Department, CompanyName: p.CompanyName, EmployeeID: p.EmployeeID, MobilePhone: p.MobilePhone,
		StreetAddress: p.StreetAddress, City: p.City, State: p.State, PostalCode: p.PostalCode, Country: p.Country,
		AgeGroup: p.AgeGroup, ConsentProvidedForMinor: p.ConsentProvidedForMinor, UsageLocation: p.UsageLocation,
	}
	if p.BusinessPhone != "" {
		u.BusinessPhones = []string{p.BusinessPhone}
	}
	return u
}

// alreadyDone reports whether a failed answer means the change is already
// in place. Graph has no uniform code for this, so each kind matches its
// documented answer (reference §4–§6) on status and message:
//   - group member:  400 Request_BadRequest "One or more added object references already exist…"
//   - role:          400 or 409 "A conflicting object with one or more of the specified property values is present…"
//   - app role:      400 "Permission being assigned already exists on the object."
//   - sponsor:       undocumented (graph-b2b.md §16); by analogy with members/$ref, a 400
//     "One or more added object references already exist…", which graphsim answers
func alreadyDone(kind workflow.ChangeKind, a *APIError) bool {
	msg := strings.ToLower(a.Message)
	switch kind {
	case workflow.ChangeGroup, workflow.ChangeSponsor:
		return a.Status == http.StatusBadRequest && strings.Contains(msg, "already exist")
	case workflow.ChangeRole:
		return (a.Status == http.StatusBadRequest || a.Status == http.StatusConflict) && strings.Contains(msg, "conflicting object")
	case workflow.ChangeApp:
		return a.Status == http.StatusBadRequest && strings.Contains(msg, "permission being assigned already exists")
	default:
		return false
	}
}
