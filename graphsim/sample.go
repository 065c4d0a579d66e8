package graphsim

// DefaultDomain is the tenant's initial domain when none is configured, as in
// the Entra admin documentation's examples.
const DefaultDomain = "fabrikam.onmicrosoft.com"

// Fixed, well-known ids of the built-in sample tenant, so tests, examples and
// `onboard dev` defaults can refer to them.
const (
	SampleTenantID = "69997834-fa40-45da-9c1a-382c3bdc66c3"

	// Member users, usable as managers.
	SampleUserMegan = "5a1e0000-0000-4000-8000-000000000001" // Megan Bowen, Partner Manager
	SampleUserAlex  = "5a1e0000-0000-4000-8000-000000000002" // Alex Wilber, Procurement Lead
	SampleUserAdele = "5a1e0000-0000-4000-8000-000000000003" // Adele Vance, IT Administrator

	// Groups.
	SampleGroupPartners = "9f0c0000-0000-4000-8000-000000000001" // "Partners - Fabrikam", security group
	SampleGroupApollo   = "9f0c0000-0000-4000-8000-000000000002" // "Project Apollo", Microsoft 365 group
	SampleGroupSales    = "9f0c0000-0000-4000-8000-000000000003" // "Sales Team", distribution list (its address cannot be invited)
	SampleGroupDynamic  = "9f0c0000-0000-4000-8000-000000000004" // "All Guests", dynamic membership: refuses member writes
	SampleGroupSynced   = "9f0c0000-0000-4000-8000-000000000005" // "Finance (AD)", synced from on-premises AD: refuses member writes

	// SamplePrivacyStatementURL is the sample organization's privacy statement.
	SamplePrivacyStatementURL = "https://fabrikam.example/privacy"

	// Service principals and their app roles.
	SampleSPPartnerPortal       = "5e7c0000-0000-4000-8000-000000000001" // "Contoso Partner Portal"
	SampleAppRolePortalReader   = "a5501e00-0000-4000-8000-000000000001" // Partner.Read
	SampleAppRolePortalAdmin    = "a5501e00-0000-4000-8000-000000000002" // Partner.Admin
	SampleSPExpenses            = "5e7c0000-0000-4000-8000-000000000002" // "Fabrikam Expenses"
	SampleAppRoleExpensesSubmit = "a5501e00-0000-4000-8000-000000000003" // Expenses.Submit
	SampleSPWiki                = "5e7c0000-0000-4000-8000-000000000003" // "Fabrikam Wiki", no app roles: default access only
	SampleSPMicrosoftGraph      = "5e7c0000-0000-4000-8000-0000000000a0" // Microsoft Graph (its object id differs per tenant)
	SampleSPOnboarding          = "5e7c0000-0000-4000-8000-0000000000b0" // this onboarding app, granted SampleOnboardingPermissions

	// SampleAppIDPartnerPortal and friends are the applications' appId values.
	SampleAppIDPartnerPortal = "a99a0000-0000-4000-8000-000000000001"
	SampleAppIDExpenses      = "a99a0000-0000-4000-8000-000000000002"
	SampleAppIDWiki          = "a99a0000-0000-4000-8000-000000000003"
	SampleAppIDOnboarding    = "a99a0000-0000-4000-8000-0000000000b0"
)

// SampleOnboardingPermissions are the Microsoft Graph application
// permissions the sample tenant grants the onboarding app: what its
// features need, plus the read permissions doctor uses.
var SampleOnboardingPermissions = []string{
	"User.Invite.All", "User.ReadWrite.All", "GroupMember.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
	"AppRoleAssignment.ReadWrite.All", "Application.Read.All", "Policy.Read.All", "Organization.Read.All",
}

// DefaultAccessAppRoleID is the all-zero app role id meaning "Default Access".
const DefaultAccessAppRoleID = "00000000-0000-0000-0000-000000000000"

// Built-in directory role template ids (the same in every tenant).
const (
	RoleGlobalAdministrator         = "62e90394-69f5-4237-9190-012177145e10"
	RolePrivilegedRoleAdministrator = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	RoleUserAdministrator           = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	RoleHelpdeskAdministrator       = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	RoleApplicationAdministrator    = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	RoleGuestInviter                = "95e79109-95c0-4d8e-aee3-d01accf2d47b"
	RoleDirectoryReaders            = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	RoleReportsReader               = "4a5d8f65-41da-4de4-8968-e035b65339cf"
	RoleMessageCenterReader         = "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b"
)

// DefaultGroupAddressPatterns are address patterns (path.Match syntax,
// matched against the lower-cased address) that look like group or
// distribution-list mailboxes; invitations to them are refused as Graph
// refuses group addresses. Seeded groups' mail addresses are always refused.
var DefaultGroupAddressPatterns = []string{
	"dl-*@*", "*-dl@*", "dl.*@*", "distribution*@*", "everyone@*", "all-*@*", "allstaff@*", "*-group@*", "group-*@*",
}

