package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/config"
)

// TestBuildWarns: each memory mode and each settings warning is logged at
// WARN when the app is built (serve's start-up; dev overrides both
// memory modes, so it does not warn about them).
func TestBuildWarns(t *testing.T) {
	const globalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	for _, tc := range []struct {
		name     string
		settings map[string]string
		want     []string
	}{
		{"memory modes", map[string]string{"SCHEDULER": "memory", "STATE_STORE": "memory"},
			[]string{"level=WARN msg=\"STATE_STORE=memory: onboarding records and the failure log live in this process only", "level=WARN msg=\"SCHEDULER=memory: reminders and retries live in this process only"}},
		{"privileged role", map[string]string{"SCHEDULER": "memory", "STATE_STORE": "memory", "POLICY_ALLOWED_ROLES": globalAdmin},
			[]string{"level=WARN msg=\"POLICY_ALLOWED_ROLES: " + globalAdmin + " (Global Administrator) is a privileged role"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := map[string]string{"GRAPH_BASE_URL": "http://127.0.0.1:1/v1.0", "GRAPH_AUTH": "none"}
			for k, v := range tc.settings {
				settings[k] = v
			}
			cfg, err := config.Load(config.FromMap(settings))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			a, err := Build(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			a.Close(context.Background())
			for _, w := range tc.want {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("logs lack %q:\n%s", w, logs.String())
				}
			}
		})
	}
}
