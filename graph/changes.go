package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

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

// requestFor builds the REST request of one change with the generated
// request builders. It returns (nil, nil) for a change with nothing to send
// (empty properties) and a PermanentError for a change that cannot be sent.
func (d *Directory) requestFor(ctx context.Context, guestID string, c workflow.Change) (*abstractions.RequestInformation, error) {
	op := opName(c)
	bad := func(rule string) error { return &workflow.PermanentError{Op: op, Reason: rule} }
	if c.Kind != workflow.ChangeProperties && c.ID == "" {
		return nil, bad(fmt.Sprintf("change %q: ID is required", c.Kind))
	}
	switch c.Kind {
	case workflow.ChangeProperties:
		if c.Properties.IsZero() {
			return nil, nil
		}
		return d.client.Users().ByUserId(guestID).ToPatchRequestInformation(ctx, userPatch(c.Properties), nil)
	case workflow.ChangeManager:
		ref := models.NewReferenceUpdate()
		id := d.base + "/users/" + url.PathEscape(c.ID)
		ref.SetOdataId(&id)
		return d.client.Users().ByUserId(guestID).Manager().Ref().ToPutRequestInformation(ctx, ref, nil)
	case workflow.ChangeGroup:
		ref := models.NewReferenceCreate()
		id := d.base + "/directoryObjects/" + url.PathEscape(guestID)
		ref.SetOdataId(&id)
		return d.client.Groups().ByGroupId(c.ID).Members().Ref().ToPostRequestInformation(ctx, ref, nil)
	case workflow.ChangeRole:
		ra := models.NewUnifiedRoleAssignment()
		scope := "/"
		ra.SetRoleDefinitionId(&c.ID)
		ra.SetPrincipalId(&guestID)
		ra.SetDirectoryScopeId(&scope)
		return d.client.RoleManagement().Directory().RoleAssignments().ToPostRequestInformation(ctx, ra, nil)
	case workflow.ChangeApp:
		principal, err := uuid.Parse(guestID)
		if err != nil {
			return nil, bad(fmt.Sprintf("guest id %q must be a GUID for an app role assignment", guestID))
		}
		resource, err := uuid.Parse(c.ID)
		if err != nil {
			return nil, bad(fmt.Sprintf("service principal id %q must be a GUID", c.ID))
		}
		role, err := uuid.Parse(appRoleOrDefault(c.AppRoleID))
		if err != nil {
			return nil, bad(fmt.Sprintf("app role id %q must be a GUID", c.AppRoleID))
		}
		ara := models.NewAppRoleAssignment()
		ara.SetPrincipalId(&principal)
		ara.SetResourceId(&resource)
		ara.SetAppRoleId(&role)
		return d.client.ServicePrincipals().ByServicePrincipalId(c.ID).AppRoleAssignedTo().ToPostRequestInformation(ctx, ara, nil)
	case workflow.ChangeSponsor:
		return d.sponsorRequest(ctx, guestID, c)
	default:
		return nil, bad(fmt.Sprintf("unknown change kind %q", c.Kind))
	}
}

// sponsorRequest is POST /users/{id}/sponsors/$ref naming users/{id} or
// groups/{id}, as user-post-sponsors documents. msgraph-sdk-go has no
// builder for it (graph-b2b.md §16), so the request is built the way the
// generated members/$ref builder builds its own.
func (d *Directory) sponsorRequest(ctx context.Context, guestID string, c workflow.Change) (*abstractions.RequestInformation, error) {
	var collection string
	switch c.SponsorType {
	case workflow.SponsorUser:
		collection = "users"
	case workflow.SponsorGroup:
		collection = "groups"
	default:
		return nil, &workflow.PermanentError{Op: opName(c), Reason: fmt.Sprintf("sponsor %s: kind %q unknown (user or group)", c.ID, c.SponsorType)}
	}
	ri := abstractions.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abstractions.POST,
		"{+baseurl}/users/{user%2Did}/sponsors/$ref", map[string]string{"baseurl": d.adapter.GetBaseUrl(), "user%2Did": guestID})
	ri.Headers.TryAdd("Accept", "application/json")
	ref := models.NewReferenceCreate()
	id := d.base + "/" + collection + "/" + url.PathEscape(c.ID)
	ref.SetOdataId(&id)
	if err := ri.SetContentFromParsable(ctx, d.adapter, "application/json", ref); err != nil {
		return nil, err
	}
	return ri, nil
}

// userPatch is the PATCH /users/{id} body with only the set fields;
// BusinessPhone becomes businessPhones: [x].
func userPatch(p workflow.UserProperties) *models.User {
	u := models.NewUser()
	set := func(v string, f func(*string)) {
		if v != "" {
			f(&v)
		}
	}
	set(p.DisplayName, u.SetDisplayName)
	set(p.GivenName, u.SetGivenName)
	set(p.Surname, u.SetSurname)
	set(p.JobTitle, u.SetJobTitle)
	set(p.Department, u.SetDepartment)
	set(p.CompanyName, u.SetCompanyName)
	set(p.EmployeeID, u.SetEmployeeId)
	set(p.MobilePhone, u.SetMobilePhone)
	if p.BusinessPhone != "" {
		u.SetBusinessPhones([]string{p.BusinessPhone})
	}
	set(p.StreetAddress, u.SetStreetAddress)
	set(p.City, u.SetCity)
	set(p.State, u.SetState)
	set(p.PostalCode, u.SetPostalCode)
	set(p.Country, u.SetCountry)
	set(p.AgeGroup, u.SetAgeGroup)
	set(p.ConsentProvidedForMinor, u.SetConsentProvidedForMinor)
	set(p.UsageLocation, u.SetUsageLocation)
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
