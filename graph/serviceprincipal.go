package graph

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
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
// *workflow.NotFoundError.
func (d *Directory) ServicePrincipal(ctx context.Context, id string) (ServicePrincipalState, error) {
	sp, err := d.client.ServicePrincipals().ByServicePrincipalId(id).Get(ctx, &serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: []string{"id", "accountEnabled", "appRoles"}}})
	if err != nil {
		return ServicePrincipalState{}, classify("read service principal "+id, err)
	}
	out := ServicePrincipalState{AccountEnabled: sp.GetAccountEnabled() == nil || *sp.GetAccountEnabled(), AppRoles: map[string]bool{}}
	for _, r := range sp.GetAppRoles() {
		if r.GetId() != nil {
			out.AppRoles[strings.ToLower(r.GetId().String())] = r.GetIsEnabled() == nil || *r.GetIsEnabled()
		}
	}
	return out, nil
}
