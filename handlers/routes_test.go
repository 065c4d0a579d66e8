package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
)

func TestRoutes(t *testing.T) {
	srv, _ := server(t, handlers.Options{Processor: &fakeProcessor{}, Status: &fakeStatus{}})
	cases := []struct {
		method, path string
		wantStatus   int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodPost, "/NoSuchFunction", http.StatusNotFound},
		{http.MethodPost, "/api/OnboardingEvents", http.StatusNotFound},
		{http.MethodGet, "/OnboardingEvents", http.StatusMethodNotAllowed},
		{http.MethodGet, "/OnboardingStatus", http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(`{}`))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tc.method == http.MethodHead {
				return
			}
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Errorf("body is not JSON: %v", err)
			}
			if tc.path == "/" && tc.method == http.MethodGet && body["status"] != "ready" {
				t.Errorf("readiness body = %v", body)
			}
		})
	}
}

// TestCustomNames: function and binding names come from Options, and the
// function name is matched case-insensitively.
func TestCustomNames(t *testing.T) {
	proc := &fakeProcessor{}
	srv, _ := server(t, handlers.Options{Processor: proc, EventsFunction: "Events2", EventsBinding: "message"})
	body := envelope{binding: "message", body: readFile(t, "testdata/message-body.json")}.bytes(t)
	if r := invoke(t, srv, "events2", body); r.status != http.StatusOK {
		t.Fatalf("status = %d, logs %q", r.status, r.logs)
	}
	if r := invoke(t, srv, "OnboardingEvents", body); r.status != http.StatusNotFound {
		t.Errorf("default name still routed: %d", r.status)
	}
	if len(proc.deliveries()) != 1 {
		t.Errorf("deliveries = %d", len(proc.deliveries()))
	}
}

// TestUnconfigured: a function without its domain dependency fails the
// invocation with a clear log instead of panicking.
func TestUnconfigured(t *testing.T) {
	srv, _ := server(t, handlers.Options{})
	r := invoke(t, srv, "OnboardingEvents", readFile(t, "testdata/host-binary.json"))
	checkShape(t, r)
	if r.status != http.StatusInternalServerError || !strings.Contains(strings.Join(r.logs, " "), "not configured") {
		t.Errorf("events: %d %q", r.status, r.logs)
	}
	r = invoke(t, srv, "OnboardingStatus", statusEnvelope(t, nil, map[string]any{"key": "x"}, "http://localhost/api/onboarding/x"))
	var res resOutput
	_ = json.Unmarshal(r.outputs["res"], &res)
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("status: res = %+v", res)
	}
}
