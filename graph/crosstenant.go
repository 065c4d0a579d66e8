package graph

import (
	"context"

	"github.com/microsoftgraph/msgraph-sdk-go/policies"
)

// DefaultInboundB2B reads the cross-tenant access default's inbound B2B
// collaboration for users and groups (GET
// /policies/crossTenantAccessPolicy/default, Policy.Read.All): its
// accessType ("allowed" or "blocked") and whether it targets AllUsers.
// It applies to every external Entra organization without a
// partner-specific setting.
func (d *Directory) DefaultInboundB2B(ctx context.Context) (access string, allUsers bool, err error) {
	p, err := d.client.Policies().CrossTenantAccessPolicy().DefaultEscaped().Get(ctx, &policies.CrossTenantAccessPolicyDefaultRequestBuilderGetRequestConfiguration{
		QueryParameters: &policies.CrossTenantAccessPolicyDefaultRequestBuilderGetQueryParameters{Select: []string{"b2bCollaborationInbound"}}})
	if err != nil {
		return "", false, classify("read the cross-tenant access default", err)
	}
	in := p.GetB2bCollaborationInbound()
	if in == nil || in.GetUsersAndGroups() == nil || in.GetUsersAndGroups().GetAccessType() == nil {
		return "allowed", true, nil // the service default
	}
	ug := in.GetUsersAndGroups()
	for _, t := range ug.GetTargets() {
		if t.GetTarget() != nil && *t.GetTarget() == "AllUsers" {
			allUsers = true
		}
	}
	return ug.GetAccessType().String(), allUsers, nil
}
