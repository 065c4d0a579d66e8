package workflow

import (
	"strings"
	"sync"
)

// Built-in Microsoft Entra directory roles, by template id (for a built-in
// role the role definition id equals the template id, in every tenant).
//
// Source: "Microsoft Entra built-in roles", table "All roles", roles carrying
// the Privileged label icon —
// https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
// (MicrosoftDocs/entra-docs docs/identity/role-based-access-control/permissions-reference.md,
// ms.date 2026-01-20, read 2026-11-30; 29 roles labelled PRIVILEGED, the
// same list as /work/shared/reference/graph-b2b.md §19).
//
// Besides Microsoft's label, a few roles are treated as privileged by our
// choice (Why says why): unlabelled roles that still reach every mailbox,
// site or device, change tenant-wide authentication, or are "do not use".
// The policy refuses any role id that is not listed here as non-privileged
// (custom roles, directory role instance ids, roles newer than this list),
// so a stale list can only refuse too much, never grant too much. When
// Microsoft adds a role, add it here after reading its label; never move a
// role from privileged to non-privileged without the source saying so.
var builtInRoles = []BuiltInRole{
	{Name: "Agent ID Administrator", TemplateID: "db506228-d27e-4b7d-95e5-295956d6615f", Privileged: true},
	{Name: "Agent ID Developer", TemplateID: "adb2368d-a9be-41b5-8667-d96778e081b0"},
	{Name: "Agent Registry Administrator", TemplateID: "6b942400-691f-4bf0-9d12-d8a254a2baf5"},
	{Name: "AI Administrator", TemplateID: "d2562ede-74db-457e-a7b6-544e236ebb61", Privileged: true, Why: "labelled PRIVILEGED by revisions of the page after 2026-01-20"},
	{Name: "Application Administrator", TemplateID: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", Privileged: true},
	{Name: "Application Developer", TemplateID: "cf1c38e5-3621-4004-a7cb-879624dced7c", Privileged: true},
	{Name: "Attack Payload Author", TemplateID: "9c6df0f2-1e7c-4dc3-b195-66dfbd24aa8f"},
	{Name: "Attack Simulation Administrator", TemplateID: "c430b396-e693-46cc-96f3-db01bf8bb62a"},
	{Name: "Attribute Assignment Administrator", TemplateID: "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d"},
	{Name: "Attribute Assignment Reader", TemplateID: "ffd52fa5-98dc-465c-991d-fc073eb59f8f"},
	{Name: "Attribute Definition Administrator", TemplateID: "8424c6f0-a189-499e-bbd0-26c1753c96d4"},
	{Name: "Attribute Definition Reader", TemplateID: "1d336d2c-4ae8-42ef-9711-b3604ce3fc2c"},
	{Name: "Attribute Log Administrator", TemplateID: "5b784334-f94b-471a-a387-e7219fc49ca2"},
	{Name: "Attribute Log Reader", TemplateID: "9c99539d-8186-4804-835f-fd51ef9e2dcd"},
	{Name: "Attribute Provisioning Administrator", TemplateID: "ecb2c6bf-0ab6-418e-bd87-7986f8d63bbe", Privileged: true},
	{Name: "Attribute Provisioning Reader", TemplateID: "422218e4-db15-4ef9-bbe0-8afb41546d79", Privileged: true},
	{Name: "Authentication Administrator", TemplateID: "c4e39bd9-1100-46d3-8c65-fb160da0071f", Privileged: true},
	{Name: "Authentication Extensibility Administrator", TemplateID: "25a516ed-2fa0-40ea-a2d0-12923a21473a", Privileged: true},
	{Name: "Authentication Policy Administrator", TemplateID: "0526716b-113d-4c15-b2c8-68e3c22b9f80", Privileged: true, Why: "changes the tenant-wide authentication methods and MFA policy"},
	{Name: "Azure DevOps Administrator", TemplateID: "e3973bdf-4987-49ae-837a-ba8e231c7286"},
	{Name: "Azure Information Protection Administrator", TemplateID: "7495fdc4-34c4-4d15-a289-98788ce399fd"},
	{Name: "B2C IEF Keyset Administrator", TemplateID: "aaf43236-0c0d-4d5f-883a-6955382ac081", Privileged: true},
	{Name: "B2C IEF Policy Administrator", TemplateID: "3edaf663-341e-4475-9f94-5c398ef6c070"},
	{Name: "Billing Administrator", TemplateID: "b0f54661-2d74-4c50-afa3-1ec803f12efe"},
	{Name: "Cloud App Security Administrator", TemplateID: "892c5842-a9a6-463a-8041-72aa08ca3cf6"},
	{Name: "Cloud Application Administrator", TemplateID: "158c047a-c907-4556-b7ef-446551a6b5f7", Privileged: true},
	{Name: "Cloud Device Administrator", TemplateID: "7698a772-787b-4ac8-901f-60d6b08affd2", Privileged: true},
	{Name: "Compliance Administrator", TemplateID: "17315797-102d-40b4-93e0-432062caca18"},
	{Name: "Compliance Data Administrator", TemplateID: "e6d1a23a-da11-4be4-9570-befc86d067a7"},
	{Name: "Conditional Access Administrator", TemplateID: "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", Privileged: true},
	{Name: "Customer LockBox Access Approver", TemplateID: "5c4f9dcd-47dc-4cf7-8c9a-9e4207cbfc91"},
	{Name: "Desktop Analytics Administrator", TemplateID: "38a96431-2bdf-4b4c-8b6e-5d3d8abac1a4"},
	{Name: "Directory Readers", TemplateID: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"},
	{Name: "Directory Synchronization Accounts", TemplateID: "d29b2b05-8046-44ba-8758-1e26182fcf32", Privileged: true, Why: "the Entra Connect sync identity: writes users and groups tenant-wide"},
	{Name: "Directory Writers", TemplateID: "9360feb5-f418-4baa-8175-e2a00bac4301", Privileged: true},
	{Name: "Domain Name Administrator", TemplateID: "8329153b-31d0-4727-b945-745eb3bc5f31", Privileged: true},
	{Name: "Dragon Administrator", TemplateID: "e93e3737-fa85-474a-aee4-7d3fb86510f3"},
	{Name: "Dynamics 365 Administrator", TemplateID: "44367163-eba1-44c3-98af-f5787879f96a"},
	{Name: "Dynamics 365 Business Central Administrator", TemplateID: "963797fb-eb3b-4cde-8ce3-5878b3f32a3f"},
	{Name: "Edge Administrator", TemplateID: "3f1acade-1e04-4fbc-9b69-f0302cd84aef"},
	{Name: "Exchange Administrator", TemplateID: "29232cdf-9323-42fd-ade2-1d097af3e4de", Privileged: true, Why: "full control of every mailbox"},
	{Name: "Exchange Backup Administrator", TemplateID: "49eb8f75-97e9-4e37-9b2b-6c3ebfcffa31"},
	{Name: "Exchange Recipient Administrator", TemplateID: "31392ffb-586c-42d1-9346-e59415a2cc4e"},
	{Name: "Extended Directory User Administrator", TemplateID: "dd13091a-6207-4fc0-82ba-3641e056ab95"},
	{Name: "External ID User Flow Administrator", TemplateID: "6e591065-9bad-43ed-90f3-e9424366d2f0"},
	{Name: "External ID User Flow Attribute Administrator", TemplateID: "0f971eea-41eb-4569-a71e-57bb8a3eff1e"},
	{Name: "External Identity Provider Administrator", TemplateID: "be2f45a1-457d-42af-a067-6ec1fa63bc45", Privileged: true},
	{Name: "Fabric Administrator", TemplateID: "a9ea8996-122f-4c74-9520-8edcd192826c"},
	{Name: "Global Administrator", TemplateID: "62e90394-69f5-4237-9190-012177145e10", Privileged: true},
	{Name: "Global Reader", TemplateID: "f2ef992c-3afb-46b9-b7cf-a126ee74c451", Privileged: true},
	{Name: "Global Secure Access Administrator", TemplateID: "ac434307-12b9-4fa1-a708-88bf58caabc1"},
	{Name: "Global Secure Access Log Reader", TemplateID: "843318fb-79a6-4168-9e6f-aa9a07481cc4"},
	{Name: "Groups Administrator", TemplateID: "fdd7a751-b60b-444a-984c-02652fe8fa1c"},
	{Name: "Guest Inviter", TemplateID: "95e79109-95c0-4d8e-aee3-d01accf2d47b"},
	{Name: "Helpdesk Administrator", TemplateID: "729827e3-9c14-49f7-bb1b-9608f156bbb8", Privileged: true},
	{Name: "Hybrid Identity Administrator", TemplateID: "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", Privileged: true},
	{Name: "Identity Governance Administrator", TemplateID: "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"},
	{Name: "Insights Administrator", TemplateID: "eb1f4a8d-243a-41f0-9fbd-c7cdf6c5ef7c"},
	{Name: "Insights Analyst", TemplateID: "25df335f-86eb-4119-b717-0ff02de207e9"},
	{Name: "Insights Business Leader", TemplateID: "31e939ad-9672-4796-9c2e-873181342d2d"},
	{Name: "Intune Administrator", TemplateID: "3a2c62db-5318-420d-8d74-23affee5d9d5", Privileged: true},
	{Name: "IoT Device Administrator", TemplateID: "2ea5ce4c-b2d8-4668-bd81-3680bd2d227a"},
	{Name: "Kaizala Administrator", TemplateID: "74ef975b-6605-40af-a5d2-b9539d836353"},
	{Name: "Knowledge Administrator", TemplateID: "b5a8dcf3-09d5-43a9-a639-8e29ef291470"},
	{Name: "Knowledge Manager", TemplateID: "744ec460-397e-42ad-a462-8b3f9747a02c"},
	{Name: "License Administrator", TemplateID: "4d6ac14f-3453-41d0-bef9-a3e0c569773a"},
	{Name: "Lifecycle Workflows Administrator", TemplateID: "59d46f88-662b-457b-bceb-5c3809e5908f", Privileged: true},
	{Name: "Message Center Privacy Reader", TemplateID: "ac16e43d-7b2d-40e0-ac05-243ff356ab5b"},
	{Name: "Message Center Reader", TemplateID: "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b"},
	{Name: "Microsoft 365 Backup Administrator", TemplateID: "1707125e-0aa2-4d4d-8655-a7c786c76a25"},
	{Name: "Microsoft 365 Migration Administrator", TemplateID: "8c8b803f-96e1-4129-9349-20738d9f9652"},
	{Name: "Microsoft 365 Support Engineer", TemplateID: "00cf5c54-4693-4f59-a0ac-ab79ef0a974d", Privileged: true, Why: "Microsoft says: do not use"},
	{Name: "Microsoft Entra Joined Device Local Administrator", TemplateID: "9f06204d-73c1-4d4c-880a-6edb90606fd8", Privileged: true, Why: "local administrator on every Entra-joined device"},
	{Name: "Microsoft Graph Data Connect Administrator", TemplateID: "ee67aa9c-e510-4759-b906-227085a7fd4d"},
	{Name: "Microsoft Hardware Warranty Administrator", TemplateID: "1501b917-7653-4ff9-a4b5-203eaf33784f"},
	{Name: "Microsoft Hardware Warranty Specialist", TemplateID: "281fe777-fb20-4fbb-b7a3-ccebce5b0d96"},
	{Name: "Network Administrator", TemplateID: "d37c8bed-0711-4417-ba38-b4abe66ce4c2"},
	{Name: "Office Apps Administrator", TemplateID: "2b745bdf-0803-4d80-aa65-822c4493daac"},
	{Name: "Organizational Branding Administrator", TemplateID: "92ed04bf-c94a-4b82-9729-b799a7a4c178"},
	{Name: "Organizational Data Source Administrator", TemplateID: "9d70768a-0cbc-4b4c-aea3-2e124b2477f4"},
	{Name: "Organizational Messages Approver", TemplateID: "e48398e2-f4bb-4074-8f31-4586725e205b"},
	{Name: "Organizational Messages Writer", TemplateID: "507f53e4-4e52-4077-abd3-d2e1558b6ea2"},
	{Name: "Partner Tier1 Support", TemplateID: "4ba39ca4-527c-499a-b93d-d9b492c50246", Privileged: true},
	{Name: "Partner Tier2 Support", TemplateID: "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8", Privileged: true},
	{Name: "Password Administrator", TemplateID: "966707d0-3269-4727-9be2-8c3a10f19b9d", Privileged: true},
	{Name: "People Administrator", TemplateID: "024906de-61e5-49c8-8572-40335f1e0e10"},
	{Name: "Permissions Management Administrator", TemplateID: "af78dc32-cf4d-46f9-ba4e-4428526346b5"},
	{Name: "Places Administrator", TemplateID: "78b0ccd1-afc2-4f92-9116-b41aedd09592"},
	{Name: "Power Platform Administrator", TemplateID: "11648597-926c-4cf3-9c36-bcebb0ba8dcc"},
	{Name: "Printer Administrator", TemplateID: "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f"},
	{Name: "Printer Technician", TemplateID: "e8cef6f1-e4bd-4ea8-bc07-4b8d950f4477"},
	{Name: "Privileged Authentication Administrator", TemplateID: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", Privileged: true},
	{Name: "Privileged Role Administrator", TemplateID: "e8611ab8-c189-46e8-94e1-60213ab1f814", Privileged: true},
	{Name: "Reports Reader", TemplateID: "4a5d8f65-41da-4de4-8968-e035b65339cf"},
	{Name: "Search Administrator", TemplateID: "0964bb5e-9bdb-4d7b-ac29-58e794862a40"},
	{Name: "Search Editor", TemplateID: "8835291a-918c-4fd7-a9ce-faa49f0cf7d9"},
	{Name: "Security Administrator", TemplateID: "194ae4cb-b126-40b2-bd5b-6091b380977d", Privileged: true},
	{Name: "Security Operator", TemplateID: "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", Privileged: true},
	{Name: "Security Reader", TemplateID: "5d6b6bb7-de71-4623-b4af-96380a352509", Privileged: true},
	{Name: "Service Support Administrator", TemplateID: "f023fd81-a637-4b56-95fd-791ac0226033"},
	{Name: "SharePoint Administrator", TemplateID: "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", Privileged: true, Why: "full control of every site and OneDrive"},
	{Name: "SharePoint Advanced Management Administrator", TemplateID: "99009c4a-3b3f-4957-82a9-9d35e12db77e"},
	{Name: "SharePoint Backup Administrator", TemplateID: "9d3e04ba-3ee4-4d1b-a3a7-9aef423a09be"},
	{Name: "SharePoint Embedded Administrator", TemplateID: "1a7d78b6-429f-476b-b8eb-35fb715fffd4"},
	{Name: "Skype for Business Administrator", TemplateID: "75941009-915a-4869-abe7-691bff18279e"},
	{Name: "Teams Administrator", TemplateID: "69091246-20e8-4a56-aa4d-066075b2a7a8"},
	{Name: "Teams Communications Administrator", TemplateID: "baf37b3a-610e-45da-9e62-d9d1e5e8914b"},
	{Name: "Teams Communications Support Engineer", TemplateID: "f70938a0-fc10-4177-9e90-2178f8765737"},
	{Name: "Teams Communications Support Specialist", TemplateID: "fcf91098-03e3-41a9-b5ba-6f0ec8188a12"},
	{Name: "Teams Devices Administrator", TemplateID: "3d762c5a-1b6c-493f-843e-55a3b42923d4"},
	{Name: "Teams Reader", TemplateID: "1076ac91-f3d9-41a7-a339-dcdf5f480acc"},
	{Name: "Teams Telephony Administrator", TemplateID: "aa38014f-0993-46e9-9b45-30501a20909d"},
	{Name: "Tenant Creator", TemplateID: "112ca1a2-15ad-4102-995e-45b0bc479a6a"},
	{Name: "Usage Summary Reports Reader", TemplateID: "75934031-6c7e-415a-99d7-48dbd49e875e"},
	{Name: "User Administrator", TemplateID: "fe930be7-5e62-47db-91af-98c3a49a38b1", Privileged: true},
	{Name: "User Experience Success Manager", TemplateID: "27460883-1df1-4691-b032-3b79643e5e63"},
	{Name: "Virtual Visits Administrator", TemplateID: "e300d9e7-4a2b-4295-9eff-f1c78b36cc98"},
	{Name: "Viva Glint Tenant Administrator", TemplateID: "0ec3f692-38d6-4d14-9e69-0377ca7797ad"},
	{Name: "Viva Goals Administrator", TemplateID: "92b086b3-e367-4ef2-b869-1de128fb986e"},
	{Name: "Viva Pulse Administrator", TemplateID: "87761b17-1ed2-4af3-9acd-92a150038160"},
	{Name: "Windows 365 Administrator", TemplateID: "11451d60-acb2-45eb-a7d6-43d0f0125c13"},
	{Name: "Windows Update Deployment Administrator", TemplateID: "32696413-001a-46ae-978c-ce0f6b3620d2"},
	{Name: "Yammer Administrator", TemplateID: "810a2642-a034-447f-a5e8-41beaa378541"},
}

// BuiltInRole is one built-in directory role of builtInRoles.
type BuiltInRole struct {
	Name       string
	TemplateID string
	// Privileged: Microsoft labels the role PRIVILEGED, or Why says why we
	// treat it as privileged anyway.
	Privileged bool
	Why        string
}

// rolesByTemplateID indexes builtInRoles by lower-case template id.
var rolesByTemplateID = sync.OnceValue(func() map[string]BuiltInRole {
	m := make(map[string]BuiltInRole, len(builtInRoles))
	for _, r := range builtInRoles {
		m[r.TemplateID] = r
	}
	return m
})

// LookupBuiltInRole finds a built-in role by role definition id or
// template id (the same for built-in roles), case-insensitively.
func LookupBuiltInRole(id string) (BuiltInRole, bool) {
	r, ok := rolesByTemplateID()[strings.ToLower(strings.TrimSpace(id))]
	return r, ok
}

// BuiltInRoles returns a copy of the list, in the source's order.
func BuiltInRoles() []BuiltInRole { return append([]BuiltInRole(nil), builtInRoles...) }

// IsPrivilegedRole reports whether assigning role id needs an explicit
// POLICY_ALLOWED_PRIVILEGED_ROLES entry: every built-in role labelled (or
// treated as) privileged, and every id that is not a known non-privileged
// built-in role — custom roles and unknown ids may carry any permission.
func IsPrivilegedRole(id string) bool {
	r, ok := LookupBuiltInRole(id)
	return !ok || r.Privileged
}

// roleName names a role for a policy reason: its built-in name, or says it
// is not a known built-in role.
func roleName(id string) string {
	if r, ok := LookupBuiltInRole(id); ok {
		return r.Name
	}
	return "not a known built-in role: custom or unknown roles count as privileged"
}
