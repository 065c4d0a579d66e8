package workflow

import (
	"fmt"
	"net/url"
	"strings"
)

// Policy decides which events, addresses and assignments are acceptable.
// An empty allow-list allows nothing; "*" allows anything of its kind
// except what the field says "*" never includes. The zero Policy is the
// strictest one: nothing assigned, only Guests, the default redirect hosts.
type Policy struct {
	// AllowedGroups are group ids guests may be added to.
	AllowedGroups []string
	// AllowedRoles are role definition ids that may be assigned; "*" allows
	// every role that is not privileged (IsPrivilegedRole).
	AllowedRoles []string
	// AllowedPrivilegedRoles lists the privileged role ids (built-in roles
	// Microsoft labels PRIVILEGED, custom and unknown roles) that may be
	// assigned; they must be allowed by AllowedRoles too. Only explicit ids
	// count: "*" never matches (and Validate refuses it).
	AllowedPrivilegedRoles []string
	// AllowedApps are app role assignments that may be made, one entry per
	// resource service principal: "spId" allows Default Access only,
	// "spId/appRoleId" that app role, "spId/*" every app role of it. spId
	// may be "*" (any application): "*" alone allows Default Access to any
	// application, "*/*" any app role of any application.
	AllowedApps []string
	// AllowedSources are the CloudEvent sources accepted.
	AllowedSources []string
	// AllowedDomains, when non-empty, is the only set of email domains
	// accepted (a subdomain matches its parent).
	AllowedDomains []string
	// BlockedDomains are refused, for the invitee and for invitation.cc.
	BlockedDomains []string
	// AllowedCCDomains, when non-empty, is the only set of domains
	// invitation.cc may name. When empty, invitation.cc follows the
	// invitee's domain rules, so the copy of the invitation (and its
	// redemption link) can never go to a domain the invitee could not have.
	AllowedCCDomains []string
	// AllowedRedirectHosts are the hosts an invitation may send the guest
	// to after redemption (https only; exact host names, "*" any host).
	// Empty means DefaultRedirectHosts.
	AllowedRedirectHosts []string
	// AllowMemberUserType lets an event invite with userType Member; false
	// refuses it (a Member sees the directory as an employee does).
	AllowMemberUserType bool
}

// DefaultRedirectHosts are Microsoft's own landing pages for guests: My
// Apps (myapps.microsoft.com, which the B2B redemption docs use, and its
// current host myapplications.microsoft.com) and My Account.
var DefaultRedirectHosts = []string{"myapps.microsoft.com", "myapplications.microsoft.com", "myaccount.microsoft.com"}

// allows reports whether list holds v (case-insensitively) or "*".
func allows(list []string, v string) bool {
	for _, a := range list {
		if a == "*" || strings.EqualFold(a, v) {
			return true
		}
	}
	return false
}

// names reports whether list holds v itself; "*" does not count.
func names(list []string, v string) bool {
	for _, a := range list {
		if strings.EqualFold(strings.TrimSpace(a), v) {
			return true
		}
	}
	return false
}

// CheckSource refuses events from CloudEvent sources that are not allow-listed.
func (p Policy) CheckSource(source string) error {
	if !allows(p.AllowedSources, source) {
		return &PolicyError{Field: "source", Rule: fmt.Sprintf("CloudEvent source %s is not in POLICY_ALLOWED_SOURCES", shown(source))}
	}
	return nil
}

// Check applies the policy to a spec as an event asks for it: the
// invitee's domain, user type, redirect URL and CC address, and every
// group, role and app role assignment (CheckChange). Every violation is
// reported: a *PolicyError, or an ErrorList of them.
func (p Policy) Check(s Spec) error {
	var errs []error
	add := func(field, rule string) {
		if rule != "" {
			errs = append(errs, &PolicyError{Field: field, Rule: rule})
		}
	}
	add("email", p.domainRule(domainOf(s.Email), p.AllowedDomains, "POLICY_ALLOWED_DOMAINS"))
	if s.UserType == "Member" && !p.AllowMemberUserType {
		add("userType", "Member is refused (POLICY_ALLOW_MEMBER_USER_TYPE is false): invite as Guest")
	}
	if s.RedirectURL != "" {
		add("redirectUrl", p.redirectRule(s.RedirectURL))
	}
	if s.CC != "" {
		add("invitation.cc", p.ccRule(s.CC))
	}
	for i, g := range s.Groups {
		_, rule := p.assignmentRule(Change{Kind: ChangeGroup, ID: g})
		add(fmt.Sprintf("groups[%d]", i), rule)
	}
	for i, r := range s.Roles {
		_, rule := p.assignmentRule(Change{Kind: ChangeRole, ID: r})
		add(fmt.Sprintf("roles[%d]", i), rule)
	}
	for i, a := range s.Apps {
		sub, rule := p.assignmentRule(Change{Kind: ChangeApp, ID: a.ServicePrincipalID, AppRoleID: a.AppRoleID})
		add(fmt.Sprintf("applications[%d]%s", i, sub), rule)
	}
	return JoinErrors(errs...)
}

