package workflow

import (
	"fmt"
	"time"
)

// Invitation is one POST /invitations request.
type Invitation struct {
	Email       string
	DisplayName string
	RedirectURL string
	UserType    string // Guest or Member
	SendMessage bool
	Message     string // customizedMessageBody
	CC          string // the one supported ccRecipients address
	Language    string // messageLanguage
}

// InviteResult is what the workflow keeps of an invitation response.
type InviteResult struct {
	GuestID string // invitedUser.id
	Status  string // PendingAcceptance, Completed, InProgress, Error
}

// DirectoryUser is the part of a Graph user the workflow reads.
type DirectoryUser struct {
	ID                string
	Mail              string
	UserType          string    // Member or Guest
	ExternalUserState string    // PendingAcceptance, Accepted or empty
	CreationType      string    // Invitation for a user created by an invitation
	CreatedAt         time.Time // createdDateTime; zero when unknown
}

// External user states as Graph reports them.
const (
	StatePendingAcceptance = "PendingAcceptance"
	StateAccepted          = "Accepted"
)

// ChangeKind names one kind of provisioning change.
type ChangeKind string

// The provisioning changes, in the order they are applied.
const (
	ChangeProperties ChangeKind = "properties" // PATCH /users/{id}
	ChangeManager    ChangeKind = "manager"    // PUT /users/{id}/manager/$ref
	ChangeGroup      ChangeKind = "group"      // POST /groups/{id}/members/$ref
	ChangeRole       ChangeKind = "role"       // POST /roleManagement/directory/roleAssignments
	ChangeApp        ChangeKind = "app"        // POST /servicePrincipals/{id}/appRoleAssignedTo
	ChangeSponsor    ChangeKind = "sponsor"    // POST /users/{id}/sponsors/$ref
)

// DefaultAppRoleID is the app role id of "Default Access".
const DefaultAppRoleID = "00000000-0000-0000-0000-000000000000"

// Change is one idempotent directory write for a guest.
type Change struct {
	Kind ChangeKind
	// ID is the manager id, group id, role definition id or resource
	// service principal id, by Kind; empty for ChangeProperties.
	ID string
	// AppRoleID is the app role for ChangeApp (DefaultAppRoleID for default access).
	AppRoleID string
	// Properties are the user properties for ChangeProperties.
	Properties UserProperties
	// SponsorType is SponsorUser or SponsorGroup for ChangeSponsor, as the
	// sponsor check read it: the reference names users/{id} or groups/{id}.
	SponsorType string
}

// The kinds of sponsor (Change.SponsorType).
const (
	SponsorUser  = "user"
	SponsorGroup = "group"
)

// Key identifies the change in the record's list of done steps.
func (c Change) Key() string {
	switch c.Kind {
	case ChangeProperties:
		return string(c.Kind) + ":" + c.Properties.Fingerprint()
	case ChangeApp:
		return fmt.Sprintf("%s:%s/%s", c.Kind, c.ID, c.AppRoleID)
	default:
		return string(c.Kind) + ":" + c.ID
	}
}
