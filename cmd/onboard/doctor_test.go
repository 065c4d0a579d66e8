package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// TestDoctorCommand: `onboard doctor` against graphsim exits 0 for the
// sample tenant and 1 (with the ✗ and its fix) once a dynamic group is in
// the policy; --json prints the same checks for scripts.
func TestDoctorCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	for k, v := range map[string]string{
		"GRAPH_BASE_URL": srv.URL + "/v1.0", "GRAPH_AUTH": "none", "SCHEDULER": "memory", "STATE_STORE": "memory",
		"ServiceBusConnection": "", "ServiceBusConnection__fullyQualifiedNamespace": "", "ONBOARDING_QUEUE": "",
		"POLICY_ALLOWED_ROLES": graphsim.RoleGuestInviter, "POLICY_ALLOWED_APPS": graphsim.SampleSPPartnerPortal,
	} {
		t.Setenv(k, v)
	}
	doctor := func(groups string, args ...string) (int, string, string) {
		t.Setenv("POLICY_ALLOWED_GROUPS", groups)
		var stdout, stderr strings.Builder
		code := run(context.Background(), append([]string{"doctor", "--app-sp", graphsim.SampleSPOnboarding}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := doctor(graphsim.SampleGroupPartners)
	if code != exitOK || !strings.Contains(out, "✓ graph permissions") || !strings.Contains(out, "0 failed") {
		t.Fatalf("sample tenant: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = doctor(graphsim.SampleGroupPartners + "," + graphsim.SampleGroupDynamic)
	if code != exitFailure || !strings.Contains(out, "✗ group "+graphsim.SampleGroupDynamic) || !strings.Contains(out, "fix: remove it from POLICY_ALLOWED_GROUPS") ||
		!strings.Contains(errOut, "checks failed") {
		t.Fatalf("dynamic group: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = doctor(graphsim.SampleGroupDynamic, "--json")
	var rep struct {
		Pass    bool
		Results []struct{ Check, Status, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &rep); code != exitFailure || err != nil || rep.Pass || len(rep.Results) == 0 {
		t.Fatalf("--json: exit %d, %v: %s", code, err, out)
	}
}
