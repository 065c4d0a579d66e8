package workflow

import (
	"regexp"
	"strings"
	"sync"
)

// emailPattern finds addresses in free text (RFC 5322 atext local part, a
// dotted domain of letters, digits and hyphens).
var emailPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")
})

// MaskEmail hides the local part of an email address except its first
// character, so logs can be correlated by domain and initial without
// exposing personal data (DESIGN §5): "ada.lovelace@fabrikam.com" →
// "a***@fabrikam.com". A value without '@' is returned unchanged; an empty
// local part becomes "***".
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email
	}
	local, domain := email[:at], email[at+1:]
	if local == "" {
		return "***@" + domain
	}
	return string([]rune(local)[0]) + "***@" + domain
}

// MaskEmails masks every email address found in s (see MaskEmail): error
// texts, message ids such as "ada@fabrikam.com/reminder/1", details.
func MaskEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return emailPattern().ReplaceAllStringFunc(s, MaskEmail)
}
