package deploytest

import (
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/config"
)

// TestOutcomesTopicChecksFail shows the outcomes-topic check is no rubber
// stamp: each mutation of the real main.bicep yields the expected problem.
func TestOutcomesTopicChecksFail(t *testing.T) {
	base := baseSources(t)
	if ps := CheckConfig(config.Settings, base); len(ps) > 0 {
		t.Fatalf("unmutated sources must be consistent, got:%s", problemsText(ps))
	}
	for _, tc := range []struct{ name, old, new, rule string }{
		{"no duplicate detection", "    requiresDuplicateDetection: true\n", "    requiresDuplicateDetection: false\n", "requiresDuplicateDetection: true"},
		{"no procurement subscription", "  name: 'procurement'\n", "  name: 'audit'\n", `no subscription "procurement"`},
		{"Data Sender on the namespace only", "  scope: outcomesTopic\n", "  scope: serviceBus\n", "no role assignment of Data Sender"},
		{"setting names another topic", "  OUTCOMES_TOPIC: outcomesTopic.name\n", "  OUTCOMES_TOPIC: 'events'\n", "app setting is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := mutate(base, MainBicepPath, func(s string) string { return replaceOnce(t, s, tc.old, tc.new) })
			got := CheckConfig(config.Settings, src)
			if len(got) != 1 || got[0].File != MainBicepPath || !strings.Contains(got[0].Rule, tc.rule) {
				t.Fatalf("got %d problem(s):%s\nwant one in %s: …%s…", len(got), problemsText(got), MainBicepPath, tc.rule)
			}
		})
	}
}
