package ops

import (
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/config"
)

// The queue comes from --queue, else ONBOARDING_QUEUE (a blank one counts
// as unset), else the fallback; a name breaking Service Bus's rule is an
// error naming where it came from, before anything is sent.
func TestQueueName(t *testing.T) {
	for _, tc := range []struct {
		flag, env string
		envSet    bool
		want, err string
	}{
		{"", "", false, "onboarding", ""},
		{"", "  ", true, "onboarding", ""},
		{"", "partners", true, "partners", ""},
		{"mine", "partners", true, "mine", ""},
		{"", "bad q", true, "", "ONBOARDING_QUEUE: must be 1 to 260 letters"},
		{"-mine", "", false, "", "--queue: must be 1 to 260 letters"},
	} {
		env := map[string]string{}
		if tc.envSet {
			env["ONBOARDING_QUEUE"] = tc.env
		}
		got, err := Target{Queue: tc.flag}.queueName(config.FromMap(env), "onboarding")
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("flag %q env %q: %q, %v; want %q", tc.flag, tc.env, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("flag %q env %q: %q, %v; want error %q", tc.flag, tc.env, got, err, tc.err)
		}
	}
}
