package graphsim_test

import (
	"net/http"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/rolemanagement"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
)

func roleAssignment(principal, role string) models.UnifiedRoleAssignmentable {
	a := models.NewUnifiedRoleAssignment()
	a.SetPrincipalId(ptr(principal))
	a.SetRoleDefinitionId(ptr(role))
	a.SetDirectoryScopeId(ptr("/"))
	return a
}

func TestRoleDefinitionsAndAssignments(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	defs, err := e.client.RoleManagement().Directory().RoleDefinitions().Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]models.UnifiedRoleDefinitionable{}
	for _, d := range defs.GetValue() {
		byID[*d.GetId()] = d
	}
	for _, id := range []string{graphsim.RoleGlobalAdministrator, graphsim.RolePrivilegedRoleAdministrator, graphsim.RoleGuestInviter, graphsim.RoleDirectoryReaders, graphsim.RoleReportsReader} {
		d, ok := byID[id]
		if !ok || *d.GetTemplateId() != id {
			t.Errorf("role definition %s missing", id)
		}
	}
	if p := byID[graphsim.RoleGlobalAdministrator].GetAdditionalData()["isPrivileged"]; p == nil || !*(p.(*bool)) {
		t.Errorf("Global Administrator isPrivileged = %v", p)
	}

	guest := *invite(t, e, "roles@contoso.com", false).GetInvitedUser().GetId()
	rd := e.client.RoleManagement().Directory().RoleAssignments()
	got, err := rd.Post(ctx(t), roleAssignment(guest, graphsim.RoleGuestInviter), nil)
	if err != nil {
		t.Fatalf("assign: %v", err)
	}
	if *got.GetPrincipalId() != guest || *got.GetRoleDefinitionId() != graphsim.RoleGuestInviter || *got.GetDirectoryScopeId() != "/" || *got.GetId() == "" {
		t.Errorf("assignment = %v", got)
	}
	_, err = rd.Post(ctx(t), roleAssignment(guest, graphsim.RoleGuestInviter), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, graphsim.MsgConflictingObject)

	_, err = rd.Post(ctx(t), roleAssignment("5a1e0000-0000-4000-8000-0000000000ff", graphsim.RoleGuestInviter), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "0000000000ff")
	_, err = rd.Post(ctx(t), roleAssignment(guest, "11111111-2222-4333-8444-555555555555"), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, "'roleDefinitionId'")
	noScope := roleAssignment(guest, graphsim.RoleReportsReader)
	noScope.SetDirectoryScopeId(nil)
	_, err = rd.Post(ctx(t), noScope, nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, "directoryScopeId")

	if _, err := rd.Post(ctx(t), roleAssignment(guest, graphsim.RoleDirectoryReaders), nil); err != nil {
		t.Fatal(err)
	}
	filter := "principalId eq '" + guest + "' and roleDefinitionId eq '" + graphsim.RoleGuestInviter + "'"
	list, err := rd.Get(ctx(t), &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetRequestConfiguration{
		QueryParameters: &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetQueryParameters{Filter: &filter},
	})
	if err != nil || len(list.GetValue()) != 1 || *list.GetValue()[0].GetId() != *got.GetId() {
		t.Fatalf("filtered list: %v %v", err, list)
	}
	filter = "principalId eq '" + guest + "'"
	list, err = rd.Get(ctx(t), &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetRequestConfiguration{
		QueryParameters: &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetQueryParameters{Filter: &filter},
	})
	if err != nil || len(list.GetValue()) != 2 {
		t.Fatalf("by principal: %v %d", err, len(list.GetValue()))
	}
	if err := rd.ByUnifiedRoleAssignmentId(*got.GetId()).Delete(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sim.State().RoleAssignments); n != 1 {
		t.Errorf("assignments after delete = %d", n)
	}
}

func appAssignment(principal, resource, role string) models.AppRoleAssignmentable {
	a := models.NewAppRoleAssignment()
	p, r, ar := uuid.MustParse(principal), uuid.MustParse(resource), uuid.MustParse(role)
	a.SetPrincipalId(&p)
	a.SetResourceId(&r)
	a.SetAppRoleId(&ar)
	return a
}

