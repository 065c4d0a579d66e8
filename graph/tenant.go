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
