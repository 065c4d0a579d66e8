//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// exampleOutcome is what sending one file of examples/ to `onboard dev`
// must lead to.
type exampleOutcome struct {
	guest    string // the onboarding's address
	phase    string // "Provisioned", or "" when the event must be refused
	refusal  string // for a refused event: what the dead letter's recorded reason (or send's error) names
	groups   []string
	roles    []string
	apps     [][2]string
	sendArgs func(path string) []string // nil: `send FILE` (a CloudEvent)
}

// examples is the expected outcome of every file in examples/; a file
// without an entry fails the test, so a new example comes with its
// expectation.
var examples = map[string]exampleOutcome{
	"partner-approved.json": {guest: graceMail, phase: "Provisioned",
		groups: []string{graphsim.SampleGroupApollo}, apps: [][2]string{{graphsim.SampleSPWiki, graphsim.DefaultAccessAppRoleID}}},
	"ada.json": {guest: adaMail, phase: "Provisioned",
		groups: []string{graphsim.SampleGroupPartners, graphsim.SampleGroupApollo}, roles: []string{graphsim.RoleGuestInviter},
		apps:     [][2]string{{graphsim.SampleSPPartnerPortal, graphsim.SampleAppRolePortalReader}, {graphsim.SampleSPWiki, graphsim.DefaultAccessAppRoleID}},
		sendArgs: func(p string) []string { return []string{"send", "--type", "partner-approved", "--data", "@" + p} }},
	"poisoned-privileged-role.json": {guest: malloryMail, refusal: "privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES"},
}

// TestExamplesWithTheSampleSettings is the newcomer's path of issue 14:
// `cp local.settings.sample.json local.settings.json` in a folder holding
// examples/, `onboard dev` there with nothing else set, and every example
// sent as docs/dev.md sends it. The valid ones end Provisioned in
// graphsim with what they asked for; the poisoned one is refused by the
// sample's policy and reaches no one.
func TestExamplesWithTheSampleSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs onboard dev as a process")
	}
	bin := buildOnboard(t)
	work := t.TempDir()
	copyFile(t, repoFile("local.settings.sample.json"), filepath.Join(work, "local.settings.json"))
	files, err := filepath.Glob(repoFile("examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	if err := os.Mkdir(filepath.Join(work, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		copyFile(t, f, filepath.Join(work, "examples", filepath.Base(f)))
	}
	env := cleanEnv()
	dev := startDev(t, bin, work, env, "--data-dir", filepath.Join(work, ".onboard"), "--max-delivery-count", "2")
	defer func() {
		if t.Failed() {
			t.Logf("dev stdout:\n%s\ndev stderr:\n%s", dev.stdout, dev.stderr)
		}
	}()
	wholeBanner(t, dev)
	banner := dev.stdout.String()
	for _, want := range []string{"settings    environment + local.settings.json", "sources /procurement/partners"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q (is the sample in use?):\n%s", want, banner)
		}
	}
	run := func(args ...string) (string, string, error) {
		t.Helper()
		return onboardCmd(t, bin, work, env, append(args, "--dev-url", dev.devURL)...)
	}

	refused := map[string]exampleOutcome{} // by file, sent without an error
	for _, f := range files {
		name := filepath.Base(f)
		want, ok := examples[name]
		if !ok {
			t.Errorf("examples/%s has no expected outcome in this test: add one", name)
			continue
		}
		args := []string{"send", filepath.Join("examples", name)}
		if want.sendArgs != nil {
			args = want.sendArgs(filepath.Join("examples", name))
		}
		out, errOut, err := run(args...)
		switch {
		case err == nil:
			if want.phase == "" {
				refused[name] = want
			}
		case want.phase == "" && strings.Contains(errOut, want.refusal):
			// send checked the event itself and refused it (exit 1): fine
			// as long as it names the rule
			t.Logf("send refused %s: %s", name, strings.TrimSpace(errOut))
		default:
			t.Errorf("onboard %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
	}

	for name, want := range examples {
		if want.phase == "" {
			continue
		}
		eventually(t, name+": "+want.guest+" provisioned in graphsim", 20*time.Second, 100*time.Millisecond, func() bool {
			_, ok := provisioned(simState(t, dev.graphsim), want.guest, want.groups, want.roles, want.apps)
			return ok
		})
		out, errOut, err := run("status", want.guest, "--json")
		var rec struct{ Phase string }
		if err != nil || json.Unmarshal([]byte(out), &rec) != nil || rec.Phase != want.phase {
			t.Errorf("%s: status %s: phase %q, want %q (%v %s)", name, want.guest, rec.Phase, want.phase, err, errOut)
		}
	}
	if len(refused) > 0 {
		var list string
		eventually(t, "refused examples dead-lettered", 20*time.Second, 100*time.Millisecond, func() bool {
			list, _, _ = run("dlq", "list")
			for _, want := range refused {
				if !strings.Contains(list, want.refusal) {
					return false
				}
			}
			return strings.Count(list, "MaxDeliveryCountExceeded") == len(refused)
		})
		t.Logf("dlq list:\n%s", list)
	}
	st := simState(t, dev.graphsim)
	for name, want := range examples {
		if want.phase == "" && len(usersWithMail(st, want.guest)) != 0 {
			t.Errorf("%s was refused, yet %s exists in graphsim", name, want.guest)
		}
	}
	if n := len(st.Users) - len(graphsim.SampleSeed().Users); n != countValid() {
		t.Errorf("%d users were created, want %d (one per valid example)", n, countValid())
	}
	dev.stop(t)
}

// countValid is the number of examples that must onboard someone.
func countValid() int {
	n := 0
	for _, e := range examples {
		if e.phase != "" {
			n++
		}
	}
	return n
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
