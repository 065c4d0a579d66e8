package devrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/internal/syncbuf"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// syncBuffer is a concurrency-safe log sink.
type syncBuffer = syncbuf.Buffer

func TestStepLogLogsEachNewHistoryEntryOnce(t *testing.T) {
	var out syncBuffer
	log, _ := devLoggers(&out, "text", "info", false)
	s := newStepLog(store.NewMemory(), log)
	ctx := context.Background()
	now := time.Now()
	rec := workflow.Record{Key: "ada@fabrikam.com", Phase: workflow.PhaseNew,
		History: []workflow.HistoryEntry{{At: now, Step: "approved", Detail: "request PR-1"}}}
	if err := s.Save(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, rec.Key)
	if err != nil {
		t.Fatal(err)
	}
	got.Phase, got.GuestID = workflow.PhaseInvited, "g-1"
	got.History = append(got.History, workflow.HistoryEntry{At: now, Step: "invited", Detail: "guest g-1"},
		workflow.HistoryEntry{At: now, Step: "reminder-scheduled", Detail: "#1"})
	stale := got // a concurrent writer with the same ETag loses
	if err := s.Save(ctx, &got); err != nil {
		t.Fatal(err)
	}
	stale.History = append(stale.History, workflow.HistoryEntry{Step: "never-logged"})
	if err := s.Save(ctx, &stale); !errors.Is(err, workflow.ErrConflict) {
		t.Fatalf("stale save: %v, want ErrConflict", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"step approved", "step invited", "step reminder-scheduled"}
	if len(lines) != len(want) {
		t.Fatalf("logged %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d %q: want %q", i, lines[i], w)
		}
		if strings.Contains(lines[i], "ada@fabrikam.com") {
			t.Errorf("line %d shows the full address: %q", i, lines[i])
		}
	}
	if !strings.Contains(lines[1], `detail="guest g-1"`) || !strings.Contains(lines[1], "phase=Invited") {
		t.Errorf("invited line %q: want the detail and the phase", lines[1])
	}
}

func TestConsoleLoggerFormatAndFilter(t *testing.T) {
	var out bytes.Buffer
	log, _ := devLoggers(&out, "text", "info", false)
	log.Info("event handled", "outcome", "completed")           // the invocation line says it
	log.Info("reply line", "source", "handler")                 // the host's copy of handler logs
	log.Debug("noise")                                          // below the level
	log.With("component", "graph").Warn("batch failed", "n", 2) // kept
	log.Info("step invited", "key", "ada@fabrikam.com", "detail", "guest g 1")
	got := out.String()
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), got)
	}
	if !strings.Contains(lines[0], " WARN  batch failed  component=graph n=2") {
		t.Errorf("line %q", lines[0])
	}
	if !strings.Contains(lines[1], ` INFO  step invited  key=a***@fabrikam.com detail="guest g 1"`) {
		t.Errorf("line %q", lines[1])
	}
	if _, err := time.Parse("15:04:05.000", lines[0][:12]); err != nil {
		t.Errorf("line %q does not start with a clock time: %v", lines[0], err)
	}

	out.Reset()
	jlog, _ := devLoggers(&out, "json", "info", false)
	jlog.Info("event handled", "key", "ada@fabrikam.com")
	var rec map[string]any
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil || rec["msg"] != "event handled" || rec["key"] != "a***@fabrikam.com" {
		t.Errorf("json mode: %s (%v); want every record, masked", out.String(), err)
	}
}

