package graphsim

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Seed is the initial content of the simulated tenant. It is what
// `onboard graphsim --seed file.json` reads (JSON field names below) and
// what Reset restores.
type Seed struct {
	Domain            string                 `json:"domain,omitempty"`
	TenantID          string                 `json:"tenantId,omitempty"`
	Users             []SeedUser             `json:"users,omitempty"`
	Groups            []SeedGroup            `json:"groups,omitempty"`
	ServicePrincipals []SeedServicePrincipal `json:"servicePrincipals,omitempty"`
	RoleDefinitions   []SeedRoleDefinition   `json:"roleDefinitions,omitempty"`
	// GroupAddressPatterns replaces DefaultGroupAddressPatterns when set.
	GroupAddressPatterns []string `json:"groupAddressPatterns,omitempty"`
	// AllowInvitesFrom is the authorization policy's allowInvitesFrom
	// (none, adminsAndGuestInviters, adminsGuestInvitersAndAllMembers,
	// everyone); empty means everyone, Graph's default.
	AllowInvitesFrom string `json:"allowInvitesFrom,omitempty"`
	// PrivacyStatementURL is the organization's privacyProfile.statementUrl;
	// empty means not set.
	PrivacyStatementURL string `json:"privacyStatementUrl,omitempty"`
}

// SeedUser is a member (or guest) user present from the start. A guest
// invited by someone else (a "foreign" guest, as far as the onboarding app
// is concerned) has UserType Guest, CreationType Invitation and an
// ExternalUserState.
type SeedUser struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"displayName"`
	GivenName         string   `json:"givenName,omitempty"`
	Surname           string   `json:"surname,omitempty"`
	JobTitle          string   `json:"jobTitle,omitempty"`
	Department        string   `json:"department,omitempty"`
	MailNickname      string   `json:"mailNickname,omitempty"`
	Mail              string   `json:"mail,omitempty"`              // default mailNickname@domain
	UserPrincipalName string   `json:"userPrincipalName,omitempty"` // default mail
	OtherMails        []string `json:"otherMails,omitempty"`
	// ProxyAddresses are "SMTP:primary" and "smtp:secondary" entries;
	// default "SMTP:" + mail.
	ProxyAddresses    []string `json:"proxyAddresses,omitempty"`
	UserType          string   `json:"userType,omitempty"`          // default Member; Guest for a guest invited by someone else
	CreationType      string   `json:"creationType,omitempty"`      // Invitation for such a guest
	ExternalUserState string   `json:"externalUserState,omitempty"` // PendingAcceptance or Accepted for such a guest
	CreatedDateTime   string   `json:"createdDateTime,omitempty"`   // RFC 3339; default 2024-01-15T09:00:00Z
	ManagerID         string   `json:"managerId,omitempty"`
	// Identities are sign-in identities besides the userPrincipalName
	// one every user has, e.g. a local account's emailAddress identity.
	Identities []SeedIdentity `json:"identities,omitempty"`
}

// SeedIdentity is one objectIdentity of a user.
type SeedIdentity struct {
	SignInType       string `json:"signInType"` // emailAddress, userName, federated, ...
	Issuer           string `json:"issuer"`     // the tenant's domain for a local account
	IssuerAssignedID string `json:"issuerAssignedId,omitempty"`
}

// SeedGroup is a group present from the start; Members are object ids.
type SeedGroup struct {
	ID              string   `json:"id"`
	DisplayName     string   `json:"displayName"`
	Description     string   `json:"description,omitempty"`
	Mail            string   `json:"mail,omitempty"`
	MailNickname    string   `json:"mailNickname,omitempty"`
	MailEnabled     bool     `json:"mailEnabled,omitempty"`
	SecurityEnabled bool     `json:"securityEnabled,omitempty"`
	GroupTypes      []string `json:"groupTypes,omitempty"` // Unified, DynamicMembership
	// MembershipRule is the rule of a DynamicMembership group.
	MembershipRule string `json:"membershipRule,omitempty"`
	// OnPremisesSyncEnabled marks a group mastered in on-premises AD.
	OnPremisesSyncEnabled bool     `json:"onPremisesSyncEnabled,omitempty"`
	Members               []string `json:"members,omitempty"`
}

// SeedServicePrincipal is an enterprise application; an empty AppRoles list
// means only default access can be assigned.
type SeedServicePrincipal struct {
	ID          string        `json:"id"`
	AppID       string        `json:"appId"`
	DisplayName string        `json:"displayName"`
	AppRoles    []SeedAppRole `json:"appRoles,omitempty"`
	// GraphPermissions are the Microsoft Graph application permissions
	// (app role values such as "User.Invite.All") granted to this service
	// principal; they need the Microsoft Graph service principal in the seed.
	GraphPermissions []string `json:"graphPermissions,omitempty"`
}

// SeedAppRole is one app role an application declares.
type SeedAppRole struct {
	ID          string `json:"id"`
	Value       string `json:"value"`
	DisplayName string `json:"displayName"`
	Description string `json:"description,omitempty"`
}

// SeedRoleDefinition is a directory role definition; for built-in roles the
// id is the role template id.
type SeedRoleDefinition struct {
	ID           string `json:"id"`
	DisplayName  string `json:"displayName"`
	Description  string `json:"description,omitempty"`
	IsPrivileged bool   `json:"isPrivileged,omitempty"`
}

// LoadSeed reads a seed JSON file. Missing role definitions default to the
// built-in ones and a missing domain to DefaultDomain.
func LoadSeed(path string) (Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("read seed: %w", err)
	}
	var s Seed
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Seed{}, fmt.Errorf("parse seed %s: %w", path, err)
	}
	if len(s.RoleDefinitions) == 0 {
		s.RoleDefinitions = BuiltInRoleDefinitions()
	}
	return s, s.validate()
}

// validate checks ids are present and unique and references resolve.
func (s Seed) validate() error {
	ids := map[string]string{}
	add := func(kind, id string) error {
		if id == "" {
			return fmt.Errorf("seed: a %s has no id", kind)
		}
		k := strings.ToLower(id)
		if prev, ok := ids[k]; ok {
			return fmt.Errorf("seed: id %s used by a %s and a %s", id, prev, kind)
		}
		ids[k] = kind
		return nil
	}
	for _, u := range s.Users {
		if err := add("user", u.ID); err != nil {
			return err
		}
		if u.Mail == "" && u.MailNickname == "" && u.UserPrincipalName == "" {
			return fmt.Errorf("seed: user %s needs mail, mailNickname or userPrincipalName", u.ID)
		}
		for _, id := range u.Identities {
			if id.SignInType == "" || id.Issuer == "" {
				return fmt.Errorf("seed: user %s has an identity without signInType or issuer", u.ID)
			}
		}
	}
	for _, g := range s.Groups {
		if err := add("group", g.ID); err != nil {
			return err
		}
	}
	for _, sp := range s.ServicePrincipals {
		if err := add("servicePrincipal", sp.ID); err != nil {
			return err
		}
	}
	for _, r := range s.RoleDefinitions {
		if r.ID == "" {
			return fmt.Errorf("seed: role definition %q has no id", r.DisplayName)
		}
	}
	for _, u := range s.Users {
		if u.ManagerID != "" && ids[strings.ToLower(u.ManagerID)] != "user" {
			return fmt.Errorf("seed: user %s has unknown manager %s", u.ID, u.ManagerID)
		}
	}
	for _, g := range s.Groups {
		for _, m := range g.Members {
			if _, ok := ids[strings.ToLower(m)]; !ok {
				return fmt.Errorf("seed: group %s has unknown member %s", g.ID, m)
			}
		}
	}
	return nil
}
