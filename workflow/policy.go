package workflow

// Policy decides which events, addresses and assignments are acceptable.
// An empty allow-list allows nothing; the single entry "*" allows anything.
type Policy struct {
	AllowedGroups  []string
	AllowedRoles   []string
	AllowedApps    []string // resource service principal ids
	AllowedSources []string // CloudEvent sources
	// AllowedPrivilegedRoles lists privileged role ids that may be assigned
	// (they must be in AllowedRoles too).
	AllowedPrivilegedRoles []string
	// AllowedDomains, when non-empty, is the only set of email domains accepted.
	AllowedDomains []string
	// BlockedDomains are refused.
	BlockedDomains []string
}
