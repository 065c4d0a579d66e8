package graph

import (
	"context"
	"strings"

	"github.com/b2b-onboarding/onboard/workflow"
)

// ServicePrincipalState is what `onboard doctor` reads of a resource
// service principal named in POLICY_ALLOWED_APPS.
type ServicePrincipalState struct {
	// AccountEnabled is false when sign-in to the app is blocked.
	AccountEnabled bool
	// AppRoles maps each app role id (lower case) to its isEnabled.
	AppRoles map[string]bool
}

// ServicePrincipal reads a service principal's accountEnabled and app
// roles (GET /servicePrincipals/{id}, Application.Read.All); a 404 is a
// *workflow.NotFoundError. A null accountEnabled or isEnabled reads as
// enabled, Graph's default.
func (d *Directory) ServicePrincipal(ctx context.Context, id string) (ServicePrincipalState, error) {
	if id == "" { // GET /servicePrincipals/ would list them, read as one enabled service principal
		return ServicePrincipalState{}, &workflow.PermanentError{Op: "read service principal", Reason: "service principal id is required"}
	}
	var sp struct {
		AccountEnabled *bool `json:"accountEnabled"`
		AppRoles       []struct {
			ID        string `json:"id"`
			IsEnabled *bool  `json:"isEnabled"`
		} `json:"appRoles"`
	}
	if err := d.get(ctx, "/servicePrincipals/"+seg(id), selectQuery("id", "accountEnabled", "appRoles"), &sp); err != nil {
		return ServicePrincipalState{}, classify("read service principal "+id, err)
	}
	out := ServicePrincipalState{AccountEnabled: sp.AccountEnabled == nil || *sp.AccountEnabled, AppRoles: map[string]bool{}}
	for _, r := range sp.AppRoles {
		if r.ID != "" {
			out.AppRoles[strings.ToLower(r.ID)] = r.IsEnabled == nil || *r.IsEnabled
		}
	}
	return out, nil
}
