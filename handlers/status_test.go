package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/workflow"
)

// fakeStatus stands in for workflow.Engine.Status.
type fakeStatus struct {
	records map[string]workflow.Record
	err     error
	panics  bool
	queries []string
}

func (s *fakeStatus) Status(ctx context.Context, query string) (workflow.Record, error) {
	s.queries = append(s.queries, query)
	if s.panics {
		panic("status bug")
	}
	if s.err != nil {
		return workflow.Record{}, s.err
	}
	if r, ok := s.records[query]; ok {
		return r, nil
	}
	return workflow.Record{}, fmt.Errorf("load %q: %w", query, workflow.ErrNotFound)
}

func adaRecord() workflow.Record {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return workflow.Record{
		Key:        "ada@fabrikam.com",
		ETag:       `W/"datetime'2026-03-01T09%3A00%3A00Z'"`,
		RequestIDs: []string{"PR-2026-0042"},
		Phase:      workflow.PhaseProvisioned,
		GuestID:    "8f1c3a2e-0000-4000-8000-000000000001",
		Invite:     workflow.InviteState{SentAt: at, Status: "PendingAcceptance", EmailsSent: 1},
		Reminders:  workflow.ReminderState{Next: 1, NextDue: at.Add(72 * time.Hour)},
		CreatedAt:  at,
		UpdatedAt:  at,
	}
}

