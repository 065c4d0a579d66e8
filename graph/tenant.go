package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/b2b-onboarding/onboard/workflow"
)

var _ workflow.GroupInspector = (*Directory)(nil)

// GroupKind reads a group's groupTypes, onPremisesSyncEnabled and
// mailEnabled (graph-b2b.md §18) and says whether it takes direct members.
// Each group is read once per process: a group's kind is not something an
// administrator changes in passing, and the workflow asks for every
// onboarding that names the group.
func (d *Directory) GroupKind(ctx context.Context, groupID string) (workflow.GroupKind, error) {
	key := strings.ToLower(groupID)
	if k, ok := d.groupKinds.Load(key); ok {
		return k.(workflow.GroupKind), nil
	}
	g, err := d.client.Groups().ByGroupId(groupID).Get(ctx, &groups.GroupItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupItemRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "groupTypes", "membershipRule", "mailEnabled", "securityEnabled", "onPremisesSyncEnabled"}}})
	if err != nil {
		return "", classify("read group "+groupID, err)
	}
	k := kindOf(g)
	d.groupKinds.Store(key, k)
	return k, nil
}

func kindOf(g models.Groupable) workflow.GroupKind {
	types := g.GetGroupTypes()
	switch {
	case slices.Contains(types, "DynamicMembership"):
		return workflow.GroupDynamic
	case g.GetOnPremisesSyncEnabled() != nil && *g.GetOnPremisesSyncEnabled():
		return workflow.GroupOnPremises
	case g.GetMailEnabled() != nil && *g.GetMailEnabled() && !slices.Contains(types, "Unified"):
		return workflow.GroupMailEnabled
	}
	return workflow.GroupAssigned
}

// AllowInvitesFrom reads the tenant authorization policy's
// allowInvitesFrom (GET /policies/authorizationPolicy, Policy.Read.All).
func (d *Directory) AllowInvitesFrom(ctx context.Context) (string, error) {
	p, err := d.client.Policies().AuthorizationPolicy().Get(ctx, &policies.AuthorizationPolicyRequestBuilderGetRequestConfiguration{
		QueryParameters: &policies.AuthorizationPolicyRequestBuilderGetQueryParameters{Select: []string{"id", "allowInvitesFrom"}}})
	if err != nil {
		return "", classify("read authorization policy", err)
	}
	if v := p.GetAllowInvitesFrom(); v != nil {
		return v.String(), nil
	}
	return "", nil
}

// PrivacyStatementURL reads the organization's privacyProfile.statementUrl
// (GET /organization, Organization.Read.All); "" when not set.
func (d *Directory) PrivacyStatementURL(ctx context.Context) (string, error) {
	res, err := d.client.Organization().Get(ctx, &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{Select: []string{"id", "privacyProfile"}}})
	if err != nil {
		return "", classify("read organization", err)
	}
	orgs := res.GetValue()
	if len(orgs) != 1 {
		return "", fmt.Errorf("read organization: %d organizations in the answer, want 1", len(orgs))
	}
	if p := orgs[0].GetPrivacyProfile(); p != nil && p.GetStatementUrl() != nil {
		return *p.GetStatementUrl(), nil
	}
	return "", nil
}

// MicrosoftGraphAppID is Microsoft Graph's appId, the same in every tenant.
const MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"

// GrantedPermissions lists the Microsoft Graph application permissions
// granted to the service principal appSpID (graph-b2b.md §17): Graph's
// service principal maps app role ids to names, the app's
// appRoleAssignments on it are its grants. It needs Application.Read.All;
// without it the answer is an error ("cannot tell"), never "none granted".
func (d *Directory) GrantedPermissions(ctx context.Context, appSpID string) ([]string, error) {
	graphFilter := "appId eq '" + MicrosoftGraphAppID + "'"
	sps, err := d.client.ServicePrincipals().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{
			Filter: &graphFilter, Select: []string{"id", "appRoles"}}})
	if err != nil {
		return nil, classify("read Microsoft Graph's service principal", err)
	}
	if len(sps.GetValue()) != 1 {
		return nil, fmt.Errorf("read Microsoft Graph's service principal: %d found, want 1", len(sps.GetValue()))
	}
	graphSP := sps.GetValue()[0]
	names := map[string]string{}
	for _, r := range graphSP.GetAppRoles() {
		if r.GetId() != nil && r.GetValue() != nil {
			names[strings.ToLower(r.GetId().String())] = *r.GetValue()
		}
	}
	res, err := d.client.ServicePrincipals().ByServicePrincipalId(appSpID).AppRoleAssignments().Get(ctx, nil)
	if err != nil {
		return nil, classify("read the app role assignments of service principal "+appSpID, err)
	}
	var out []string
	for _, a := range res.GetValue() {
		if a.GetResourceId() == nil || !strings.EqualFold(a.GetResourceId().String(), deref(graphSP.GetId())) || a.GetAppRoleId() == nil {
			continue
		}
		if n, ok := names[strings.ToLower(a.GetAppRoleId().String())]; ok {
			out = append(out, n)
		}
	}
	return out, nil
}
