package doctor

import (
	"context"
	"errors"

	"github.com/b2b-onboarding/onboard/devhost"
)

// GrantReader reads an app's granted Microsoft Graph application
// permissions (graph.Directory implements it).
type GrantReader interface {
	GrantedPermissions(ctx context.Context, appSpID string) ([]string, error)
}

// AppGrants is the Permissions source for the app whose service principal
// object id is SP.
type AppGrants struct {
	Reader GrantReader
	SP     string
}

// GrantedPermissions implements Permissions.
func (a AppGrants) GrantedPermissions(ctx context.Context) ([]string, error) {
	if a.SP == "" {
		return nil, errors.New("the app's service principal is not known: pass --app-sp (its object id; for a managed identity, its principal id)")
	}
	return a.Reader.GrantedPermissions(ctx, a.SP)
}

// DevQueue is the Queue source for `onboard dev`: the devhost queue's
// properties (a negative duplicate window means detection is off).
type DevQueue struct{ Queue *devhost.Queue }

// Properties implements Queue.
func (d DevQueue) Properties(context.Context) (QueueProperties, error) {
	o := d.Queue.Options()
	return QueueProperties{DuplicateDetection: o.DuplicateDetectionWindow > 0, DuplicateWindow: max(o.DuplicateDetectionWindow, 0),
		MaxDeliveryCount: o.MaxDeliveryCount, LockDuration: o.LockDuration}, nil
}

// Needed are the Microsoft Graph application permissions the app needs:
// invitations, user properties, group members, role and app role
// assignments, and the read permissions doctor itself uses.
var Needed = []string{
	"User.Invite.All", "User.ReadWrite.All", "GroupMember.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
	"AppRoleAssignment.ReadWrite.All", "Application.Read.All", "Policy.Read.All", "Organization.Read.All",
}