// CheckChange applies the policy to one directory write: a group
// membership, role assignment or app role assignment must be allowed by
// the policy in force now (other kinds always pass). The reconcile checks
// every desired assignment with it on each delivery, so removing an entry
// from an allow-list stops assignments that earlier events asked for. The
// error is a *PolicyError whose Field is c.Key() (the record's step key).
func (p Policy) CheckChange(c Change) error {
	if _, rule := p.assignmentRule(c); rule != "" {
		return &PolicyError{Field: c.Key(), Rule: rule}
	}
	return nil
}

// assignmentRule returns why c is not allowed ("" when it is) and, for an
// app assignment, which part of it (".servicePrincipalId" or ".appRoleId").
func (p Policy) assignmentRule(c Change) (sub, rule string) {
	switch c.Kind {
	case ChangeGroup:
		if !allows(p.AllowedGroups, c.ID) {
			return "", fmt.Sprintf("group %s is not in POLICY_ALLOWED_GROUPS", c.ID)
		}
	case ChangeRole:
		return "", p.roleRule(c.ID)
	case ChangeApp:
		return p.appRule(c.ID, c.AppRoleID)
	case ChangeProperties, ChangeManager, ChangeSponsor: // sponsors: checkSponsors reads who they are
	default:
		return "", fmt.Sprintf("unknown kind of change %s", shown(string(c.Kind)))
	}
	return "", ""
}

// roleRule: a privileged role needs its own POLICY_ALLOWED_PRIVILEGED_ROLES
// entry (a "*" anywhere never grants one) and POLICY_ALLOWED_ROLES.
func (p Policy) roleRule(id string) string {
	if IsPrivilegedRole(id) {
		if !names(p.AllowedPrivilegedRoles, id) {
			return fmt.Sprintf("role %s (%s) is privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES", id, roleName(id))
		}
		if !allows(p.AllowedRoles, id) {
			return fmt.Sprintf("role %s (%s) is not in POLICY_ALLOWED_ROLES", id, roleName(id))
		}
		return ""
	}
	if !allows(p.AllowedRoles, id) {
		return fmt.Sprintf("role %s (%s) is not in POLICY_ALLOWED_ROLES", id, roleName(id))
	}
	return ""
}

// appRule matches an app role assignment against POLICY_ALLOWED_APPS.
func (p Policy) appRule(sp, role string) (sub, rule string) {
	if role == "" {
		role = DefaultAppRoleID
	}
	listed := false
	for _, e := range p.AllowedApps {
		eSP, eRole, hasRole := strings.Cut(strings.TrimSpace(e), "/")
		if eSP != "*" && !strings.EqualFold(eSP, sp) {
			continue
		}
		listed = true
		if (!hasRole && role == DefaultAppRoleID) || (hasRole && (eRole == "*" || strings.EqualFold(eRole, role))) {
			return "", ""
		}
	}
	if !listed {
		return ".servicePrincipalId", fmt.Sprintf("application %s is not in POLICY_ALLOWED_APPS", sp)
	}
	return ".appRoleId", fmt.Sprintf("app role %s of application %s is not in POLICY_ALLOWED_APPS (an entry %s allows Default Access only; %s/<appRoleId> or %s/* allow app roles)", role, sp, sp, sp, sp)
}

// CheckRedirect applies the redirect rules to a URL an invitation would
// use (config checks INVITE_REDIRECT_URL with it at start-up).
func (p Policy) CheckRedirect(raw string) error {
	if rule := p.redirectRule(raw); rule != "" {
		return &PolicyError{Field: "redirectUrl", Rule: rule}
	}
	return nil
}

// redirectRule: https, and a host of POLICY_ALLOWED_REDIRECT_HOSTS.
func (p Policy) redirectRule(raw string) string {
	if rule := RedirectURLRule(raw); rule != "" {
		return rule
	}
	u, _ := url.Parse(raw) // RedirectURLRule parsed it
	hosts := p.AllowedRedirectHosts
	if len(hosts) == 0 {
		hosts = DefaultRedirectHosts
	}
	if !allows(hosts, u.Host) {
		return fmt.Sprintf("host %s is not in POLICY_ALLOWED_REDIRECT_HOSTS", shown(u.Host))
	}
	return ""
}

// ccRule: never a blocked domain; POLICY_ALLOWED_CC_DOMAINS when set, else
// the invitee's POLICY_ALLOWED_DOMAINS.
func (p Policy) ccRule(cc string) string {
	domain := domainOf(strings.ToLower(strings.TrimSpace(cc)))
	if len(p.AllowedCCDomains) > 0 {
		return p.domainRule(domain, p.AllowedCCDomains, "POLICY_ALLOWED_CC_DOMAINS")
	}
	return p.domainRule(domain, p.AllowedDomains, "POLICY_ALLOWED_DOMAINS (which applies to invitation.cc while POLICY_ALLOWED_CC_DOMAINS is unset)")
}

