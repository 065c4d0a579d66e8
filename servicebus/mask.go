package servicebus

import "regexp"

// emailInText matches e-mail addresses embedded in message ids such as
// "ada.lovelace@fabrikam.com/reminder/1".
var emailInText = regexp.MustCompile(`([A-Za-z0-9._%+'!#$&*=?^{|}~-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})`)

// maskID hides the local part of any e-mail address in s (keeping its
// first character and the domain), because our message ids carry the
// onboarding key, a normalized e-mail, and DESIGN.md §5 says logs mask
// e-mail addresses.
func maskID(s string) string {
	return emailInText.ReplaceAllStringFunc(s, func(addr string) string {
		m := emailInText.FindStringSubmatch(addr)
		return m[1][:1] + "***@" + m[2]
	})
}