func TestServicePrincipalsAndAppRoleAssignments(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	sps, err := e.client.ServicePrincipals().Get(ctx(t), nil)
	if err != nil || len(sps.GetValue()) != len(graphsim.SampleSeed().ServicePrincipals) {
		t.Fatalf("servicePrincipals: %v", err)
	}
	for _, sp := range sps.GetValue() {
		if *sp.GetId() == graphsim.SampleSPPartnerPortal && len(sp.GetAppRoles()) != 2 {
			t.Errorf("portal app roles = %d", len(sp.GetAppRoles()))
		}
	}
	filter := "displayName eq 'Fabrikam Wiki'"
	wiki, err := e.client.ServicePrincipals().Get(ctx(t), &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: &filter},
	})
	if err != nil || len(wiki.GetValue()) != 1 || len(wiki.GetValue()[0].GetAppRoles()) != 0 {
		t.Fatalf("wiki: %v", err)
	}

	guest := *invite(t, e, "apps@contoso.com", false).GetInvitedUser().GetId()
	to := e.client.ServicePrincipals().ByServicePrincipalId(graphsim.SampleSPPartnerPortal).AppRoleAssignedTo()
	got, err := to.Post(ctx(t), appAssignment(guest, graphsim.SampleSPPartnerPortal, graphsim.SampleAppRolePortalReader), nil)
	if err != nil {
		t.Fatalf("assign: %v", err)
	}
	if *got.GetPrincipalType() != "User" || *got.GetResourceDisplayName() != "Contoso Partner Portal" || got.GetAppRoleId().String() != graphsim.SampleAppRolePortalReader || got.GetCreatedDateTime() == nil {
		t.Errorf("assignment = %v", got)
	}
	_, err = to.Post(ctx(t), appAssignment(guest, graphsim.SampleSPPartnerPortal, graphsim.SampleAppRolePortalReader), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, graphsim.MsgAppRoleExists)
	_, err = to.Post(ctx(t), appAssignment(guest, graphsim.SampleSPPartnerPortal, graphsim.SampleAppRoleExpensesSubmit), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, "was not found on application")
	_, err = to.Post(ctx(t), appAssignment("5a1e0000-0000-4000-8000-0000000000ff", graphsim.SampleSPPartnerPortal, graphsim.SampleAppRolePortalReader), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "")
	_, err = e.client.ServicePrincipals().ByServicePrincipalId("5e7c0000-0000-4000-8000-0000000000ff").AppRoleAssignedTo().
		Post(ctx(t), appAssignment(guest, "5e7c0000-0000-4000-8000-0000000000ff", graphsim.DefaultAccessAppRoleID), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "")
	_, err = to.Post(ctx(t), appAssignment(guest, graphsim.SampleSPWiki, graphsim.DefaultAccessAppRoleID), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, "'resourceId'")

	// default access: all-zero role id, on an app without roles and on one with roles
	for _, sp := range []string{graphsim.SampleSPWiki, graphsim.SampleSPPartnerPortal} {
		if _, err := e.client.ServicePrincipals().ByServicePrincipalId(sp).AppRoleAssignedTo().
			Post(ctx(t), appAssignment(guest, sp, graphsim.DefaultAccessAppRoleID), nil); err != nil {
			t.Errorf("default access on %s: %v", sp, err)
		}
	}
	// the user-side endpoint
	mine := e.client.Users().ByUserId(guest).AppRoleAssignments()
	if _, err := mine.Post(ctx(t), appAssignment(guest, graphsim.SampleSPExpenses, graphsim.SampleAppRoleExpensesSubmit), nil); err != nil {
		t.Fatalf("user appRoleAssignments: %v", err)
	}
	_, err = mine.Post(ctx(t), appAssignment(guest, graphsim.SampleSPExpenses, graphsim.SampleAppRoleExpensesSubmit), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, graphsim.MsgAppRoleExists)
	list, err := mine.Get(ctx(t), nil)
	if err != nil || len(list.GetValue()) != 4 {
		t.Fatalf("user assignments: %v %d", err, len(list.GetValue()))
	}
	onPortal, err := to.Get(ctx(t), nil)
	if err != nil || len(onPortal.GetValue()) != 2 {
		t.Fatalf("appRoleAssignedTo list: %v %d", err, len(onPortal.GetValue()))
	}
	if err := to.ByAppRoleAssignmentId(*got.GetId()).Delete(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sim.State().AppRoleAssignments) - len(graphsim.SampleOnboardingPermissions); n != 3 {
		t.Errorf("app role assignments after delete = %d", n)
	}
}