// domainRule refuses a blocked domain, and one outside allowed when it is
// non-empty; setting names the allow-list in the reason.
func (p Policy) domainRule(domain string, allowed []string, setting string) string {
	for _, b := range p.BlockedDomains {
		if domainMatches(domain, b) {
			return fmt.Sprintf("domain %s is blocked (POLICY_BLOCKED_DOMAINS)", shown(domain))
		}
	}
	if len(allowed) == 0 {
		return ""
	}
	for _, a := range allowed {
		if a == "*" || domainMatches(domain, a) {
			return ""
		}
	}
	return fmt.Sprintf("domain %s is not in %s", shown(domain), setting)
}

func domainOf(address string) string {
	_, domain, _ := strings.Cut(address, "@")
	return domain
}

// domainMatches reports whether domain is rule or a subdomain of it.
func domainMatches(domain, rule string) bool {
	rule = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(rule), "@"))
	return domain == rule || strings.HasSuffix(domain, "."+rule)
}

// Validate reports the entries of the policy it cannot use, each a
// *ValidationError whose Field is the setting; config refuses to start on
// any. It catches mistakes that would grant more, or less, than intended:
// "*" among privileged roles, app entries that are not spId[/appRoleId|*],
// redirect hosts given as URLs.
func (p Policy) Validate() []error {
	var errs []error
	bad := func(setting, rule string, args ...any) {
		errs = append(errs, &ValidationError{Field: setting, Rule: fmt.Sprintf(rule, args...)})
	}
	ids := func(setting string, list []string, what string) {
		for _, id := range list {
			if id != "*" && !guidRe().MatchString(id) {
				bad(setting, "entries must be %s ids (GUIDs) or *, got %q", what, id)
			}
		}
	}
	ids("POLICY_ALLOWED_GROUPS", p.AllowedGroups, "group object")
	ids("POLICY_ALLOWED_ROLES", p.AllowedRoles, "role definition")
	domains := func(setting string, list []string, star bool) {
		for _, d := range list {
			if (d != "*" || !star) && !validDomain(strings.TrimPrefix(d, "@")) {
				bad(setting, "entries must be domain names such as fabrikam.com (no @, scheme or path), got %q", d)
			}
		}
	}
	domains("POLICY_ALLOWED_DOMAINS", p.AllowedDomains, true)
	domains("POLICY_BLOCKED_DOMAINS", p.BlockedDomains, false)
	domains("POLICY_ALLOWED_CC_DOMAINS", p.AllowedCCDomains, true)
	for _, s := range p.AllowedSources {
		if u, err := url.Parse(s); err != nil || strings.ContainsAny(s, " \t") || (s != "*" && u.String() == "") {
			bad("POLICY_ALLOWED_SOURCES", "entries must be CloudEvent sources (URI-references such as /procurement/partners) or *, got %q", s)
		}
	}
	for _, r := range p.AllowedPrivilegedRoles {
		switch {
		case r == "*":
			bad("POLICY_ALLOWED_PRIVILEGED_ROLES", "`*` is not allowed: name each privileged role definition id")
		case !guidRe().MatchString(r):
			bad("POLICY_ALLOWED_PRIVILEGED_ROLES", "entries must be role definition ids (GUIDs), got %q", r)
		}
	}
	for _, e := range p.AllowedApps {
		sp, role, hasRole := strings.Cut(e, "/")
		if (sp != "*" && !guidRe().MatchString(sp)) || (hasRole && role != "*" && !guidRe().MatchString(role)) {
			bad("POLICY_ALLOWED_APPS", "entries must be spId, spId/appRoleId or spId/* (ids are GUIDs, spId may be *), got %q", e)
		}
	}
	for _, h := range p.AllowedRedirectHosts {
		if h != "*" && !validHost(h) {
			bad("POLICY_ALLOWED_REDIRECT_HOSTS", "entries must be host names such as myapps.microsoft.com (no scheme or path), got %q", h)
		}
	}
	return errs
}

// Warnings lists the entries of the policy that are valid but grant more
// than one would expect: privileged roles among AllowedRoles (each needs
// AllowedPrivilegedRoles too, so one there alone grants nothing, which is
// as surprising). Serve and dev log them at start-up.
func (p Policy) Warnings() []string {
	var out []string
	for _, id := range p.AllowedRoles {
		if id == "*" || !guidRe().MatchString(id) || !IsPrivilegedRole(id) {
			continue
		}
		if names(p.AllowedPrivilegedRoles, id) {
			out = append(out, fmt.Sprintf("POLICY_ALLOWED_ROLES: %s (%s) is a privileged role, and POLICY_ALLOWED_PRIVILEGED_ROLES allows it too: events may grant it", id, roleName(id)))
		} else {
			out = append(out, fmt.Sprintf("POLICY_ALLOWED_ROLES: %s (%s) is a privileged role; events asking for it are refused unless POLICY_ALLOWED_PRIVILEGED_ROLES names it too", id, roleName(id)))
		}
	}
	return out
}

// validDomain reports whether d is a DNS name of at least two labels.
func validDomain(d string) bool {
	return !strings.Contains(d, ":") && validHost(d)
}

// validHost reports whether h is a DNS host name, optionally with a port.
func validHost(h string) bool {
	name, port, hasPort := strings.Cut(strings.ToLower(h), ":")
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) > 63 || !labelRe().MatchString(l) {
			return false
		}
	}
	return true
}
