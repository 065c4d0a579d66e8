package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/internal/devrun"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

func TestTableRendering(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    table
		want string
	}{
		{"padded columns, last not padded", table{header: []string{"ID", "N", "WHY"}, rows: [][]string{{"a", "10", "x"}, {"long-id", "2", ""}}},
			"ID       N   WHY\na        10  x\nlong-id  2\n"},
		{"cut with max width, runes counted", table{header: []string{"NAME", "X"}, max: []int{5}, rows: [][]string{{"émilie-dupont", "1"}, {"äb", "2"}}},
			"NAME   X\némil…  1\näb     2\n"},
		{"newlines flattened", table{header: []string{"A", "B"}, rows: [][]string{{"x\ny", "z"}}},
			"A    B\nx y  z\n"},
		{"header only", table{header: []string{"A", "B"}}, "A  B\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.t.write(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tc.want)
			}
		})
	}
	var tb table
	tb.header = []string{"A", "B"}
	tb.add("1", "2", "3") // extra cell dropped
	tb.add("4")           // missing cell empty
	var b bytes.Buffer
	tb.write(&b)
	if b.String() != "A  B\n1  2\n4\n" {
		t.Errorf("add: %q", b.String())
	}
}

// devDLQServer is the dev runtime's ops surface: the devhost ops API plus
// dev's failures route, over a real broker and state store.
func devDLQServer(t *testing.T) (*devhost.Queue, workflow.Store, string) {
	t.Helper()
	b, err := devhost.NewBroker(devhost.BrokerOptions{Queue: devhost.QueueOptions{MaxDeliveryCount: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	q, err := b.Queue("onboarding")
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory()
	mux := http.NewServeMux()
	mux.Handle("GET /_dev/failures/", devrun.FailuresHandler(st))
	mux.Handle("GET /_dev/onboardings", devrun.OnboardingsHandler(st))
	// the status function as the handler answers it: the record, or 404
	mux.HandleFunc("GET /api/onboarding/{key}", func(w http.ResponseWriter, r *http.Request) {
		rec, err := st.Load(r.Context(), r.PathValue("key"))
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"no onboarding for `+r.PathValue("key")+`"}`)
			return
		}
		json.NewEncoder(w).Encode(rec)
	})
	mux.Handle("/", devhost.NewAdminHandler(b, nil))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return q, st, srv.URL
}

// poison puts a message on q and fails it until it is dead-lettered.
func poison(t *testing.T, q *devhost.Queue, id string, body []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := q.Send(ctx, devhost.Message{MessageID: id, Body: body, ContentType: "application/cloudevents+json; charset=utf-8", Subject: "partner-approved"}); err != nil {
		t.Fatal(err)
	}
	for range q.Options().MaxDeliveryCount {
		m, ok := q.TryReceive()
		if !ok {
			t.Fatal("message not delivered")
		}
		if err := q.Abandon(m.LockToken); err != nil {
			t.Fatal(err)
		}
	}
	if q.Stats().DeadLetter == 0 {
		t.Fatal("not dead-lettered")
	}
}

func TestDLQCommandsOnDevRuntime(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, name := range []string{"ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace", "ONBOARDING_QUEUE"} {
		t.Setenv(name, "")
	}
	q, st, url := devDLQServer(t)
	ctx := context.Background()
	const reason = "policy: roles[0]: role 62e90394-69f5-4237-9190-012177145e10 (Global Administrator) is privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES"
	body := []byte(`{"specversion":"1.0","id":"0bad","type":"partner-approved","source":"/p","data":{"email":"m@contoso.com"}}`)
	poison(t, q, "0bad", body)
	poison(t, q, "other/1", []byte("\x00\x01binary"))
	if err := st.SaveFailure(ctx, workflow.Failure{MessageID: "0bad", Key: "m@contoso.com", Reason: reason, At: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	run := func(action string, more ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		o := DLQOptions{Action: action, Target: Target{DevURL: url, DevURLGiven: true}}
		for _, m := range more {
			if m == "--json" {
				o.JSON = true
			} else {
				o.ID = m
			}
		}
		err := DLQ(ctx, o, &out, &errOut, now)
		return out.String(), errOut.String(), err
	}

	out, _, err := run("list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "MESSAGE ID") || !strings.Contains(lines[0], "RECORDED REASON") {
		t.Fatalf("list:\n%s", out)
	}
	if !strings.HasPrefix(lines[1], "0bad ") || !strings.Contains(lines[1], " 2 ") || !strings.Contains(lines[1], "MaxDeliveryCountExceeded") || !strings.HasSuffix(lines[1], reason) {
		t.Errorf("row %q: want id, 2 deliveries, MaxDeliveryCountExceeded and the recorded reason", lines[1])
	}
	if !strings.HasPrefix(lines[2], "other/1 ") || !strings.HasSuffix(lines[2], "(none recorded)") {
		t.Errorf("row %q", lines[2])
	}

	out, _, err = run("list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js) != 2 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if rec, _ := js[0]["recorded"].(map[string]any); rec["reason"] != reason || js[0]["body"].(map[string]any)["id"] != "0bad" || js[1]["bodyBase64"] == nil {
		t.Errorf("list --json: %s", out)
	}

	out, _, err = run("show", "0bad")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dead letter 0bad", "reason           MaxDeliveryCountExceeded", "recorded reason  " + reason,
		"onboarding       m@contoso.com", "body:\n  {\n    \"specversion\": \"1.0\",", `"email": "m@contoso.com"`} {
		if !strings.Contains(out, want) {
			t.Errorf("show: want %q in\n%s", want, out)
		}
	}
	out, _, _ = run("show", "other/1")
	if !strings.Contains(out, "(binary, base64) AAFiaW5hcnk=") {
		t.Errorf("show binary:\n%s", out)
	}
	if _, _, err := run("show", "nope"); err == nil || !strings.Contains(err.Error(), `"nope" in queue onboarding at `+url+": no dead letter with that message id") {
		t.Errorf("show unknown: %v", err)
	}

	out, errOut, err := run("replay", "0bad")
	if err != nil {
		t.Fatal(err)
	}
	newID := strings.TrimSpace(out)
	if newID == "" || newID == "0bad" || !strings.Contains(errOut, "replayed 0bad as "+newID) {
		t.Errorf("replay printed %q / %q: want a fresh id", out, errOut)
	}
	m, ok := q.TryReceive()
	if !ok || m.MessageID != newID || !bytes.Equal(m.Body, body) || m.DeliveryCount != 1 {
		t.Errorf("replayed message %+v ok=%v: want id %s, same body, first delivery", m.MessageID, ok, newID)
	}

	// purge: refused without --yes and without a terminal, asks on one
	purge := func(yes bool, answer *string) (string, string, error) {
		var out, errOut bytes.Buffer
		o := DLQOptions{Action: DLQPurge, Target: Target{DevURL: url, DevURLGiven: true}, Yes: yes}
		if answer != nil {
			o.Confirm = strings.NewReader(*answer)
		}
		err := DLQ(ctx, o, &out, &errOut, now)
		return out.String(), errOut.String(), err
	}
	no, yes := "n\n", "y\n"
	if _, _, err := purge(false, nil); !errors.Is(err, ErrNotConfirmed) || q.Stats().DeadLetter != 1 {
		t.Errorf("purge without --yes or a terminal: %v (%d dead letters left)", err, q.Stats().DeadLetter)
	}
	if _, errOut, err := purge(false, &no); err == nil || !strings.Contains(errOut, "Delete 1 dead letter from queue onboarding at "+url+"? This cannot be undone. [y/N]") || q.Stats().DeadLetter != 1 {
		t.Errorf("purge answered no: %v %q (%d dead letters left)", err, errOut, q.Stats().DeadLetter)
	}
	if out, _, err := purge(false, &yes); err != nil || strings.TrimSpace(out) != "purged 1 dead letter from queue onboarding at "+url {
		t.Errorf("purge answered yes: %q %v", out, err)
	}
	if out, errOut, err := purge(false, &yes); err != nil || out != "" || !strings.Contains(errOut, "nothing to purge") {
		t.Errorf("purge of an empty queue: %q %q %v", out, errOut, err)
	}
	poison(t, q, "again", body)
	if out, _, err := purge(true, nil); err != nil || strings.TrimSpace(out) != "purged 1 dead letter from queue onboarding at "+url {
		t.Errorf("purge --yes: %q %v", out, err)
	}
	out, _, _ = run("list")
	if !strings.HasPrefix(out, "no dead letters in queue onboarding") {
		t.Errorf("list after purge: %q", out)
	}

	if _, _, err := run("frob"); err == nil || !strings.Contains(err.Error(), `unknown action "frob"`) {
		t.Errorf("dlq frob: %v", err)
	}
}

func TestWriteStatus(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 10, 0, time.Local)
	rec := workflow.Record{
		Key: "ada.lovelace@fabrikam.com", Phase: workflow.PhaseProvisioned, GuestID: "g-1", RequestIDs: []string{"PR-1", "PR-2"},
		Invite:     workflow.InviteState{Status: "PendingAcceptance", SentAt: now.Add(-10 * time.Second), EmailsSent: 2},
		Done:       map[string]time.Time{"properties:abc123": now, "group:9f0c": now, "app:5e7c/0000": now},
		Reminders:  workflow.ReminderState{Sent: 1, Next: 2, NextDue: now.Add(30 * time.Second)},
		LastError:  "invite: transient: 503",
		UserOrigin: workflow.OriginCreated,
		Missing:    []workflow.Missing{{Change: "group:9f0d", State: workflow.MissingRefused, Reason: "group 9f0d is not in POLICY_ALLOWED_GROUPS"}},
		History:    []workflow.HistoryEntry{{At: now.Add(-10 * time.Second), Step: "approved", Detail: "request PR-1"}},
		UpdatedAt:  now.Add(-24 * time.Hour),
	}
	var b bytes.Buffer
	writeStatus(&b, rec, now)
	got := b.String()
	for _, want := range []string{
		"ada.lovelace@fabrikam.com: Provisioned\n",
		"guest id      g-1\n",
		"requests      PR-1, PR-2\n",
		"invitation    PendingAcceptance, first sent 12:00:00\n",
		"emails sent   2\n",
		"reminders     1 sent; next #2 due 12:00:40 (in 30s)\n",
		"steps done    3: app:5e7c/0000, group:9f0c, properties\n",
		"missing       group:9f0d (refused): group 9f0d is not in POLICY_ALLOWED_GROUPS\n",
		"user          created by this app\n",
		"last error    invite: transient: 503\n",
		"updated       2026-11-23 12:00:10\n",
		"  12:00:00  approved           request PR-1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
	rec = workflow.Record{Key: "m@contoso.com", Phase: workflow.PhaseFailed,
		Failure: &workflow.Failure{MessageID: "0bad", Reason: "policy: roles[0]: privileged", At: now}}
	b.Reset()
	writeStatus(&b, rec, now)
	for _, want := range []string{"guest id      (not invited yet)", "invitation    not sent", "reminders     0 sent; none scheduled",
		"steps done    none", "failure       policy: roles[0]: privileged (message 0bad, 12:00:10)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("want %q in\n%s", want, b.String())
		}
	}
	// a failure recorded without a message id shows no empty one
	rec.Failure.MessageID = ""
	b.Reset()
	writeStatus(&b, rec, now)
	if want := "failure       policy: roles[0]: privileged (12:00:10)\n"; !strings.Contains(b.String(), want) || strings.Contains(b.String(), "message ,") {
		t.Errorf("want %q in\n%s", want, b.String())
	}
}

func TestStatusURL(t *testing.T) {
	for _, tc := range []struct{ base, key, code, want string }{
		{"http://127.0.0.1:7071", "ada@fabrikam.com", "", "http://127.0.0.1:7071/api/onboarding/ada@fabrikam.com"},
		{"https://app.azurewebsites.net/", "PR 1/2", "k=y", "https://app.azurewebsites.net/api/onboarding/PR%201%2F2?code=k%3Dy"},
	} {
		got, err := statusURL(tc.base, tc.key, tc.code)
		if err != nil || got != tc.want {
			t.Errorf("statusURL(%q, %q) = %q, %v; want %q", tc.base, tc.key, got, err, tc.want)
		}
	}
	if _, err := statusURL("app.azurewebsites.net", "k", ""); err == nil || !strings.Contains(err.Error(), "--url/--dev-url") {
		t.Errorf("relative URL: %v", err)
	}
	if got := redactCode("https://a/api/onboarding/x?code=secret"); strings.Contains(got, "secret") {
		t.Errorf("redactCode kept the key: %s", got)
	}
}
