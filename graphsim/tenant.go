package graphsim

import (
	"strings"
	"time"
)

// tenant is the mutable directory. It is guarded by Server.mu.
type tenant struct {
	domain   string
	tenantID string

	users     map[string]*user // by lower-cased id
	userOrder []string
	groups    map[string]*group
	groupOrd  []string
	sps       map[string]*servicePrincipal
	spOrder   []string
	roleDefs  []*roleDefinition

	roleAssignments    []*roleAssignment
	appRoleAssignments []*appRoleAssignment

	emails        map[string][]Email // by lower-cased address
	invitations   int
	groupPatterns []string

	// allowInvitesFrom and privacyURL are the tenant settings doctor reads
	// (GET /policies/authorizationPolicy, GET /organization).
	allowInvitesFrom string
	privacyURL       string
	// b2bInboundBlocked is the cross-tenant access default blocking inbound
	// B2B collaboration for all users (SetDefaultB2BInbound); false is the
	// service default, which allows it.
	b2bInboundBlocked bool
}

// user keeps Graph properties as JSON values (string, bool, []any, nil) so
// PATCH and $select stay generic.
type user struct {
	props     map[string]any
	managerID string
	sponsors  []string  // object ids of the sponsoring users and groups
	visibleAt time.Time // replication lag: other endpoints 404 before this
}

func (u *user) id() string { return u.str("id") }

func (u *user) str(name string) string {
	s, _ := u.props[name].(string)
	return s
}

