package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Graph's limits for the fields of the form (reference/graph-b2b.md §1–§2).
// MaxMessageLength is our own bound: Graph documents none for
// customizedMessageBody, and a mail body longer than this is a mistake.
const (
	MaxGroups        = 20
	MaxRoles         = 20
	MaxApps          = 20
	MaxSponsors      = 5 // Graph: at most five sponsors per guest (graph-b2b.md §16)
	MaxMessageLength = 4000
)

// forbiddenEmailChars are rejected by POST /invitations in an address.
const forbiddenEmailChars = "~!#$%^&*()+=[]{}\\/|;:\"<>?,"

var (
	guidRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	})
	languageRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`) })
	labelRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`) })
	countryRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{2}$`) })
)

// ParsePartnerApproved decodes and validates the data of a partner-approved
// event and returns the normalized Spec. defaultRedirect is used when the
// event has no redirectUrl. Every problem of the event is reported at once:
// the error is a *ValidationError naming the field and the rule, or an
// ErrorList of them (errors.As finds the first).
func ParsePartnerApproved(data []byte, defaultRedirect string) (Spec, error) {
	problems, ok := CheckJSON(data, reflect.TypeFor[PartnerApproved]())
	if !ok {
		return Spec{}, JoinErrors(problems...)
	}
	var in PartnerApproved
	// What CheckJSON refused stays unset here; the rest is validated below.
	if err := json.Unmarshal(data, &in); err != nil && len(problems) == 0 {
		return Spec{}, jsonError(err)
	}
	spec, err := in.Normalize(defaultRedirect)
	problems = append(problems, notUnder(err, problems)...)
	if len(problems) > 0 {
		return Spec{}, JoinErrors(problems...)
	}
	return spec, nil
}

// notUnder returns the members of err that name neither a field of shape
// nor one inside it: a field whose value had the wrong type is reported
// once, not again as "required".
func notUnder(err error, shape []error) []error {
	var out []error
	for _, e := range unwrapList(err) {
		var ve *ValidationError
		dup := false
		if errors.As(e, &ve) {
			for _, s := range shape {
				var sv *ValidationError
				if errors.As(s, &sv) && (ve.Field == sv.Field || strings.HasPrefix(ve.Field, sv.Field+".") || strings.HasPrefix(ve.Field, sv.Field+"[")) {
					dup = true
					break
				}
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

// unwrapList returns the members of an ErrorList, or err itself.
func unwrapList(err error) []error {
	if l, ok := err.(ErrorList); ok {
		return l
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// jsonError turns a decoding error into a ValidationError naming the field.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "data"
		}
		return &ValidationError{Field: field, Rule: "must be " + jsonKind(typeErr.Type.Kind().String()) + ", got " + typeErr.Value}
	case errors.As(err, &syntaxErr):
		return &ValidationError{Field: "data", Rule: fmt.Sprintf("invalid JSON at offset %d: %v", syntaxErr.Offset, err)}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return &ValidationError{Field: "data", Rule: "invalid JSON: unexpected end of input"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for DisallowUnknownFields; its
		// message is the documented form `json: unknown field "name"`.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" {
			return &ValidationError{Field: "data", Rule: `unknown field "" (an empty name)`}
		}
		return &ValidationError{Field: name, Rule: "unknown field"}
	}
	return &ValidationError{Field: "data", Rule: err.Error()}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "ptr", "map":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "a " + k
}

// Normalize validates the input and returns the Spec. Every invalid field
// is reported (a JoinErrors list of ValidationErrors), not just the first.
func (in PartnerApproved) Normalize(defaultRedirect string) (Spec, error) {
	v := validator{}
	s := Spec{RequestID: strings.TrimSpace(in.RequestID), DisplayName: strings.TrimSpace(in.DisplayName)}
	v.guest(in, &s, defaultRedirect)
	v.invitation(in.Invitation, &s)
	s.Properties, s.ManagerID = v.properties(in, s.DisplayName)
	s.Groups = v.ids("groups", in.Groups, MaxGroups)
	s.Roles = v.ids("roles", in.Roles, MaxRoles)
	s.Apps = v.apps(in.Applications)
	s.Sponsors = v.ids("sponsors", in.Sponsors, MaxSponsors)
	if len(v.errs) > 0 {
		return Spec{}, JoinErrors(v.errs...)
	}
	return s, nil
}

// guest checks who is invited and where they land: request id, email,
// display name, user type and redirect URL.
func (v *validator) guest(in PartnerApproved, s *Spec, defaultRedirect string) {
	if strings.TrimSpace(in.RequestID) == "" {
		v.fail("requestId", "required")
	}
	v.maxLen("requestId", in.RequestID, maxRequestID)

	email, err := NormalizeEmail(in.Email)
	if err != nil {
		v.add(err)
	}
	s.Email = email
	if email != "" && email != strings.TrimSpace(in.Email) {
		s.OriginalEmail = strings.TrimSpace(in.Email)
	}
	v.maxLen("displayName", s.DisplayName, 256)

	switch in.UserType {
	case "", "Guest":
		s.UserType = "Guest"
	case "Member":
		s.UserType = "Member"
	default:
		v.fail("userType", "must be Guest or Member, got "+shown(in.UserType))
	}

	s.RedirectURL = strings.TrimSpace(in.RedirectURL)
	if s.RedirectURL == "" {
		s.RedirectURL = defaultRedirect
	} else if rule := RedirectURLRule(s.RedirectURL); rule != "" {
		v.fail("redirectUrl", rule)
	}
}

// invitation checks the invitation message options; without them the
// invitation is mailed with Graph's default text.
func (v *validator) invitation(inv *InvitationInput, s *Spec) {
	s.SendMessage = true
	if inv == nil {
		return
	}
	if inv.Send != nil {
		s.SendMessage = *inv.Send
	}
	s.Message = inv.Message
	v.maxLen("invitation.message", inv.Message, MaxMessageLength)
	if cc := strings.TrimSpace(inv.CC); cc != "" {
		if err := checkAddress("invitation.cc", strings.ToLower(cc)); err != nil {
			v.add(err)
		}
		s.CC = cc
	}
	if inv.Language != "" && !languageRe().MatchString(inv.Language) {
		v.fail("invitation.language", "must be a language tag such as en-US or nl-NL, got "+shown(inv.Language))
	}
	s.Language = inv.Language
}

// properties checks the user properties of the six admin-center
// categories against Graph's limits, and the manager's id.
func (v *validator) properties(in PartnerApproved, displayName string) (p UserProperties, managerID string) {
	p.DisplayName = displayName
	if id := in.Identity; id != nil {
		p.GivenName = v.text("identity.givenName", id.GivenName, 64)
		p.Surname = v.text("identity.surname", id.Surname, 64)
	}
	if j := in.Job; j != nil {
		p.JobTitle = v.text("job.jobTitle", j.JobTitle, 128)
		p.Department = v.text("job.department", j.Department, 64)
		p.CompanyName = v.text("job.companyName", j.CompanyName, 64)
		p.EmployeeID = v.text("job.employeeId", j.EmployeeID, 16)
		if j.ManagerID != "" {
			v.guid("job.managerId", j.ManagerID)
			managerID = strings.ToLower(j.ManagerID)
		}
	}
	if c := in.Contact; c != nil {
		p.MobilePhone = v.text("contact.mobilePhone", c.MobilePhone, 64)
		p.BusinessPhone = v.text("contact.businessPhone", c.BusinessPhone, 64)
		p.StreetAddress = v.text("contact.streetAddress", c.StreetAddress, 1024)
		p.City = v.text("contact.city", c.City, 128)
		p.State = v.text("contact.state", c.State, 128)
		p.PostalCode = v.text("contact.postalCode", c.PostalCode, 40)
		p.Country = v.text("contact.country", c.Country, 128)
	}
	if pc := in.ParentalControls; pc != nil {
		p.AgeGroup = v.enum("parentalControls.ageGroup", pc.AgeGroup, "Minor", "NotAdult", "Adult")
		p.ConsentProvidedForMinor = v.enum("parentalControls.consentProvidedForMinor", pc.ConsentProvidedForMinor, "Granted", "Denied", "NotRequired")
	}
	if st := in.Settings; st != nil && st.UsageLocation != "" {
		p.UsageLocation = strings.ToUpper(strings.TrimSpace(st.UsageLocation))
		if !countryRe().MatchString(p.UsageLocation) {
			v.fail("settings.usageLocation", "must be an ISO 3166 two-letter country code such as NL, got "+shown(st.UsageLocation))
		}
	}
	return p, managerID
}

// apps checks the application assignments: at most MaxApps, ids as GUIDs
// (lower-cased), the default app role when none is given, duplicates
// dropped.
func (v *validator) apps(in []AppAssignment) []AppAssignment {
	if len(in) > MaxApps {
		v.fail("applications", fmt.Sprintf("at most %d entries, got %d", MaxApps, len(in)))
	}
	var out []AppAssignment
	seen := map[AppAssignment]bool{}
	for i, a := range in {
		f := fmt.Sprintf("applications[%d]", i)
		if a.ServicePrincipalID == "" {
			v.fail(f+".servicePrincipalId", "required")
			continue
		}
		v.guid(f+".servicePrincipalId", a.ServicePrincipalID)
		a.ServicePrincipalID = strings.ToLower(a.ServicePrincipalID)
		if a.AppRoleID == "" {
			a.AppRoleID = DefaultAppRoleID
		} else {
			v.guid(f+".appRoleId", a.AppRoleID)
			a.AppRoleID = strings.ToLower(a.AppRoleID)
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// RedirectURLRule returns the rule an invitation redirect URL breaks, or ""
// when it is an absolute https URL without user info: the guest lands there
// right after redeeming, so plain http (rewritable on the way) and
// "https://trusted@evil.example" look-alikes are refused. Which hosts are
// allowed is policy (POLICY_ALLOWED_REDIRECT_HOSTS).
func RedirectURLRule(raw string) string {
	const rule = "must be an absolute https URL without user info, at most 2048 characters"
	if len(raw) > 2048 {
		return rule
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return rule
	}
	if r := TextRule(raw, false); r != "" {
		return r
	}
	return ""
}

// NormalizeEmail validates an invitee address and returns the form used as
// the onboarding key and sent to Graph: trimmed, lower case, with a "+tag"
// removed from the local part (Entra does not support plus addresses).
func NormalizeEmail(raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" {
		return "", &ValidationError{Field: "email", Rule: "required"}
	}
	local, domain, ok := strings.Cut(e, "@")
	if ok {
		if i := strings.IndexByte(local, '+'); i >= 0 {
			local = local[:i]
		}
		e = local + "@" + domain
	}
	if err := checkAddress("email", e); err != nil {
		return "", err
	}
	return e, nil
}

// checkAddress applies Graph's invitation address rules to a lower-case address.
func checkAddress(field, e string) error {
	fail := func(rule string) error { return &ValidationError{Field: field, Rule: rule} }
	if !utf8.ValidString(e) || len(e) > 254 {
		return fail("must be a valid address of at most 254 characters")
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || strings.Contains(domain, "@") {
		// The value is personal data and invalid: shown masked, never as sent.
		return fail("must contain exactly one @, got " + shown(maskAddress(e)))
	}
	if local == "" || len(local) > 64 {
		return fail("the part before @ must have 1 to 64 characters")
	}
	if i := strings.IndexAny(local, forbiddenEmailChars); i >= 0 {
		return fail(fmt.Sprintf("must not contain %q (Graph rejects ~ ! # $ %% ^ & * ( ) + = [ ] { } \\ / | ; : \" < > ? ,)", local[i]))
	}
	for _, r := range local {
		if r <= ' ' || r > '~' {
			return fail(fmt.Sprintf("must not contain %q", r))
		}
	}
	if strings.ContainsAny(local[:1], ".-") || strings.ContainsAny(local[len(local)-1:], ".-") {
		return fail("the part before @ must not start or end with . or -")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fail(fmt.Sprintf("domain %q must have at least two labels", domain))
	}
	for _, l := range labels {
		if len(l) > 63 || !labelRe().MatchString(l) {
			return fail(fmt.Sprintf("domain %q is not a valid host name", domain))
		}
	}
	return nil
}

// maskAddress masks an address that failed validation, for the error
// text: MaskEmail when it has an '@' (the last one splits it), else all
// but its first character.
func maskAddress(s string) string {
	if strings.Contains(s, "@") {
		return MaskEmail(s)
	}
	if s == "" {
		return s
	}
	return string([]rune(s)[:1]) + "***"
}

// validator collects every field's error, so that one reply lists them all.
type validator struct{ errs []error }

func (v *validator) add(err error) { v.errs = append(v.errs, err) }

func (v *validator) fail(field, rule string) { v.add(&ValidationError{Field: field, Rule: rule}) }

func (v *validator) maxLen(field, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		v.fail(field, fmt.Sprintf("at most %d characters, got %d", n, utf8.RuneCountInString(s)))
	}
}

func (v *validator) text(field, s string, n int) string {
	s = strings.TrimSpace(s)
	v.maxLen(field, s, n)
	return s
}

func (v *validator) enum(field, s string, allowed ...string) string {
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	v.fail(field, fmt.Sprintf("must be one of %s, got %s", strings.Join(allowed, ", "), shown(s)))
	return ""
}

func (v *validator) guid(field, s string) {
	if !guidRe().MatchString(s) {
		v.fail(field, "must be an object id (GUID), got "+shown(s))
	}
}

// ids validates a list of object ids, lower-cases them and drops repeats.
func (v *validator) ids(field string, in []string, max int) []string {
	if len(in) > max {
		v.fail(field, fmt.Sprintf("at most %d entries, got %d", max, len(in)))
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for i, id := range in {
		v.guid(fmt.Sprintf("%s[%d]", field, i), id)
		id = strings.ToLower(id)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
