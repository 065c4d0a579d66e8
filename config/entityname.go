package config

import "fmt"

// EntityNameRule returns the Service Bus naming rule a queue, topic or
// subscription name breaks, or "" when it keeps it: 1 to 260 letters,
// digits, '.', '-', '_' or '/', starting and ending with a letter or
// digit. Checked at start-up (ONBOARDING_QUEUE, OUTCOMES_TOPIC) so that a
// mistyped name is reported once, by name, instead of failing every send.
func EntityNameRule(name string) string {
	const rule = "must be 1 to 260 letters, digits, '.', '-', '_' or '/', starting and ending with a letter or digit"
	if name == "" || len(name) > 260 {
		return fmt.Sprintf("%s, got %q", rule, name)
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !alnum(c) && c != '.' && c != '-' && c != '_' && c != '/' {
			return fmt.Sprintf("%s, got %q", rule, name)
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return fmt.Sprintf("%s, got %q", rule, name)
	}
	return ""
}
