package devrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// syncBuffer is a concurrency-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStepLogLogsEachNewHistoryEntryOnce(t *testing.T) {
	var out syncBuffer
	log, _ := devLoggers(&out, "text", "info")
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
	log, _ := devLoggers(&out, "text", "info")
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
	jlog, _ := devLoggers(&out, "json", "info")
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
		io.WriteString(w, `{"Outputs":{},"Logs":["message m/1 (delivery 2): partner-approved event e1","permanent failure: policy: roles[0]: privileged"],"ReturnValue":null}`)
	}))
	req := httptest.NewRequest(http.MethodPost, "/OnboardingEvents", nil)
	req.Header.Set(handlers.InvocationIDHeader, "inv-1")
	h.ServeHTTP(httptest.NewRecorder(), req)

	var out bytes.Buffer
	log, _ := devLoggers(&out, "text", "info")
	logInvocation(log, replies, devhost.Invocation{Function: "OnboardingEvents", InvocationID: "inv-1", MessageID: "m/1",
		DeliveryCount: 2, StatusCode: 500, Settlement: "abandoned", Err: &devhost.HandlerError{Kind: "status", StatusCode: 500}})
	got := out.String()
	for _, want := range []string{"WARN ", "message m/1 → 500 abandoned", "deliveryCount=2",
		`log="partner-approved event e1; permanent failure: policy: roles[0]: privileged"`} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q: want %q", got, want)
		}
	}
	if l := replies.take("inv-1"); l != nil {
		t.Errorf("captured logs kept after use: %v", l)
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
