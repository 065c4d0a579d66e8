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
	return QueueProperties{Status: "Active", DuplicateDetection: o.DuplicateDetectionWindow > 0, DuplicateWindow: max(o.DuplicateDetectionWindow, 0),
		MaxDeliveryCount: o.MaxDeliveryCount, LockDuration: o.LockDuration}, nil
}

// NeededPermissions are the Microsoft Graph application permissions the
// policy's enabled features need, as docs/deploy.md grants them: invitations
// and user writes always, group members, roles and app roles only when
// their allow-list is not empty.
func NeededPermissions(groups, roles, apps bool) []string {
	out := []string{"User.Invite.All", "User.ReadWrite.All"}
	if groups {
		out = append(out, "GroupMember.ReadWrite.All")
	}
	if roles {
		out = append(out, "RoleManagement.ReadWrite.Directory")
	}
	if apps {
		out = append(out, "AppRoleAssignment.ReadWrite.All", "Application.Read.All")
	}
	return out
}

// Readers are read permissions doctor uses when granted (allowInvitesFrom,
// the privacy profile, group kinds, its own grants); they are never
// reported as not needed.
var Readers = []string{"Policy.Read.All", "Organization.Read.All", "Application.Read.All", "GroupMember.Read.All"}
