package graphsim

import (
	"fmt"
	"strings"
	"time"
)

// MicrosoftGraphAppID is the appId of Microsoft Graph's service principal,
// the same in every tenant (graph-b2b.md §17).
const MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"

// GraphAppRoles are Microsoft Graph application permissions with their app
// role ids, the same in every tenant (graph-b2b.md §17).
var GraphAppRoles = []SeedAppRole{
	{ID: "09850681-111b-4a89-9bed-3f2cae46d706", Value: "User.Invite.All", DisplayName: "Invite guest users to the organization"},
	{ID: "741f803b-c850-494e-b5df-cde7c675a1ca", Value: "User.ReadWrite.All", DisplayName: "Read and write all users' full profiles"},
	{ID: "dbaae8cf-10b5-4b86-a4a1-f871c94c6695", Value: "GroupMember.ReadWrite.All", DisplayName: "Read and write all group memberships"},
	{ID: "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", Value: "RoleManagement.ReadWrite.Directory", DisplayName: "Read and write all directory RBAC settings"},
	{ID: "06b708a9-e830-4db3-a914-8e69da51d44f", Value: "AppRoleAssignment.ReadWrite.All", DisplayName: "Manage app permission grants and app role assignments"},
	{ID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", Value: "Application.Read.All", DisplayName: "Read all applications"},
	{ID: "df021288-bdef-4463-88db-98f22de89214", Value: "User.Read.All", DisplayName: "Read all users' full profiles"},
	{ID: "98830695-27a2-44f7-8c18-0c3ebc9698f6", Value: "GroupMember.Read.All", DisplayName: "Read all group memberships"},
	{ID: "246dd0d5-5bd0-4def-940b-0421030a5b68", Value: "Policy.Read.All", DisplayName: "Read your organization's policies"},
	{ID: "498476ce-e0fe-48b0-b801-37ba7e2685c6", Value: "Organization.Read.All", DisplayName: "Read organization information"},
	{ID: "483bed4a-2ad3-4361-a73b-c83ccdbdc53c", Value: "RoleManagement.Read.Directory", DisplayName: "Read all directory RBAC settings"},
}

// graphSP is Microsoft Graph's service principal in the tenant, if seeded.
func (t *tenant) graphSP() *servicePrincipal {
	for _, k := range t.spOrder {
		if strings.EqualFold(t.sps[k].appID, MicrosoftGraphAppID) {
			return t.sps[k]
		}
	}
	return nil
}

// grantGraphPermissions turns each seeded service principal's
// GraphPermissions into app role assignments on Microsoft Graph.
func (t *tenant) grantGraphPermissions(seeds []SeedServicePrincipal) {
	g := t.graphSP()
	if g == nil {
		return
	}
	for _, ssp := range seeds {
		for _, perm := range ssp.GraphPermissions {
			for _, r := range g.appRoles {
				if strings.EqualFold(r.Value, perm) {
					t.appRoleAssignments = append(t.appRoleAssignments, &appRoleAssignment{
						id: fmt.Sprintf("grant-%s-%s", ssp.ID, r.ID), appRoleID: r.ID, principalID: ssp.ID, principalType: "ServicePrincipal",
						principalDisplayName: ssp.DisplayName, resourceID: g.id, resourceDisplayName: g.displayName,
						created: time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC),
					})
				}
			}
		}
	}
}

// listSPAppRoleAssignments is GET /servicePrincipals/{id}/appRoleAssignments:
// the app roles granted to the service principal (its application
// permissions).
func (s *Server) listSPAppRoleAssignments(req *request, p params) *response {
	sp, r := s.spOr404(p["id"])
	if r != nil {
		return r
	}
	return s.listAssignments(req, func(a *appRoleAssignment) bool { return strings.EqualFold(a.principalID, sp.id) },
		"servicePrincipals('"+sp.id+"')/appRoleAssignments")
}

// RevokeGraphPermission removes a Microsoft Graph application permission
// (by value) from a service principal, as an administrator would; it
// reports whether one was granted.
func (s *Server) RevokeGraphPermission(spID, permission string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.t.graphSP()
	if g == nil {
		return false
	}
	for i, a := range s.t.appRoleAssignments {
		if !strings.EqualFold(a.principalID, spID) || !strings.EqualFold(a.resourceID, g.id) {
			continue
		}
		for _, r := range g.appRoles {
			if strings.EqualFold(r.ID, a.appRoleID) && strings.EqualFold(r.Value, permission) {
				s.t.appRoleAssignments = append(s.t.appRoleAssignments[:i], s.t.appRoleAssignments[i+1:]...)
				return true
			}
		}
	}
	return false
}
