package graphsim_test

import (
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/b2b-onboarding/onboard/graphsim"
)

func TestAuthorizationPolicyAndOrganization(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	pol, err := e.client.Policies().AuthorizationPolicy().Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := pol.GetAllowInvitesFrom(); got == nil || *got != models.EVERYONE_ALLOWINVITESFROM {
		t.Fatalf("allowInvitesFrom = %v, want everyone", got)
	}
	orgs, err := e.client.Organization().Get(ctx(t), nil)
	if err != nil || len(orgs.GetValue()) != 1 {
		t.Fatalf("organization: %v %v", orgs, err)
	}
	if u := orgs.GetValue()[0].GetPrivacyProfile().GetStatementUrl(); u == nil || *u != graphsim.SamplePrivacyStatementURL {
		t.Fatalf("statementUrl = %v", u)
	}

	e.sim.SetAllowInvitesFrom(graphsim.InvitesFromAdminsAndGuestInviters)
	e.sim.SetPrivacyStatementURL("")
	pol, _ = e.client.Policies().AuthorizationPolicy().Get(ctx(t), nil)
	if got := pol.GetAllowInvitesFrom(); got == nil || *got != models.ADMINSANDGUESTINVITERS_ALLOWINVITESFROM {
		t.Fatalf("allowInvitesFrom = %v, want adminsAndGuestInviters", got)
	}
	orgs, _ = e.client.Organization().Get(ctx(t), nil)
	if u := orgs.GetValue()[0].GetPrivacyProfile().GetStatementUrl(); u != nil && *u != "" {
		t.Fatalf("statementUrl = %q, want unset", *u)
	}
	// App-only invitations fail when invitations are restricted to admins.
	_, err = e.client.Invitations().Post(ctx(t), newInvitation("ann@contoso.example", false), nil)
	wantODataError(t, err, 403, graphsim.CodeAuthorizationDenied, "not allowed")
}

func TestGroupsThatRefuseMemberWrites(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	for _, tc := range []struct {
		id, msg string
	}{
		{graphsim.SampleGroupDynamic, "dynamic membership"},
		{graphsim.SampleGroupSynced, "on-premises mastered"},
		{graphsim.SampleGroupSales, "mail-enabled"},
	} {
		err := e.client.Groups().ByGroupId(tc.id).Members().Ref().Post(ctx(t), memberRef(graphsim.SampleUserAlex), nil)
		wantODataError(t, err, 400, graphsim.CodeRequestBadRequest, tc.msg)
		if m := e.sim.MembersOf(tc.id); len(m) != 0 {
			t.Fatalf("%s members = %v after a refused write", tc.id, m)
		}
	}
	g, err := e.client.Groups().ByGroupId(graphsim.SampleGroupDynamic).Get(ctx(t), &groups.GroupItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupItemRequestBuilderGetQueryParameters{Select: []string{"id", "groupTypes", "membershipRule", "onPremisesSyncEnabled", "mailEnabled"}}})
	if err != nil || len(g.GetGroupTypes()) != 1 || g.GetGroupTypes()[0] != "DynamicMembership" || g.GetMembershipRule() == nil {
		t.Fatalf("dynamic group = %v, %v", g, err)
	}
	s, err := e.client.Groups().ByGroupId(graphsim.SampleGroupSynced).Get(ctx(t), nil)
	if err != nil || s.GetOnPremisesSyncEnabled() == nil || !*s.GetOnPremisesSyncEnabled() {
		t.Fatalf("synced group = %v, %v", s, err)
	}
	// An ordinary security group still takes members.
	addMember(t, e, graphsim.SampleGroupPartners, graphsim.SampleUserAlex)
}

func TestServicePrincipalAppRoleAssignmentsArePermissions(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	list, err := e.client.ServicePrincipals().ByServicePrincipalId(graphsim.SampleSPOnboarding).AppRoleAssignments().Get(ctx(t), nil)
	if err != nil || len(list.GetValue()) != len(graphsim.SampleOnboardingPermissions) {
		t.Fatalf("grants: %v, %v", list, err)
	}
	for _, a := range list.GetValue() {
		if a.GetResourceId() == nil || a.GetResourceId().String() != graphsim.SampleSPMicrosoftGraph {
			t.Errorf("grant on resource %v, want Microsoft Graph", a.GetResourceId())
		}
	}
	if !e.sim.RevokeGraphPermission(graphsim.SampleSPOnboarding, "User.Invite.All") {
		t.Fatal("User.Invite.All was not granted")
	}
	if e.sim.RevokeGraphPermission(graphsim.SampleSPOnboarding, "User.Invite.All") {
		t.Fatal("revoked twice")
	}
	list, _ = e.client.ServicePrincipals().ByServicePrincipalId(graphsim.SampleSPOnboarding).AppRoleAssignments().Get(ctx(t), nil)
	if len(list.GetValue()) != len(graphsim.SampleOnboardingPermissions)-1 {
		t.Fatalf("%d grants after revoking one", len(list.GetValue()))
	}
}
