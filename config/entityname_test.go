package config

import (
	"strings"
	"testing"
)

func TestEntityNameRules(t *testing.T) {
	for _, tc := range []struct {
		name         string
		entity, subs bool // valid as a queue/topic, as a subscription
	}{
		{"onboarding", true, true},
		{"onboarding-outcomes.v2_a", true, true},
		{"tenant/onboarding", true, false},
		{strings.Repeat("a", 50), true, true},
		{strings.Repeat("a", 51), true, false},
		{strings.Repeat("a", 260), true, false},
		{strings.Repeat("a", 261), false, false},
		{"", false, false},
		{"onboarding queue", false, false},
		{"-onboarding", false, false},
		{"onboarding.", false, false},
	} {
		if got := EntityNameRule(tc.name) == ""; got != tc.entity {
			t.Errorf("EntityNameRule(%q) valid = %v, want %v", tc.name, got, tc.entity)
		}
		rule := SubscriptionNameRule(tc.name)
		if got := rule == ""; got != tc.subs {
			t.Errorf("SubscriptionNameRule(%q) valid = %v, want %v", tc.name, got, tc.subs)
		}
		if rule != "" && !strings.Contains(rule, "must be 1 to 50 letters, digits, '.', '-' or '_'") {
			t.Errorf("SubscriptionNameRule(%q) = %q, want the rule named", tc.name, rule)
		}
	}
}
