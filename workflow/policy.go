package workflow

import (
	"fmt"
	"strings"
)

// Policy decides which events, addresses and assignments are acceptable.
// An empty allow-list allows nothing; the single entry "*" allows anything.
type Policy struct {
	AllowedGroups  []string
	AllowedRoles   []string
	AllowedApps    []string // resource service principal ids
	AllowedSources []string // CloudEvent sources
	// AllowedPrivilegedRoles lists privileged role ids that may be assigned
	// (they must be in AllowedRoles too). "*" allows every privileged role.
	AllowedPrivilegedRoles []string
	// AllowedDomains, when non-empty, is the only set of email domains accepted.
	AllowedDomains []string
	// BlockedDomains are refused.
	BlockedDomains []string
}

// PrivilegedRoles are the built-in directory roles (by template id) that
// Microsoft labels PRIVILEGED: they can change security settings,
// credentials or other roles, so they are refused unless explicitly allowed.
var PrivilegedRoles = map[string]string{
	"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
	"e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
	"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
	"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
	"158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
	"c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
	"0526716b-113d-4c15-b2c8-68e3c22b9f80": "Authentication Policy Administrator",
	"b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
	"29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
	"3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
	"8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
	"966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
	"8329153b-31d0-4727-b945-745eb3bc5f31": "Domain Name Administrator",
	"be2f45a1-457d-42af-a067-6ec1fa63bc45": "External Identity Provider Administrator",
	"d29b2b05-8046-44ba-8758-1e26182fcf32": "Directory Synchronization Accounts",
	"9360feb5-f418-4baa-8175-e2a00bac4301": "Directory Writers",
	"e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8": "Partner Tier2 Support",
	"4ba39ca4-527c-499a-b93d-d9b492c50246": "Partner Tier1 Support",
}

func allows(list []string, v string) bool {
	for _, a := range list {
		if a == "*" || strings.EqualFold(a, v) {
			return true
		}
	}
	return false
}

// CheckSource refuses events from CloudEvent sources that are not allow-listed.
func (p Policy) CheckSource(source string) error {
	if !allows(p.AllowedSources, source) {
		return &PolicyError{Field: "source", Rule: fmt.Sprintf("CloudEvent source %q is not in POLICY_ALLOWED_SOURCES", source)}
	}
	return nil
}

// Check applies the domain rules and the allow-lists to a spec.
func (p Policy) Check(s Spec) error {
	_, domain, _ := strings.Cut(s.Email, "@")
	for _, b := range p.BlockedDomains {
		if domainMatches(domain, b) {
			return &PolicyError{Field: "email", Rule: fmt.Sprintf("domain %q is blocked (POLICY_BLOCKED_DOMAINS)", domain)}
		}
	}
	if len(p.AllowedDomains) > 0 {
		ok := false
		for _, a := range p.AllowedDomains {
			ok = ok || a == "*" || domainMatches(domain, a)
		}
		if !ok {
			return &PolicyError{Field: "email", Rule: fmt.Sprintf("domain %q is not in POLICY_ALLOWED_DOMAINS", domain)}
		}
	}
	for i, g := range s.Groups {
		if !allows(p.AllowedGroups, g) {
			return &PolicyError{Field: fmt.Sprintf("groups[%d]", i), Rule: fmt.Sprintf("group %s is not in POLICY_ALLOWED_GROUPS", g)}
		}
	}
	for i, r := range s.Roles {
		field := fmt.Sprintf("roles[%d]", i)
		if name, privileged := PrivilegedRoles[r]; privileged && !allows(p.AllowedPrivilegedRoles, r) {
			return &PolicyError{Field: field, Rule: fmt.Sprintf("role %s (%s) is privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES", r, name)}
		}
		if !allows(p.AllowedRoles, r) {
			return &PolicyError{Field: field, Rule: fmt.Sprintf("role %s is not in POLICY_ALLOWED_ROLES", r)}
		}
	}
	for i, a := range s.Apps {
		if !allows(p.AllowedApps, a.ServicePrincipalID) {
			return &PolicyError{Field: fmt.Sprintf("applications[%d].servicePrincipalId", i), Rule: fmt.Sprintf("application %s is not in POLICY_ALLOWED_APPS", a.ServicePrincipalID)}
		}
	}
	return nil
}

// domainMatches reports whether domain is rule or a subdomain of it.
func domainMatches(domain, rule string) bool {
	rule = strings.ToLower(strings.TrimPrefix(rule, "@"))
	return domain == rule || strings.HasSuffix(domain, "."+rule)
}