func TestInvocationLineShowsFailureReason(t *testing.T) {
	replies := newReplyLogs()
	h := replies.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"Outputs":{},"Logs":["message m/1 (delivery 2): partner-approved event e1","permanent failure: policy: roles[0]: privileged; failing until dead-lettered"],"ReturnValue":null}`)
	}))
	req := httptest.NewRequest(http.MethodPost, "/OnboardingEvents", nil)
	req.Header.Set(handlers.InvocationIDHeader, "inv-1")
	h.ServeHTTP(httptest.NewRecorder(), req)

	var out bytes.Buffer
	log, _ := devLoggers(&out, "text", "info", false)
	newInvocationLog(log, replies).Log(devhost.Invocation{Function: "OnboardingEvents", InvocationID: "inv-1", MessageID: "m/1",
		DeliveryCount: 2, StatusCode: 500, Settlement: "abandoned", Err: &devhost.HandlerError{Kind: "status", StatusCode: 500}})
	want := "INFO  message m/1 → 500 abandoned (delivery 2): policy: roles[0]: privileged; fails fast until dead-lettered"
	if got := out.String(); !strings.Contains(got, want) {
		t.Errorf("line %q: want %q", got, want)
	}
	if l := replies.take("inv-1"); l != nil {
		t.Errorf("captured logs kept after use: %v", l)
	}
}

// TestInvocationLines: one line per invocation with the outcome and the
// reason once; the fail-fast repeats of a known failure collapse into the
// dead-letter line; an HTTP function shows the status its caller got;
// colour only when asked.
func TestInvocationLines(t *testing.T) {
	const reason = `policy: roles[0]: role 62e9… (Global Administrator) is privileged`
	failed := func(n int, settlement string, known bool) devhost.Invocation {
		r := reason
		if known {
			r = "known failure: " + reason
		}
		return devhost.Invocation{Function: "OnboardingEvents", MessageID: "0bad", DeliveryCount: n, StatusCode: 500, Settlement: settlement,
			Err:  &devhost.HandlerError{Kind: "status", StatusCode: 500},
			Logs: []string{`message "0bad" (delivery ` + fmt.Sprint(n) + `): partner-approved event "0bad"`, "permanent failure: " + r + "; failing until dead-lettered"}}
	}
	var poisoned []devhost.Invocation
	for n := 1; n <= 10; n++ {
		settlement := "abandoned"
		if n == 10 {
			settlement = "deadlettered"
		}
		poisoned = append(poisoned, failed(n, settlement, n > 1))
	}
	ok := devhost.Invocation{Function: "OnboardingEvents", MessageID: "c1f6", DeliveryCount: 1, StatusCode: 200, Settlement: "completed",
		Logs: []string{`message "c1f6" (delivery 1): partner-approved event "c1f6": invited g***@contoso.com (3 change(s) applied)`}}
	status404 := devhost.Invocation{Function: "OnboardingStatus", StatusCode: 200, ResponseStatus: 404, Logs: []string{"status n***@x.com: not found"}}
	for _, tc := range []struct {
		name  string
		invs  []devhost.Invocation
		color bool
		want  []string // one per line, substrings
	}{
		{"poisoned message: two lines for ten deliveries", poisoned, false, []string{
			"INFO  message 0bad → 500 abandoned (delivery 1): " + reason + "; fails fast until dead-lettered",
			"WARN  message 0bad dead-lettered after 10 deliveries: " + reason}},
		{"completed", []devhost.Invocation{ok}, false, []string{"INFO  message c1f6 → 200 completed: partner-approved: invited g***@contoso.com (3 change(s) applied)  took=0s"}},
		{"HTTP function: the caller's status", []devhost.Invocation{status404}, false, []string{"INFO  OnboardingStatus → 404: status n***@x.com: not found"}},
		{"colour", []devhost.Invocation{ok, poisoned[0], poisoned[9], status404}, true, []string{
			"\x1b[36mINFO \x1b[0m message c1f6 \x1b[32m→ 200 completed\x1b[0m: ",
			"\x1b[36mINFO \x1b[0m message 0bad \x1b[33m→ 500 abandoned\x1b[0m (delivery 1)",
			"\x1b[33mWARN \x1b[0m message 0bad \x1b[31mdead-lettered after 10 deliveries\x1b[0m: ",
			"\x1b[33m→ 404\x1b[0m: status"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			log, _ := devLoggers(&out, "text", "info", tc.color)
			l := newInvocationLog(log, nil)
			for _, inv := range tc.invs {
				l.Log(inv)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.want), out.String())
			}
			for i, w := range tc.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %q lacks %q", lines[i], w)
				}
				if !tc.color && strings.Contains(lines[i], "\x1b[") {
					t.Errorf("line %q is coloured", lines[i])
				}
			}
		})
	}
}

// TestQueueDeadLetterLineDropped: the queue's own MaxDeliveryCountExceeded
// line is left out of the text log (the last delivery's line says it with
// the reason); a dead letter for another reason (TTL) stays.
func TestQueueDeadLetterLineDropped(t *testing.T) {
	var out bytes.Buffer
	_, host := devLoggers(&out, "text", "info", false)
	host.Warn("message dead-lettered", "messageId", "a", "reason", devhost.ReasonMaxDeliveryCountExceeded)
	host.Warn("message dead-lettered", "messageId", "b", "reason", "TTLExpiredException")
	if got := out.String(); strings.Contains(got, "messageId=a") || !strings.Contains(got, "messageId=b") {
		t.Errorf("log %q: want only the TTL dead letter", got)
	}
}

func TestFailuresRoute(t *testing.T) {
	st := store.NewMemory()
	ctx := context.Background()
	f := workflow.Failure{MessageID: "0bad/replay/1", Key: "m@contoso.com", Reason: "policy: roles[0]: privileged", At: time.Now().UTC()}
	if err := st.SaveFailure(ctx, f); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(FailuresHandler(st))
	defer srv.Close()
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/_dev/failures/" + url.PathEscape(f.MessageID), 200},
		{"/_dev/failures/" + f.MessageID, 200},
		{"/_dev/failures/unknown", 404},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var got workflow.Failure
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.path, resp.StatusCode, tc.code)
		}
		if tc.code == 200 && (got.Reason != f.Reason || got.MessageID != f.MessageID) {
			t.Errorf("%s: %+v, want %+v", tc.path, got, f)
		}
	}
}
