package graphsim

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// forbiddenAddressChars are the characters Graph refuses in an invited
// address (invitation-post; `+` per the admin documentation).
const forbiddenAddressChars = "~!#$%^&*()+=[]{}\\/|;:\"<>?,"

type address struct {
	local, domain string
}

// parseAddress checks an email address with Graph's invitation rules and
// says which rule a bad address breaks.
func parseAddress(s string) (address, error) {
	if s == "" {
		return address{}, errors.New("the address is empty")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return address{}, errors.New("the address contains white space")
	}
	at := strings.LastIndex(s, "@")
	if at <= 0 || at == len(s)-1 {
		return address{}, fmt.Errorf("'%s' is not of the form local@domain", s)
	}
	a := address{local: s[:at], domain: s[at+1:]}
	if strings.Contains(a.local, "@") {
		return address{}, fmt.Errorf("'%s' contains more than one '@'", s)
	}
	if i := strings.IndexAny(a.local, forbiddenAddressChars); i >= 0 {
		return address{}, fmt.Errorf("character '%c' is not allowed in the local part of '%s'", a.local[i], s)
	}
	if i := strings.IndexAny(a.domain, forbiddenAddressChars); i >= 0 {
		return address{}, fmt.Errorf("character '%c' is not allowed in the domain of '%s'", a.domain[i], s)
	}
	for _, c := range []string{".", "-"} {
		if strings.HasPrefix(a.local, c) || strings.HasSuffix(a.local, c) {
			return address{}, fmt.Errorf("'%s' may not start or end the local part of '%s'", c, s)
		}
	}
	if strings.Contains(a.local, "..") {
		return address{}, fmt.Errorf("the local part of '%s' contains '..'", s)
	}
	if !strings.Contains(a.domain, ".") || strings.HasPrefix(a.domain, ".") || strings.HasSuffix(a.domain, ".") ||
		strings.HasPrefix(a.domain, "-") || strings.Contains(a.domain, "..") {
		return address{}, fmt.Errorf("'%s' is not a valid domain", a.domain)
	}
	return a, nil
}

// isGroupAddress reports whether addr is a seeded group's mail address or
// matches one of the configured group mailbox patterns.
func (t *tenant) isGroupAddress(addr string) bool {
	lower := strings.ToLower(addr)
	for _, g := range t.groups {
		if g.mail != "" && strings.EqualFold(g.mail, addr) {
			return true
		}
	}
	for _, p := range t.groupPatterns {
		if ok, _ := path.Match(strings.ToLower(p), lower); ok {
			return true
		}
	}
	return false
}
