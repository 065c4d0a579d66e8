//go:build unix

package main

// The end-to-end test of issue 16's outcome events: `onboard dev` runs as
// a process, events go in with `onboard send`, and the outcome events are
// read back with `onboard events --json` from the dev runtime's outcomes
// topic (subscription procurement), as a procurement system would see
// them.

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

type seenOutcome struct {
	MessageID string               `json:"messageId"`
	Type      string               `json:"type"`
	Subject   string               `json:"subject"`
	Data      workflow.OutcomeData `json:"data"`
}

func TestDevOutcomeEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs onboard dev as a process")
	}
	bin := buildOnboard(t)
	examples, err := filepath.Abs(repoFile("examples"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	env := cleanEnv("OUTCOME_TYPE_PREFIX=com.contoso.onboarding.")
	dev := startDev(t, bin, work, env, "--in-memory", "--reminder-schedule", "6s,30s", "--expire-after", "60s", "--max-delivery-count", "3")
	defer dev.stop(t)
	defer func() {
		if t.Failed() {
			t.Logf("dev stdout:\n%s\ndev stderr:\n%s", dev.stdout, dev.stderr)
		}
	}()
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := onboardCmd(t, bin, work, env, append(args, "--dev-url", dev.devURL)...)
		if err != nil {
			t.Fatalf("onboard %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	events := func() map[string][]seenOutcome {
		t.Helper()
		byKey := map[string][]seenOutcome{}
		for _, line := range strings.Split(strings.TrimSpace(run("events", "--json")), "\n") {
			if line == "" {
				continue
			}
			var o seenOutcome
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Fatalf("events --json line %q: %v", line, err)
			}
			byKey[o.Data.Key] = append(byKey[o.Data.Key], o)
		}
		return byKey
	}
	types := func(os []seenOutcome) []string {
		var out []string
		for _, o := range os {
			out = append(out, strings.TrimPrefix(o.Type, "com.contoso.onboarding."))
		}
		return out
	}
	const ada, mallory = "ada.lovelace@fabrikam.com", "mallory@contoso.com"
	const p = "com.contoso.onboarding."

	// approve Ada; a poisoned event for Mallory
	run("send", "--type", "partner-approved", "--data", "@"+filepath.Join(examples, "ada.json"))
	run("send", "--no-validate", filepath.Join(examples, "poisoned-privileged-role.json")) // past send's own check, to the handler
	var got map[string][]seenOutcome
	eventually(t, "invited, provisioned and failed outcomes", 20*time.Second, 200*time.Millisecond, func() bool {
		got = events()
		return len(got[ada]) >= 2 && len(got[mallory]) >= 1
	})
	if tt := types(got[ada]); !slices.Equal(tt, []string{workflow.OutcomeInvited, workflow.OutcomeProvisioned}) {
		t.Fatalf("Ada's outcomes after approval: %v, want partner-invited, partner-provisioned", tt)
	}
	prov := got[ada][1]
	if prov.Type != p+workflow.OutcomeProvisioned || prov.Subject != "PR-2026-0042" || prov.Data.GuestID == "" || len(prov.Data.Applied) == 0 {
		t.Errorf("partner-provisioned: %+v", prov)
	}
	failed := got[mallory][0]
	if failed.Type != p+workflow.OutcomeFailed || failed.Subject != "PR-2026-0666" || !strings.Contains(failed.Data.Reason, "privileged") {
		t.Errorf("partner-failed: %+v, want subject PR-2026-0666 and the policy reason", failed)
	}

	// a reminder of another cycle is ignored: no outcome
	run("send", "--type", "reminder-due", "--data", `{"key":"`+ada+`","number":1,"cycle":7,"requestId":"PR-2026-0042"}`)
	eventually(t, "the forged reminder handled", 10*time.Second, 100*time.Millisecond, func() bool {
		return strings.Contains(dev.stderr.String(), "reminder ignored")
	})

	// Ada accepts; the next reminder finds out
	resp, err := http.Post(dev.graphsim+"/_sim/users/"+ada+"/accept", "application/json", nil)
	if err != nil || resp.StatusCode >= 300 {
		t.Fatalf("accept Ada: %v %v", err, resp)
	}
	resp.Body.Close()
	eventually(t, "partner-accepted", 40*time.Second, 200*time.Millisecond, func() bool {
		got = events()
		return slices.Contains(types(got[ada]), workflow.OutcomeAccepted)
	})
	time.Sleep(time.Second) // room for a stray duplicate to show
	got = events()
	tt := types(got[ada])
	for _, typ := range []string{workflow.OutcomeInvited, workflow.OutcomeProvisioned, workflow.OutcomeAccepted} {
		if n := countOf(tt, typ); n != 1 {
			t.Errorf("Ada: %d × %s in %v, want once", n, typ, tt)
		}
	}
	if n := len(tt) - countOf(tt, workflow.OutcomeReminded); n != 3 {
		t.Errorf("Ada's outcomes %v: the ignored reminder or a duplicate added one", tt)
	}
	if n := len(got[mallory]); n != 1 {
		t.Errorf("Mallory: %d outcomes, want one partner-failed across the redeliveries", n)
	}
	// dev's log shows each published outcome in one line
	if n := strings.Count(dev.stderr.String(), "outcome published"); n != len(got[ada])+len(got[mallory]) {
		t.Errorf("dev logged %d published outcomes, the topic holds %d", n, len(got[ada])+len(got[mallory]))
	}
	// the text form names each event
	out := run("events")
	t.Logf("onboard events:\n%s", out)
	if !strings.Contains(out, p+workflow.OutcomeAccepted) || !strings.Contains(out, "reason: ") {
		t.Errorf("onboard events text lacks the accepted event or the failure reason")
	}
}

func countOf(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}
