package ops

import (
	"context"
	"io"
	"strings"
	"testing"
)

// An OUTCOMES_TOPIC breaking Service Bus's naming rule is reported by
// setting and rule before the topic is read.
func TestEventsChecksOutcomesTopicSetting(t *testing.T) {
	t.Chdir(t.TempDir()) // no local.settings.json
	t.Setenv("OUTCOMES_TOPIC", "onboarding outcomes")
	err := Events(context.Background(), EventsOptions{Target: Target{DevURL: "http://127.0.0.1:1", DevURLGiven: true}}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "OUTCOMES_TOPIC: must be 1 to 260 letters") {
		t.Fatalf("err = %v, want OUTCOMES_TOPIC's rule", err)
	}
}