func (u *user) strings(name string) []string {
	l, _ := u.props[name].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// hasAddress reports whether the address is the user's mail or one of
// otherMails (case-insensitive, as Graph compares).
func (u *user) hasAddress(addr string) bool {
	if strings.EqualFold(u.str("mail"), addr) {
		return true
	}
	for _, m := range u.strings("otherMails") {
		if strings.EqualFold(m, addr) {
			return true
		}
	}
	return false
}

// ownsAddress reports whether addr is one of the user's sign-in or mail
// addresses as Graph's invitation manager compares them: mail,
// otherMails, proxyAddresses (SMTP: or smtp:) and userPrincipalName.
func (u *user) ownsAddress(addr string) bool {
	if u.hasAddress(addr) || strings.EqualFold(u.str("userPrincipalName"), addr) {
		return true
	}
	for _, p := range u.strings("proxyAddresses") {
		if proto, a, ok := strings.Cut(p, ":"); ok && strings.EqualFold(proto, "smtp") && strings.EqualFold(a, addr) {
			return true
		}
	}
	return false
}

type group struct {
	id              string
	displayName     string
	description     string
	mail            string
	mailNickname    string
	mailEnabled     bool
	securityEnabled bool
	groupTypes      []string
	membershipRule  string
	onPremSync      bool     // onPremisesSyncEnabled true: mastered in on-premises AD
	members         []string // object ids, insertion order
}

func (g *group) hasMember(id string) bool { return containsFold(g.members, id) }

type servicePrincipal struct {
	id          string
	appID       string
	displayName string
	appRoles    []SeedAppRole
	// disabled is accountEnabled=false (sign-in to the app blocked);
	// disabledRoles holds the lower-case ids of app roles with
	// isEnabled=false (SetServicePrincipalEnabled, SetAppRoleEnabled).
	disabled      bool
	disabledRoles map[string]bool
}

func (sp *servicePrincipal) hasRole(id string) bool {
	for _, r := range sp.appRoles {
		if strings.EqualFold(r.ID, id) {
			return true
		}
	}
	return false
}

type roleDefinition struct {
	SeedRoleDefinition
}

type roleAssignment struct {
	id               string
	roleDefinitionID string
	principalID      string
	directoryScopeID string
	appScopeID       string
}

type appRoleAssignment struct {
	id                   string
	appRoleID            string
	principalID          string
	principalType        string
	principalDisplayName string
	resourceID           string
	resourceDisplayName  string
	created              time.Time
}

// newTenant builds the directory from a seed (already validated).
func newTenant(s Seed) *tenant {
	t := &tenant{
		domain:   s.Domain,
		tenantID: s.TenantID,
		users:    map[string]*user{},
		groups:   map[string]*group{},
		sps:      map[string]*servicePrincipal{},
		emails:   map[string][]Email{},
	}
	if t.domain == "" {
		t.domain = DefaultDomain
	}
	if t.tenantID == "" {
		t.tenantID = SampleTenantID
	}
	t.allowInvitesFrom, t.privacyURL = s.AllowInvitesFrom, s.PrivacyStatementURL
	if t.allowInvitesFrom == "" {
		t.allowInvitesFrom = "everyone" // Graph's default outside US Government clouds
	}
	t.groupPatterns = s.GroupAddressPatterns
	if len(t.groupPatterns) == 0 {
		t.groupPatterns = DefaultGroupAddressPatterns
	}
	for _, su := range s.Users {
		t.users[strings.ToLower(su.ID)] = &user{props: seedUserProps(su, t.domain), managerID: su.ManagerID}
		t.userOrder = append(t.userOrder, strings.ToLower(su.ID))
	}
	for _, sg := range s.Groups {
		g := &group{id: sg.ID, displayName: sg.DisplayName, description: sg.Description, mail: sg.Mail,
			mailNickname: sg.MailNickname, mailEnabled: sg.MailEnabled, securityEnabled: sg.SecurityEnabled,
			groupTypes: append([]string{}, sg.GroupTypes...), members: append([]string{}, sg.Members...),
			membershipRule: sg.MembershipRule, onPremSync: sg.OnPremisesSyncEnabled}
		t.groups[strings.ToLower(sg.ID)] = g
		t.groupOrd = append(t.groupOrd, strings.ToLower(sg.ID))
	}
	for _, ssp := range s.ServicePrincipals {
		sp := &servicePrincipal{id: ssp.ID, appID: ssp.AppID, displayName: ssp.DisplayName, appRoles: append([]SeedAppRole{}, ssp.AppRoles...)}
		t.sps[strings.ToLower(ssp.ID)] = sp
		t.spOrder = append(t.spOrder, strings.ToLower(ssp.ID))
	}
	t.grantGraphPermissions(s.ServicePrincipals)
	for _, rd := range s.RoleDefinitions {
		t.roleDefs = append(t.roleDefs, &roleDefinition{rd})
	}
	return t
}

// seedUserProps is the property bag of a seeded user, with defaults for
// what the seed leaves out: mail from the nickname, user principal name
// from mail, userType Member, an SMTP proxy address for the mail, a fixed
// creation time.
func seedUserProps(su SeedUser, domain string) map[string]any {
	mail := su.Mail
	if mail == "" && su.MailNickname != "" {
		mail = su.MailNickname + "@" + domain
	}
	upn := su.UserPrincipalName
	if upn == "" {
		upn = mail
	}
	nick := su.MailNickname
	if nick == "" {
		nick, _, _ = strings.Cut(upn, "@")
	}
	userType := su.UserType
	if userType == "" {
		userType = "Member"
	}
	other := make([]any, 0, len(su.OtherMails))
	for _, m := range su.OtherMails {
		other = append(other, m)
	}
	proxies := make([]any, 0, len(su.ProxyAddresses)+1)
	for _, p := range su.ProxyAddresses {
		proxies = append(proxies, p)
	}
	if len(proxies) == 0 && mail != "" {
		proxies = append(proxies, "SMTP:"+mail)
	}
	created := su.CreatedDateTime
	if created == "" {
		created = "2024-01-15T09:00:00Z"
	}
	p := map[string]any{
		"id":                su.ID,
		"displayName":       su.DisplayName,
		"givenName":         nullable(su.GivenName),
		"surname":           nullable(su.Surname),
		"jobTitle":          nullable(su.JobTitle),
		"department":        nullable(su.Department),
		"mail":              nullable(mail),
		"mailNickname":      nick,
		"userPrincipalName": upn,
		"otherMails":        other,
		"proxyAddresses":    proxies,
		"userType":          userType,
		"creationType":      nullable(su.CreationType),
		"externalUserState": nullable(su.ExternalUserState),
		"accountEnabled":    true,
		"createdDateTime":   created,
		"identities":        seedIdentities(su.Identities, domain, upn),
	}
	fillUserDefaults(p)
	return p
}

// seedIdentities is a seeded user's identities: the userPrincipalName one
// every user has, then the seed's.
func seedIdentities(extra []SeedIdentity, domain, upn string) []any {
	out := []any{map[string]any{"signInType": "userPrincipalName", "issuer": domain, "issuerAssignedId": upn}}
	for _, id := range extra {
		out = append(out, map[string]any{"signInType": id.SignInType, "issuer": id.Issuer, "issuerAssignedId": nullable(id.IssuerAssignedID)})
	}
	return out
}

// fillUserDefaults makes sure every settable property exists (null when
// unset) so $select answers null rather than omitting it, like Graph.
func fillUserDefaults(p map[string]any) {
	for _, r := range userProperties {
		if _, ok := p[r.name]; !ok {
			if r.kind == kindStrings {
				p[r.name] = []any{}
			} else {
				p[r.name] = nil
			}
		}
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// lookupUser finds a user by object id or userPrincipalName, ignoring
// replication lag.
func (t *tenant) lookupUser(idOrUPN string) *user {
	if u, ok := t.users[strings.ToLower(idOrUPN)]; ok {
		return u
	}
	if strings.Contains(idOrUPN, "@") {
		for _, k := range t.userOrder {
			if u := t.users[k]; strings.EqualFold(u.str("userPrincipalName"), idOrUPN) {
				return u
			}
		}
	}
	return nil
}

// visibleUser is lookupUser honouring replication lag: a user created less
// than the configured lag ago is not found yet.
func (t *tenant) visibleUser(idOrUPN string, now time.Time) *user {
	u := t.lookupUser(idOrUPN)
	if u == nil || now.Before(u.visibleAt) {
		return nil
	}
	return u
}

// userByAddress finds a user whose mail or otherMails is addr, lag ignored
// (the invitation manager sees its own writes).
func (t *tenant) userByAddress(addr string) *user {
	for _, k := range t.userOrder {
		if u := t.users[k]; u.hasAddress(addr) {
			return u
		}
	}
	return nil
}

// userOwningAddress finds the user that owns addr in the invitation
// manager's sense (ownsAddress), lag ignored.
func (t *tenant) userOwningAddress(addr string) *user {
	for _, k := range t.userOrder {
		if u := t.users[k]; u.ownsAddress(addr) {
			return u
		}
	}
	return nil
}

// directoryObject resolves an id to a visible user, group or service
// principal; kind is "user", "group" or "servicePrincipal".
func (t *tenant) directoryObject(id string, now time.Time) (kind string, ok bool) {
	if u := t.visibleUser(id, now); u != nil {
		return "user", true
	}
	if _, ok := t.groups[strings.ToLower(id)]; ok {
		return "group", true
	}
	if _, ok := t.sps[strings.ToLower(id)]; ok {
		return "servicePrincipal", true
	}
	return "", false
}

func (t *tenant) roleDefinition(id string) *roleDefinition {
	for _, r := range t.roleDefs {
		if strings.EqualFold(r.ID, id) {
			return r
		}
	}
	return nil
}

// deleteUser removes a user and every reference to it.
func (t *tenant) deleteUser(u *user) {
	id := u.id()
	key := strings.ToLower(id)
	delete(t.users, key)
	for i, k := range t.userOrder {
		if k == key {
			t.userOrder = append(t.userOrder[:i:i], t.userOrder[i+1:]...)
			break
		}
	}
	for _, g := range t.groups {
		g.members = removeFold(g.members, id)
	}
	for _, o := range t.users {
		if strings.EqualFold(o.managerID, id) {
			o.managerID = ""
		}
		o.sponsors = removeFold(o.sponsors, id)
	}
	ra := t.roleAssignments[:0:0]
	for _, a := range t.roleAssignments {
		if !strings.EqualFold(a.principalID, id) {
			ra = append(ra, a)
		}
	}
	t.roleAssignments = ra
	aa := t.appRoleAssignments[:0:0]
	for _, a := range t.appRoleAssignments {
		if !strings.EqualFold(a.principalID, id) {
			aa = append(aa, a)
		}
	}
	t.appRoleAssignments = aa
}

// containsFold reports whether list holds id, ignoring case (Graph's
// object ids are case-insensitive).
func containsFold(list []string, id string) bool {
	for _, m := range list {
		if strings.EqualFold(m, id) {
			return true
		}
	}
	return false
}

func removeFold(list []string, id string) []string {
	out := list[:0:0]
	for _, m := range list {
		if !strings.EqualFold(m, id) {
			out = append(out, m)
		}
	}
	return out
}
