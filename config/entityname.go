package config

import (
	"fmt"
	"strings"
)

// EntityNameRule returns the Service Bus naming rule a queue or topic name
// breaks, or "" when it keeps it: 1 to 260 letters, digits, '.', '-', '_'
// or '/', starting and ending with a letter or digit. Checked at start-up
// (ONBOARDING_QUEUE, OUTCOMES_TOPIC) so that a mistyped name is reported
// once, by name, instead of failing every send.
func EntityNameRule(name string) string {
	return nameRule(name, 260, "letters, digits, '.', '-', '_' or '/'", "./-_")
}

// SubscriptionNameRule returns the Service Bus naming rule a topic
// subscription's name breaks, or "" when it keeps it: 1 to 50 letters,
// digits, '.', '-' or '_' (no '/', unlike a queue or topic), starting and
// ending with a letter or digit.
func SubscriptionNameRule(name string) string {
	return nameRule(name, 50, "letters, digits, '.', '-' or '_'", ".-_")
}

// nameRule checks name against "1 to max of the alphanumerics plus
// punct, starting and ending with a letter or digit".
func nameRule(name string, max int, chars, punct string) string {
	rule := fmt.Sprintf("must be 1 to %d %s, starting and ending with a letter or digit, got %q", max, chars, name)
	if name == "" || len(name) > max {
		return rule
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := 0; i < len(name); i++ {
		if c := name[i]; !alnum(c) && strings.IndexByte(punct, c) < 0 {
			return rule
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return rule
	}
	return ""
}
