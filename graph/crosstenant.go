package graph

import (
	"context"
)

// DefaultInboundB2B reads the cross-tenant access default's inbound B2B
// collaboration for users and groups (GET
// /policies/crossTenantAccessPolicy/default, Policy.Read.All): its
// accessType ("allowed" or "blocked") and whether it targets AllUsers.
// It applies to every external Entra organization without a
// partner-specific setting. Without an accessType the service default
// applies: allowed for all users.
func (d *Directory) DefaultInboundB2B(ctx context.Context) (access string, allUsers bool, err error) {
	var p struct {
		Inbound *struct {
			UsersAndGroups *struct {
				AccessType string `json:"accessType"`
				Targets    []struct {
					Target string `json:"target"`
				} `json:"targets"`
			} `json:"usersAndGroups"`
		} `json:"b2bCollaborationInbound"`
	}
	if err := d.get(ctx, "/policies/crossTenantAccessPolicy/default", selectQuery("b2bCollaborationInbound"), &p); err != nil {
		return "", false, classify("read the cross-tenant access default", err)
	}
	if p.Inbound == nil || p.Inbound.UsersAndGroups == nil || p.Inbound.UsersAndGroups.AccessType == "" {
		return "allowed", true, nil // the service default
	}
	ug := p.Inbound.UsersAndGroups
	for _, t := range ug.Targets {
		if t.Target == "AllUsers" {
			allUsers = true
		}
	}
	return ug.AccessType, allUsers, nil
}
