package graphsim

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

type propKind int

const (
	kindString propKind = iota
	kindBool
	kindStrings
	kindDateTime
)

// propRule is what PATCH /users/{id} accepts for one property: Graph's max
// lengths and enumerations (msgraph-sdk-go models/user.go, user-update).
type propRule struct {
	name     string
	kind     propKind
	max      int      // max length of a string (or of each item)
	maxItems int      // max items of a collection
	enum     []string // allowed values; nil entry allowed when nullable
	nullable bool
	readOnly bool
	check    func(string) string // extra rule; returns a problem or ""
}

var (
	reUsageLocation = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z]{2}$`) })
	reLanguage      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`) })
)

// userProperties lists the user properties the simulator knows. Unknown
// properties in a PATCH are refused like Graph does.
var userProperties = []propRule{
	{name: "id", readOnly: true},
	{name: "accountEnabled", kind: kindBool},
	{name: "ageGroup", enum: []string{"Minor", "NotAdult", "Adult"}, nullable: true},
	{name: "businessPhones", kind: kindStrings, max: 64, maxItems: 1},
	{name: "city", max: 128, nullable: true},
	{name: "companyName", max: 64, nullable: true},
	{name: "consentProvidedForMinor", enum: []string{"Granted", "Denied", "NotRequired"}, nullable: true},
	{name: "country", max: 128, nullable: true},
	{name: "createdDateTime", kind: kindDateTime, readOnly: true},
	{name: "creationType", readOnly: true},
	{name: "department", max: 64, nullable: true},
	{name: "displayName", max: 256},
	{name: "employeeHireDate", kind: kindDateTime, nullable: true},
	{name: "employeeId", max: 16, nullable: true},
	{name: "employeeType", max: 64, nullable: true},
	{name: "externalUserState", readOnly: true},
	{name: "externalUserStateChangeDateTime", kind: kindDateTime, readOnly: true},
	{name: "givenName", max: 64, nullable: true},
	{name: "jobTitle", max: 128, nullable: true},
	{name: "legalAgeGroupClassification", readOnly: true},
	{name: "mail", max: 256, nullable: true, check: checkSMTP},
	{name: "mailNickname", max: 64},
	{name: "mobilePhone", max: 64, nullable: true},
	{name: "officeLocation", max: 128, nullable: true},
	{name: "otherMails", kind: kindStrings, max: 250, maxItems: 250, check: checkSMTP},
	{name: "postalCode", max: 40, nullable: true},
	{name: "preferredLanguage", nullable: true, check: func(s string) string {
		if !reLanguage().MatchString(s) {
			return "must be an ISO 639-1 language code such as en-US"
		}
		return ""
	}},
	{name: "proxyAddresses", kind: kindStrings, readOnly: true},
	{name: "state", max: 128, nullable: true},
	{name: "streetAddress", max: 1024, nullable: true},
	{name: "surname", max: 64, nullable: true},
	{name: "usageLocation", nullable: true, check: func(s string) string {
		if !reUsageLocation().MatchString(s) {
			return "must be a two-letter ISO 3166 country code"
		}
		return ""
	}},
	{name: "userPrincipalName", max: 113, check: checkSMTP},
	{name: "userType", enum: []string{"Member", "Guest"}},
}

// userDefaultSelect is what GET /users returns without $select (Graph's
// default property set).
var userDefaultSelect = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail",
	"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

func userRule(name string) (propRule, bool) {
	for _, r := range userProperties {
		if strings.EqualFold(r.name, name) {
			return r, true
		}
	}
	return propRule{}, false
}

func checkSMTP(s string) string {
	for _, r := range s {
		if r > 127 {
			return "must be an SMTP address without accents or non-ASCII characters"
		}
	}
	if _, err := parseAddress(s); err != nil {
		return err.Error()
	}
	return ""
}

// validateUserPatch checks a PATCH body against userProperties and returns
// the normalized changes (canonical property name → JSON value).
func validateUserPatch(body map[string]any) (map[string]any, *graphError) {
	out := map[string]any{}
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		r, ok := userRule(k)
		if !ok {
			return nil, badRequest("Property '%s' does not exist as a declared property or extension property.", k)
		}
		if r.readOnly {
			return nil, badRequest("Property '%s' is read-only and cannot be set.", r.name)
		}
		nv, problem := checkValue(r, v)
		if problem != "" {
			return nil, invalidProperty(r.name, "User", problem)
		}
		out[r.name] = nv
	}
	return out, nil
}

func checkValue(r propRule, v any) (any, string) {
	if v == nil {
		if r.nullable || r.kind == kindStrings {
			if r.kind == kindStrings {
				return []any{}, ""
			}
			return nil, ""
		}
		return nil, "cannot be null"
	}
	switch r.kind {
	case kindBool:
		if _, ok := v.(bool); !ok {
			return nil, "must be true or false"
		}
		return v, ""
	case kindDateTime:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a date-time string (RFC 3339)"
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return nil, "must be a date-time string (RFC 3339)"
		}
		return s, ""
	case kindStrings:
		l, ok := v.([]any)
		if !ok {
			return nil, "must be a collection of strings"
		}
		if r.maxItems > 0 && len(l) > r.maxItems {
			if r.maxItems == 1 {
				return nil, "only one value can be set"
			}
			return nil, fmt.Sprintf("at most %d values can be set", r.maxItems)
		}
		for _, it := range l {
			s, ok := it.(string)
			if !ok {
				return nil, "must be a collection of strings"
			}
			if p := checkString(r, s); p != "" {
				return nil, p
			}
		}
		return l, ""
	default:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a string"
		}
		if p := checkString(r, s); p != "" {
			return nil, p
		}
		if r.enum != nil {
			for _, e := range r.enum {
				if strings.EqualFold(e, s) {
					return e, ""
				}
			}
			allowed := strings.Join(r.enum, ", ")
			if r.nullable {
				allowed = "null, " + allowed
			}
			return nil, fmt.Sprintf("'%s' is not one of %s", s, allowed)
		}
		if r.name == "usageLocation" {
			return strings.ToUpper(s), ""
		}
		return s, ""
	}
}

func checkString(r propRule, s string) string {
	if r.max > 0 && len([]rune(s)) > r.max {
		return fmt.Sprintf("at most %d characters are allowed, got %d", r.max, len([]rune(s)))
	}
	if r.check != nil {
		return r.check(s)
	}
	return ""
}
