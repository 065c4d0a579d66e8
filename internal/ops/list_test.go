package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/internal/devrun"
	"github.com/b2b-onboarding/onboard/workflow"
)

// clean runs a test without local.settings.json and Service Bus settings.
func clean(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	for _, name := range []string{"ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace", "ONBOARDING_QUEUE"} {
		t.Setenv(name, "")
	}
}

func TestList(t *testing.T) {
	clean(t)
	_, st, url := devDLQServer(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.Local)
	for _, r := range []*workflow.Record{
		{Key: "ada@fabrikam.com", Phase: workflow.PhaseProvisioned, GuestID: "g-ada", Invite: workflow.InviteState{EmailsSent: 2},
			Reminders: workflow.ReminderState{Sent: 1, Next: 2, NextDue: now.Add(40 * time.Second)}},
		{Key: "grace@contoso.com", Phase: workflow.PhaseCompleted, GuestID: "g-grace", Invite: workflow.InviteState{EmailsSent: 1}},
		{Key: "mallory@contoso.com", Phase: workflow.PhaseFailed, Failure: &workflow.Failure{Reason: "policy: roles[0]: privileged"}},
	} {
		if err := st.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	target := Target{DevURL: url, DevURLGiven: true}
	for _, tc := range []struct {
		name    string
		o       ListOptions
		want    []string // lines, exactly
		wantErr string
	}{
		{"all", ListOptions{}, []string{
			"KEY                  PHASE        GUEST    EMAILS  NEXT REMINDER  LAST ERROR",
			"ada@fabrikam.com     Provisioned  g-ada    2       #2 12:00:40    -",
			"grace@contoso.com    Completed    g-grace  1       -              -",
			"mallory@contoso.com  Failed       -        0       -              policy: roles[0]: privileged"}, ""},
		{"one phase, any case", ListOptions{Phase: "failed"}, []string{
			"KEY                  PHASE   GUEST  EMAILS  NEXT REMINDER  LAST ERROR",
			"mallory@contoso.com  Failed  -      0       -              policy: roles[0]: privileged"}, ""},
		{"none in the phase", ListOptions{Phase: "Expired"}, []string{"no Expired onboardings in " + url}, ""},
		{"bad phase", ListOptions{Phase: "Done"}, nil, `--phase "Done": must be one of New, Invited, Provisioned, Completed, Expired, Failed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Target = target
			var out bytes.Buffer
			err := List(ctx, tc.o, &out, now)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Split(strings.TrimRight(out.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), strings.Join(tc.want, "\n"))
			}
		})
	}
	var out bytes.Buffer
	if err := List(ctx, ListOptions{Phase: "Completed", JSON: true, Target: target}, &out, now); err != nil {
		t.Fatal(err)
	}
	var recs []workflow.Record
	if err := json.Unmarshal(out.Bytes(), &recs); err != nil || len(recs) != 1 || recs[0].Key != "grace@contoso.com" {
		t.Errorf("--json: %v %s", err, out.String())
	}
	if err := List(ctx, ListOptions{Target: Target{DevURL: "http://127.0.0.1:1", DevURLGiven: true}}, &out, now); err == nil || !strings.Contains(err.Error(), "is `onboard dev` running?") {
		t.Errorf("unreachable dev runtime: %v", err)
	}
}

// TestStatusOfAnUnknownAddress: a refused event leaves no onboarding; status
// points to the dead letters and shows the one naming the address (its
// event's data, the recorded onboarding key) with its reason.
func TestStatusOfAnUnknownAddress(t *testing.T) {
	clean(t)
	q, st, url := devDLQServer(t)
	ctx := context.Background()
	poison(t, q, "0bad", []byte(`{"specversion":"1.0","id":"0bad","type":"partner-approved","source":"/elsewhere","data":{"requestId":"PR-9","email":"Mallory+x@Contoso.com"}}`))
	if err := st.SaveFailure(ctx, workflow.Failure{MessageID: "0bad", Reason: "policy: source: CloudEvent source \"/elsewhere\" is not in POLICY_ALLOWED_SOURCES", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, out, err string
	}{
		{"mallory@contoso.com", "mallory@contoso.com: no onboarding; dead-lettered event naming it:\n  message 0bad  ", "no onboarding found for mallory@contoso.com (1 dead letter above)"},
		{"PR-9", "policy: source: CloudEvent source \"/elsewhere\" is not in POLICY_ALLOWED_SOURCES\n    onboard dlq show 0bad\n", "(1 dead letter above)"},
		{"ada@fabrikam.com", "", "no onboarding found for ada@fabrikam.com; an event that was refused or invalid leaves none: its dead letter says why (`onboard dlq list`)"},
	} {
		var out bytes.Buffer
		err := Status(ctx, StatusOptions{Key: tc.key, DevURL: url}, &out, time.Now())
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.key, err, tc.err)
		}
		if !strings.Contains(out.String(), tc.out) || (tc.out == "" && out.Len() > 0) {
			t.Errorf("%s: stdout %q, want %q", tc.key, out.String(), tc.out)
		}
	}
}

// TestSendAsksTheRunningDev: send judges an event by the settings of the
// dev runtime that will handle it (its POST /_dev/validate), not by the
// shell's: a privileged role the running dev allows is sent, one it
// refuses is not.
func TestSendAsksTheRunningDev(t *testing.T) {
	clean(t)
	const globalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	event := writeFile(t, "e.json", `{"specversion":"1.0","type":"partner-approved","source":"/procurement/partners","id":"pa-1",
 "data":{"requestId":"PR-1","email":"ada@fabrikam.com","roles":["`+globalAdmin+`"]}}`)
	for _, tc := range []struct {
		name   string
		policy workflow.Policy
		sent   bool
	}{
		{"dev allows it", workflow.Policy{AllowedSources: []string{"*"}, AllowedRoles: []string{globalAdmin}, AllowedPrivilegedRoles: []string{globalAdmin}}, true},
		{"dev refuses it", workflow.Policy{AllowedSources: []string{"*"}, AllowedRoles: []string{"*"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, url := devOps(t)
			mux := http.NewServeMux()
			mux.Handle("POST /_dev/validate", devrun.ValidateHandler(tc.policy, workflow.Config{}))
			mux.Handle("/", proxyTo(t, url))
			srv := httptest.NewServer(mux)
			defer srv.Close()
			var out, errOut bytes.Buffer
			err := Send(context.Background(), SendOptions{Event: EventSpec{File: event}, Target: Target{DevURL: srv.URL, DevURLGiven: true, Queue: "onboarding"}}, &out, &errOut)
			q, qerr := b.Queue("onboarding")
			if qerr != nil {
				t.Fatal(qerr)
			}
			if sent := q.Stats().Active == 1; sent != tc.sent || (err == nil) != tc.sent {
				t.Fatalf("sent %v (%v), want %v\nstderr: %s", sent, err, tc.sent, errOut.String())
			}
			if !tc.sent && !strings.Contains(errOut.String(), "policy: roles[0]: role "+globalAdmin+" (Global Administrator) is privileged") {
				t.Errorf("stderr %q: want the running dev's reason", errOut.String())
			}
		})
	}
}

// proxyTo forwards requests to url.
func proxyTo(t *testing.T, url string) http.Handler {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}
