package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/b2b-onboarding/onboard/workflow"
)

var _ workflow.GroupInspector = (*Directory)(nil)

// GroupKind reads a group's groupTypes, onPremisesSyncEnabled and
// mailEnabled (graph-b2b.md §18) and says whether it takes direct members.
// Each group is read once per process: a group's kind is not something an
// administrator changes in passing, and the workflow asks for every
// onboarding that names the group.
func (d *Directory) GroupKind(ctx context.Context, groupID string) (workflow.GroupKind, error) {
	if groupID == "" { // GET /groups/ would list the groups
		return "", &workflow.PermanentError{Op: "read group", Reason: "group id is required"}
	}
	key := strings.ToLower(groupID)
	if k, ok := d.groupKinds.Load(key); ok {
		return k.(workflow.GroupKind), nil
	}
	var g groupJSON
	if err := d.get(ctx, "/groups/"+seg(groupID), selectQuery("id", "groupTypes", "mailEnabled", "onPremisesSyncEnabled"), &g); err != nil {
		return "", classify("read group "+groupID, err)
	}
	k := g.kind()
	d.groupKinds.Store(key, k)
	return k, nil
}

// groupJSON is the part of a group that decides its kind (§18); a null
// boolean is false.
type groupJSON struct {
	GroupTypes            []string `json:"groupTypes"`
	MailEnabled           bool     `json:"mailEnabled"`
	OnPremisesSyncEnabled bool     `json:"onPremisesSyncEnabled"`
}

func (g groupJSON) kind() workflow.GroupKind {
	switch {
	case slices.Contains(g.GroupTypes, "DynamicMembership"):
		return workflow.GroupDynamic
	case g.OnPremisesSyncEnabled:
		return workflow.GroupOnPremises
	case g.MailEnabled && !slices.Contains(g.GroupTypes, "Unified"):
		return workflow.GroupMailEnabled
	}
	return workflow.GroupAssigned
}

// AllowInvitesFrom reads the tenant authorization policy's
// allowInvitesFrom (GET /policies/authorizationPolicy, Policy.Read.All).
func (d *Directory) AllowInvitesFrom(ctx context.Context) (string, error) {
	var p struct {
		AllowInvitesFrom string `json:"allowInvitesFrom"` // an enum, sent as its name
	}
	if err := d.get(ctx, "/policies/authorizationPolicy", selectQuery("id", "allowInvitesFrom"), &p); err != nil {
		return "", classify("read authorization policy", err)
	}
	return p.AllowInvitesFrom, nil
}

// PrivacyStatementURL reads the organization's privacyProfile.statementUrl
// (GET /organization, Organization.Read.All); "" when not set.
func (d *Directory) PrivacyStatementURL(ctx context.Context) (string, error) {
	var res struct {
		Value []struct {
			PrivacyProfile struct {
				StatementURL string `json:"statementUrl"`
			} `json:"privacyProfile"`
		} `json:"value"`
	}
	if err := d.get(ctx, "/organization", selectQuery("id", "privacyProfile"), &res); err != nil {
		return "", classify("read organization", err)
	}
	if len(res.Value) != 1 {
		return "", fmt.Errorf("read organization: %d organizations in the answer, want 1", len(res.Value))
	}
	return res.Value[0].PrivacyProfile.StatementURL, nil
}

// MicrosoftGraphAppID is Microsoft Graph's appId, the same in every tenant.
const MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"

// GrantedPermissions lists the Microsoft Graph application permissions
// granted to the service principal appSpID (graph-b2b.md §17): Graph's
// service principal maps app role ids to names, the app's
// appRoleAssignments on it are its grants. It needs Application.Read.All;
// without it the answer is an error ("cannot tell"), never "none granted".
func (d *Directory) GrantedPermissions(ctx context.Context, appSpID string) ([]string, error) {
	if appSpID == "" {
		return nil, &workflow.PermanentError{Op: "read granted permissions", Reason: "the app's service principal id is required"}
	}
	q := selectQuery("id", "appRoles")
	q.Set("$filter", "appId eq '"+MicrosoftGraphAppID+"'")
	var sps struct {
		Value []struct {
			ID       string `json:"id"`
			AppRoles []struct {
				ID    string `json:"id"`
				Value string `json:"value"`
			} `json:"appRoles"`
		} `json:"value"`
	}
	if err := d.get(ctx, "/servicePrincipals", q, &sps); err != nil {
		return nil, classify("read Microsoft Graph's service principal", err)
	}
	if len(sps.Value) != 1 {
		return nil, fmt.Errorf("read Microsoft Graph's service principal: %d found, want 1", len(sps.Value))
	}
	graphSP := sps.Value[0]
	names := map[string]string{}
	for _, r := range graphSP.AppRoles {
		if r.ID != "" && r.Value != "" {
			names[strings.ToLower(r.ID)] = r.Value
		}
	}
	var res struct {
		Value []struct {
			ResourceID string `json:"resourceId"`
			AppRoleID  string `json:"appRoleId"`
		} `json:"value"`
	}
	if err := d.get(ctx, "/servicePrincipals/"+seg(appSpID)+"/appRoleAssignments", nil, &res); err != nil {
		return nil, classify("read the app role assignments of service principal "+appSpID, err)
	}
	var out []string
	for _, a := range res.Value {
		if a.ResourceID == "" || !strings.EqualFold(a.ResourceID, graphSP.ID) {
			continue
		}
		if n, ok := names[strings.ToLower(a.AppRoleID)]; ok {
			out = append(out, n)
		}
	}
	return out, nil
}