// statusEnvelope builds the host's envelope for the HTTP-triggered status
// function (azure-functions-host GetRequestAsJObject; Learn "Azure
// Functions custom handlers" request payload): Data.req with Url, Method,
// Query, Headers, Params, Identities; route values also in Metadata.
func statusEnvelope(t *testing.T, query json.RawMessage, params map[string]any, url string) []byte {
	t.Helper()
	req := map[string]any{
		"Url":        url,
		"Method":     "GET",
		"Headers":    map[string][]string{"Accept": {"application/json"}, "x-functions-key": {"redacted"}},
		"Identities": `[{"AuthenticationType":"WebJobsAuthLevel","IsAuthenticated":true}]`,
	}
	if query != nil {
		req["Query"] = query
	}
	meta := map[string]json.RawMessage{
		"Query":   json.RawMessage(`{}`),
		"Headers": json.RawMessage(`{"Accept":"application/json"}`),
		"sys":     json.RawMessage(`{"MethodName":"OnboardingStatus","UtcNow":"2026-03-01T09:00:01.1234567Z","RandGuid":"0b6f6a4e-8d0e-4b6c-9f4e-3c1d2a0b9e8f"}`),
	}
	if params != nil {
		req["Params"] = params
		for k, v := range params {
			meta[k] = hostString(fmt.Sprint(v))
		}
	}
	b, err := json.Marshal(map[string]any{"Data": map[string]any{"req": req}, "Metadata": meta})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resOutput is Outputs.res.
type resOutput struct {
	StatusCode int               `json:"statusCode"`
	Status     int               `json:"status"`
	Body       string            `json:"body"`
	Headers    map[string]string `json:"headers"`
}

func TestStatusFunction(t *testing.T) {
	const base = "https://contoso-onboard.azurewebsites.net/api/onboarding/"
	cases := []struct {
		name      string
		status    *fakeStatus
		body      func(t *testing.T) []byte
		wantCode  int
		wantQuery string
		check     func(t *testing.T, body map[string]any)
	}{
		{"found by route param", &fakeStatus{records: map[string]workflow.Record{"ada@fabrikam.com": adaRecord()}},
			func(t *testing.T) []byte {
				return statusEnvelope(t, json.RawMessage(`"{}"`), map[string]any{"key": "ada@fabrikam.com"}, base+"ada@fabrikam.com")
			}, http.StatusOK, "ada@fabrikam.com",
			func(t *testing.T, body map[string]any) {
				if body["key"] != "ada@fabrikam.com" || body["phase"] != "Provisioned" || body["guestId"] == nil {
					t.Errorf("record body = %v", body)
				}
				for k := range body {
					if strings.EqualFold(k, "etag") {
						t.Errorf("ETag leaked into the status body")
					}
				}
			}},
		{"percent-encoded route param", &fakeStatus{records: map[string]workflow.Record{"ada@fabrikam.com": adaRecord()}},
			func(t *testing.T) []byte {
				return statusEnvelope(t, json.RawMessage(`"{}"`), map[string]any{"key": "ada%40fabrikam.com"}, base+"ada%40fabrikam.com")
			}, http.StatusOK, "ada@fabrikam.com", nil},
		{"?key= in Query string (older hosts)", &fakeStatus{records: map[string]workflow.Record{"PR-2026-0042": adaRecord()}},
			func(t *testing.T) []byte {
				return statusEnvelope(t, json.RawMessage(`"{\"key\":\"PR-2026-0042\"}"`), nil, base+"?key=PR-2026-0042")
			}, http.StatusOK, "PR-2026-0042", nil},
		{"?key= in Query object (newer hosts)", &fakeStatus{records: map[string]workflow.Record{"PR-2026-0042": adaRecord()}},
			func(t *testing.T) []byte {
				return statusEnvelope(t, json.RawMessage(`{"key":"PR-2026-0042"}`), nil, base+"?key=PR-2026-0042")
			}, http.StatusOK, "PR-2026-0042", nil},
		{"?key= only in Url", &fakeStatus{records: map[string]workflow.Record{"ada@fabrikam.com": adaRecord()}},
			func(t *testing.T) []byte {
				return statusEnvelope(t, nil, nil, base+"?key=ada%40fabrikam.com")
			}, http.StatusOK, "ada@fabrikam.com", nil},
		{"summary view", &fakeStatus{records: map[string]workflow.Record{"ada@fabrikam.com": adaRecord()}},
			func(t *testing.T) []byte {
				return statusEnvelope(t, json.RawMessage(`"{\"view\":\"summary\"}"`), map[string]any{"key": "ada@fabrikam.com"}, base+"ada@fabrikam.com?view=summary")
			}, http.StatusOK, "ada@fabrikam.com",
			func(t *testing.T, body map[string]any) {
				if body["phase"] != "Provisioned" || body["emailsSent"] != float64(1) || body["nextReminder"] != float64(1) || body["inviteStatus"] != "PendingAcceptance" {
					t.Errorf("summary = %v", body)
				}
				if _, ok := body["spec"]; ok {
					t.Errorf("summary carries the full spec: %v", body)
				}
			}},
		{"not found", &fakeStatus{},
			func(t *testing.T) []byte {
				return statusEnvelope(t, json.RawMessage(`"{}"`), map[string]any{"key": "nobody@fabrikam.com"}, base+"nobody@fabrikam.com")
			}, http.StatusNotFound, "nobody@fabrikam.com",
			func(t *testing.T, body map[string]any) {
				if body["error"] == nil {
					t.Errorf("404 body = %v", body)
				}
			}},
		{"missing key", &fakeStatus{},
			func(t *testing.T) []byte { return statusEnvelope(t, json.RawMessage(`"{}"`), nil, base) },
			http.StatusBadRequest, "",
			func(t *testing.T, body map[string]any) {
				if !strings.Contains(fmt.Sprint(body["error"]), "key") {
					t.Errorf("400 body = %v", body)
				}
			}},
		{"invalid query", &fakeStatus{err: &workflow.ValidationError{Field: "email", Rule: "invalid address"}},
			func(t *testing.T) []byte {
				return statusEnvelope(t, nil, map[string]any{"key": "not an email@"}, base+"x")
			}, http.StatusBadRequest, "not an email@", nil},
		{"store failure", &fakeStatus{err: errors.New("table storage: 503")},
			func(t *testing.T) []byte {
				return statusEnvelope(t, nil, map[string]any{"key": "ada@fabrikam.com"}, base+"ada@fabrikam.com")
			}, http.StatusInternalServerError, "ada@fabrikam.com",
			func(t *testing.T, body map[string]any) {
				if strings.Contains(fmt.Sprint(body), "503") {
					t.Errorf("internal error detail leaked to the caller: %v", body)
				}
			}},
		{"status reader panic", &fakeStatus{panics: true},
			func(t *testing.T) []byte {
				return statusEnvelope(t, nil, map[string]any{"key": "ada@fabrikam.com"}, base+"ada@fabrikam.com")
			}, http.StatusInternalServerError, "ada@fabrikam.com", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, logs := server(t, handlers.Options{Status: tc.status})
			r := invoke(t, srv, "OnboardingStatus", tc.body(t))
			checkShape(t, r)
			if r.status != http.StatusOK {
				t.Fatalf("invocation status = %d, want 200 (the HTTP answer travels in Outputs.res)", r.status)
			}
			var res resOutput
			if err := json.Unmarshal(r.outputs["res"], &res); err != nil {
				t.Fatalf("Outputs.res = %s: %v", r.outputs["res"], err)
			}
			if res.StatusCode != tc.wantCode || res.Status != tc.wantCode {
				t.Fatalf("res status = %d/%d, want %d (body %s)", res.StatusCode, res.Status, tc.wantCode, res.Body)
			}
			if !strings.HasPrefix(res.Headers["Content-Type"], "application/json") {
				t.Errorf("res headers = %v", res.Headers)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
				t.Fatalf("res body is not JSON: %q", res.Body)
			}
			if tc.check != nil {
				tc.check(t, body)
			}
			if tc.wantQuery != "" {
				if len(tc.status.queries) != 1 || tc.status.queries[0] != tc.wantQuery {
					t.Errorf("status queried with %q, want %q", tc.status.queries, tc.wantQuery)
				}
			} else if len(tc.status.queries) != 0 {
				t.Errorf("status queried without a key: %q", tc.status.queries)
			}
			if strings.Contains(logs.String()+strings.Join(r.logs, " "), "ada@fabrikam.com") {
				t.Errorf("unmasked email in logs:\n%s\n%q", logs.String(), r.logs)
			}
		})
	}
}

func TestStatusMalformedEnvelopeFailsInvocation(t *testing.T) {
	srv, _ := server(t, handlers.Options{Status: &fakeStatus{}})
	for name, body := range map[string]string{
		"not JSON":    `{"Data":`,
		"no req":      `{"Data":{},"Metadata":{}}`,
		"req is list": `{"Data":{"req":[1]},"Metadata":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := invoke(t, srv, "OnboardingStatus", []byte(body))
			checkShape(t, r)
			if r.status != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", r.status)
			}
		})
	}
}
