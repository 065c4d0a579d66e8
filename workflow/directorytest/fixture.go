package directorytest

import (
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// The fixture's ids and addresses.
const (
	// MemberID is a member, the manager in the cases, with addresses in
	// every property a lookup covers.
	MemberID         = "d1e70000-0000-4000-8000-000000000001"
	MemberMail       = "megan@fabrikam.example"
	MemberUPN        = "megan.bowen@fabrikam.onmicrosoft.com"
	MemberOtherMail  = "megan.private@contoso.example"
	MemberProxyAlias = "m.bowen@fabrikam.example" // a secondary (smtp:) proxy address

	// LocalID is a local account without mail that signs in with an
	// address (an emailAddress identity).
	LocalID          = "d1e70000-0000-4000-8000-000000000002"
	LocalUPN         = "d1e70000-0000-4000-8000-000000000002@fabrikam.onmicrosoft.com"
	LocalSignInEmail = "pat@partner.example"

	// AcceptedGuestID and PendingGuestID are guests someone else invited.
	AcceptedGuestID   = "d1e70000-0000-4000-8000-000000000003"
	AcceptedGuestMail = "linus@partner.example"
	PendingGuestID    = "d1e70000-0000-4000-8000-000000000004"
	PendingGuestMail  = "grace@partner.example"

	GroupA = "d1e70000-0000-4000-8000-00000000a001"
	GroupB = "d1e70000-0000-4000-8000-00000000a002"
	// RoleGuestInviter is the built-in Guest Inviter role's template id.
	RoleGuestInviter = "95e79109-95c0-4d8e-aee3-d01accf2d47b"
	// AppWithRole declares AppRoleReader; AppDefaultOnly declares none.
	AppWithRole    = "d1e70000-0000-4000-8000-00000000b001"
	AppRoleReader  = "d1e70000-0000-4000-8000-00000000c001"
	AppDefaultOnly = "d1e70000-0000-4000-8000-00000000b002"

	// Missing is an id no object in the tenant has.
	Missing = "d1e70000-0000-4000-8000-0000000dead0"
)

// foreignGuestCreated is when the fixture's foreign guests were invited.
var foreignGuestCreated = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// TenantFixture is the tenant every case starts from.
func TenantFixture() Tenant {
	return Tenant{
		Users: []User{
			{ID: MemberID, DisplayName: "Megan Bowen", Mail: MemberMail, UserPrincipalName: MemberUPN,
				OtherMails: []string{MemberOtherMail}, ProxyAddresses: []string{"SMTP:" + MemberMail, "smtp:" + MemberProxyAlias},
				UserType: "Member", CreatedAt: time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)},
			{ID: LocalID, DisplayName: "Pat (local account)", UserPrincipalName: LocalUPN, SignInEmail: LocalSignInEmail,
				UserType: "Member", CreatedAt: time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)},
			{ID: AcceptedGuestID, DisplayName: "Linus", Mail: AcceptedGuestMail,
				UserPrincipalName: "linus_partner.example#EXT#@fabrikam.onmicrosoft.com",
				UserType:          "Guest", CreationType: "Invitation", ExternalUserState: workflow.StateAccepted, CreatedAt: foreignGuestCreated},
			{ID: PendingGuestID, DisplayName: "Grace", Mail: PendingGuestMail,
				UserPrincipalName: "grace_partner.example#EXT#@fabrikam.onmicrosoft.com",
				UserType:          "Guest", CreationType: "Invitation", ExternalUserState: workflow.StatePendingAcceptance, CreatedAt: foreignGuestCreated},
		},
		Groups: []string{GroupA, GroupB},
		Roles:  []string{RoleGuestInviter},
		Apps: []App{
			{ID: AppWithRole, AppID: "d1e70000-0000-4000-8000-00000000d001", AppRoles: []string{AppRoleReader}},
			{ID: AppDefaultOnly, AppID: "d1e70000-0000-4000-8000-00000000d002"},
		},
	}
}

// everyKind is one change of every kind, all referencing fixture objects.
func everyKind() []workflow.Change {
	return []workflow.Change{
		{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{GivenName: "Ada", Surname: "Lovelace",
			JobTitle: "Engineer", Department: "R&D", CompanyName: "Fabrikam", BusinessPhone: "+31 20 123 4567", City: "Amsterdam",
			UsageLocation: "NL"}},
		{Kind: workflow.ChangeManager, ID: MemberID},
		{Kind: workflow.ChangeGroup, ID: GroupA},
		{Kind: workflow.ChangeGroup, ID: GroupB},
		{Kind: workflow.ChangeRole, ID: RoleGuestInviter},
		{Kind: workflow.ChangeApp, ID: AppDefaultOnly, AppRoleID: workflow.DefaultAppRoleID},
		{Kind: workflow.ChangeApp, ID: AppWithRole, AppRoleID: AppRoleReader},
	}
}

// invitation is a typical POST /invitations request for address.
func invitation(address string, send bool) workflow.Invitation {
	return workflow.Invitation{Email: address, DisplayName: "Ada Lovelace", RedirectURL: "https://myapps.microsoft.com",
		UserType: "Guest", SendMessage: send, Message: "Welcome", Language: "en-US"}
}
