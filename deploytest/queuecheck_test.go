package deploytest

import (
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/config"
)

// TestQueueAndHostChecksFail shows the shared-queue-settings and
// lock-renewal checks are not rubber stamps: each mutation of the real
// files yields exactly the expected problem.
func TestQueueAndHostChecksFail(t *testing.T) {
	base := baseSources(t)
	if ps := CheckConfig(config.Settings, base); len(ps) > 0 {
		t.Fatalf("unmutated sources must be consistent, got:%s", problemsText(ps))
	}
	cases := []struct {
		name, file, old, new    string
		wantFile, setting, rule string
	}{
		{"bicep hard-codes a property instead of taking it from queue.json", MainBicepPath,
			"lockDuration: queueSettings.lockDuration", "lockDuration: 'PT1M'",
			MainBicepPath, "lockDuration", "must set it to queueSettings.lockDuration (the value onboard dev uses"},
		{"bicep drops a shared property", MainBicepPath,
			"    defaultMessageTimeToLive: queueSettings.defaultMessageTimeToLive\n", "",
			MainBicepPath, "defaultMessageTimeToLive", `got ""`},
		{"bicep loads another file than the one dev uses", MainBicepPath,
			"loadJsonContent('queue.json')", "loadJsonContent('queue-prod.json')",
			MainBicepPath, QueueJSONPath, "no `var … = loadJsonContent('queue.json')`"},
		{"queue.json lock beyond the Service Bus maximum", QueueJSONPath,
			`"lockDuration": "PT5M"`, `"lockDuration": "PT10M"`,
			QueueJSONPath, "", "lockDuration: PT10M is outside the Service Bus range"},
		{"queue.json window shorter than the retry span", QueueJSONPath,
			`"duplicateDetectionHistoryTimeWindow": "P2D"`, `"duplicateDetectionHistoryTimeWindow": "PT1H"`,
			QueueJSONPath, "duplicateDetectionHistoryTimeWindow", "must exceed RETRY_MAX_ELAPSED"},
		{"queue.json without duplicate detection", QueueJSONPath,
			`"requiresDuplicateDetection": true`, `"requiresDuplicateDetection": false`,
			QueueJSONPath, "requiresDuplicateDetection", "must detect duplicates"},
		{"queue.json drops expired messages silently", QueueJSONPath,
			`"deadLetteringOnMessageExpiration": true`, `"deadLetteringOnMessageExpiration": false`,
			QueueJSONPath, "deadLetteringOnMessageExpiration", "must be true"},
		{"queue.json retries a poison message for ever", QueueJSONPath,
			`"maxDeliveryCount": 10`, `"maxDeliveryCount": 500`,
			QueueJSONPath, "maxDeliveryCount", "must be 1..100"},
		{"host.json renews locks for less than functionTimeout", HostJSONPath,
			`"maxAutoLockRenewalDuration": "00:15:00"`, `"maxAutoLockRenewalDuration": "00:05:00"`,
			HostJSONPath, "extensions.serviceBus.maxAutoLockRenewalDuration", "5m0s is shorter than functionTimeout 10m0s"},
		{"host.json functionTimeout raised past the renewal", HostJSONPath,
			`"functionTimeout": "00:10:00"`, `"functionTimeout": "00:20:00"`,
			HostJSONPath, "extensions.serviceBus.maxAutoLockRenewalDuration", "15m0s is shorter than functionTimeout 20m0s"},
		{"host.json functionTimeout unbounded", HostJSONPath,
			`"functionTimeout": "00:10:00"`, `"functionTimeout": "-1"`,
			HostJSONPath, "functionTimeout", "must be bounded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := mutate(base, tc.file, func(s string) string { return replaceOnce(t, s, tc.old, tc.new) })
			got := CheckConfig(config.Settings, src)
			if len(got) != 1 {
				t.Fatalf("got %d problems, want 1:%s", len(got), problemsText(got))
			}
			if p := got[0]; p.File != tc.wantFile || p.Setting != tc.setting || !strings.Contains(p.Rule, tc.rule) {
				t.Fatalf("got %s; want %s: %s: …%s…", p.Error(), tc.wantFile, tc.setting, tc.rule)
			}
		})
	}
}
