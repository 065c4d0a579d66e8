package devrun

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/graphsim"
)

// TestStartupDoctor: dev prints doctor's summary, and above it each check
// that did not pass with its fix (here a dynamic group in the policy and
// a queue without duplicate detection).
func TestStartupDoctor(t *testing.T) {
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	settings := map[string]string{
		"GRAPH_BASE_URL": srv.URL + "/v1.0", "GRAPH_AUTH": "none", "SCHEDULER": "memory", "STATE_STORE": "memory",
		"POLICY_ALLOWED_GROUPS": graphsim.SampleGroupPartners + "," + graphsim.SampleGroupDynamic,
	}
	cfg, err := config.Load(config.FromMap(settings))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := &runtime{stdout: &out, cfg: cfg, sim: sim, appLog: slog.New(slog.DiscardHandler),
		queue: devhost.NewQueue("onboarding", devhost.QueueOptions{DuplicateDetectionWindow: -1})}
	r.doctor()
	got := out.String()
	for _, want := range []string{"✗ group " + graphsim.SampleGroupDynamic, "has dynamic membership", "fix: remove it from POLICY_ALLOWED_GROUPS",
		"✗ service bus queue", "duplicate detection is off", "! graph permissions", "doctor: 4 ok, 2 failed, 1 warnings\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("dev's doctor output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "✓") {
		t.Errorf("passing checks printed:\n%s", got)
	}
}
