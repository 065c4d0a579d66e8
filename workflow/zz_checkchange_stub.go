package workflow

import "fmt"

// TEMPORARY: replaced by policy.go's CheckChange at merge

// CheckChange applies today's allow-lists to one desired change: groups,
// roles (privileged ones need POLICY_ALLOWED_PRIVILEGED_ROLES too) and
// apps. It returns a *PolicyError for a refused assignment.
func (p Policy) CheckChange(c Change) error {
	switch c.Kind {
	case ChangeGroup:
		if !allows(p.AllowedGroups, c.ID) {
			return &PolicyError{Field: "groups", Rule: fmt.Sprintf("group %s is not in POLICY_ALLOWED_GROUPS", c.ID)}
		}
	case ChangeRole:
		if name, privileged := PrivilegedRoles[c.ID]; privileged && !allows(p.AllowedPrivilegedRoles, c.ID) {
			return &PolicyError{Field: "roles", Rule: fmt.Sprintf("role %s (%s) is privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES", c.ID, name)}
		}
		if !allows(p.AllowedRoles, c.ID) {
			return &PolicyError{Field: "roles", Rule: fmt.Sprintf("role %s is not in POLICY_ALLOWED_ROLES", c.ID)}
		}
	case ChangeApp:
		if !allows(p.AllowedApps, c.ID) {
			return &PolicyError{Field: "applications", Rule: fmt.Sprintf("application %s is not in POLICY_ALLOWED_APPS", c.ID)}
		}
	}
	return nil
}