// SampleSeed returns the built-in sample tenant: three member users (Alex
// and Adele report to Megan), five groups (one dynamic, one synced from
// on-premises AD), three service principals (one
// without app roles) and the built-in role definitions listed above.
func SampleSeed() Seed {
	return Seed{
		Domain:   DefaultDomain,
		TenantID: SampleTenantID,
		Users: []SeedUser{
			{ID: SampleUserMegan, DisplayName: "Megan Bowen", GivenName: "Megan", Surname: "Bowen", JobTitle: "Partner Manager", Department: "Partnerships", MailNickname: "MeganB"},
			{ID: SampleUserAlex, DisplayName: "Alex Wilber", GivenName: "Alex", Surname: "Wilber", JobTitle: "Procurement Lead", Department: "Procurement", MailNickname: "AlexW", ManagerID: SampleUserMegan},
			{ID: SampleUserAdele, DisplayName: "Adele Vance", GivenName: "Adele", Surname: "Vance", JobTitle: "IT Administrator", Department: "IT", MailNickname: "AdeleV", ManagerID: SampleUserMegan},
		},
		Groups: []SeedGroup{
			{ID: SampleGroupPartners, DisplayName: "Partners - Fabrikam", Description: "External partners with access to shared resources", SecurityEnabled: true, MailNickname: "partners-fabrikam", Members: []string{SampleUserMegan}},
			{ID: SampleGroupApollo, DisplayName: "Project Apollo", Description: "Project Apollo collaboration space", MailEnabled: true, SecurityEnabled: false, GroupTypes: []string{"Unified"}, MailNickname: "projectapollo", Mail: "projectapollo@" + DefaultDomain, Members: []string{SampleUserMegan, SampleUserAlex}},
			{ID: SampleGroupSales, DisplayName: "Sales Team", Description: "Sales distribution list", MailEnabled: true, MailNickname: "sales", Mail: "sales@fabrikam.com"},
			{ID: SampleGroupDynamic, DisplayName: "All Guests", Description: "Every guest user, by rule", SecurityEnabled: true, MailNickname: "allguests",
				GroupTypes: []string{"DynamicMembership"}, MembershipRule: `(user.userType -eq "Guest")`},
			{ID: SampleGroupSynced, DisplayName: "Finance (AD)", Description: "Synced from on-premises Active Directory", SecurityEnabled: true, MailNickname: "finance-ad", OnPremisesSyncEnabled: true},
		},
		AllowInvitesFrom:    InvitesFromEveryone,
		PrivacyStatementURL: SamplePrivacyStatementURL,
		ServicePrincipals: []SeedServicePrincipal{
			{ID: SampleSPPartnerPortal, AppID: SampleAppIDPartnerPortal, DisplayName: "Contoso Partner Portal", AppRoles: []SeedAppRole{
				{ID: SampleAppRolePortalReader, Value: "Partner.Read", DisplayName: "Partner Reader", Description: "Read partner resources"},
				{ID: SampleAppRolePortalAdmin, Value: "Partner.Admin", DisplayName: "Partner Administrator", Description: "Administer partner resources"},
			}},
			{ID: SampleSPExpenses, AppID: SampleAppIDExpenses, DisplayName: "Fabrikam Expenses", AppRoles: []SeedAppRole{
				{ID: SampleAppRoleExpensesSubmit, Value: "Expenses.Submit", DisplayName: "Expense Submitter", Description: "Submit expense reports"},
			}},
			{ID: SampleSPWiki, AppID: SampleAppIDWiki, DisplayName: "Fabrikam Wiki"},
			{ID: SampleSPMicrosoftGraph, AppID: MicrosoftGraphAppID, DisplayName: "Microsoft Graph", AppRoles: GraphAppRoles},
			{ID: SampleSPOnboarding, AppID: SampleAppIDOnboarding, DisplayName: "B2B Onboarding", GraphPermissions: SampleOnboardingPermissions},
		},
		RoleDefinitions: BuiltInRoleDefinitions(),
	}
}

// BuiltInRoleDefinitions returns the directory role definitions the sample
// tenant knows, with their real template ids and whether Entra marks them
// privileged.
func BuiltInRoleDefinitions() []SeedRoleDefinition {
	return []SeedRoleDefinition{
		{ID: RoleGlobalAdministrator, DisplayName: "Global Administrator", Description: "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.", IsPrivileged: true},
		{ID: RolePrivilegedRoleAdministrator, DisplayName: "Privileged Role Administrator", Description: "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.", IsPrivileged: true},
		{ID: RoleUserAdministrator, DisplayName: "User Administrator", Description: "Can manage all aspects of users and groups, including resetting passwords for limited admins.", IsPrivileged: true},
		{ID: RoleHelpdeskAdministrator, DisplayName: "Helpdesk Administrator", Description: "Can reset passwords for non-administrators and Helpdesk Administrators.", IsPrivileged: true},
		{ID: RoleApplicationAdministrator, DisplayName: "Application Administrator", Description: "Can create and manage all aspects of app registrations and enterprise apps.", IsPrivileged: true},
		{ID: RoleGuestInviter, DisplayName: "Guest Inviter", Description: "Can invite guest users independent of the 'members can invite guests' setting."},
		{ID: RoleDirectoryReaders, DisplayName: "Directory Readers", Description: "Can read basic directory information. Commonly used to grant directory read access to applications and guests."},
		{ID: RoleReportsReader, DisplayName: "Reports Reader", Description: "Can read sign-in and audit reports."},
		{ID: RoleMessageCenterReader, DisplayName: "Message Center Reader", Description: "Can read messages and updates for their organization in Message Center only."},
	}
}
