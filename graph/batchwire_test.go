package graph_test

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// TestBatchItemsOnTheWire applies one change of every kind and checks each
// $batch item exactly as graphsim received it: id, method, URL relative to
// the version root, headers and the JSON body Graph documents for it.
func TestBatchItemsOnTheWire(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	guest := invite(t, env, "ada@fabrikam.com")
	base := env.BaseURL
	const reader = graphsim.SampleAppRolePortalReader
	cases := []struct {
		change      workflow.Change
		method, url string
		body        string
	}{
		{workflow.Change{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{GivenName: "Ada", BusinessPhone: "+31 20 123 4567", UsageLocation: "NL", Department: "R&D"}},
			"PATCH", "/users/" + guest,
			`{"givenName":"Ada","department":"R\u0026D","businessPhones":["+31 20 123 4567"],"usageLocation":"NL"}`},
		{workflow.Change{Kind: workflow.ChangeManager, ID: graphsim.SampleUserMegan},
			"PUT", "/users/" + guest + "/manager/$ref",
			`{"@odata.id":"` + base + `/users/` + graphsim.SampleUserMegan + `"}`},
		{workflow.Change{Kind: workflow.ChangeGroup, ID: graphsim.SampleGroupPartners},
			"POST", "/groups/" + graphsim.SampleGroupPartners + "/members/$ref",
			`{"@odata.id":"` + base + `/directoryObjects/` + guest + `"}`},
		{workflow.Change{Kind: workflow.ChangeRole, ID: graphsim.RoleGuestInviter},
			"POST", "/roleManagement/directory/roleAssignments",
			`{"roleDefinitionId":"` + graphsim.RoleGuestInviter + `","principalId":"` + guest + `","directoryScopeId":"/"}`},
		{workflow.Change{Kind: workflow.ChangeApp, ID: graphsim.SampleSPWiki},
			"POST", "/servicePrincipals/" + graphsim.SampleSPWiki + "/appRoleAssignedTo",
			`{"principalId":"` + guest + `","resourceId":"` + graphsim.SampleSPWiki + `","appRoleId":"` + workflow.DefaultAppRoleID + `"}`},
		// GUIDs are sent in canonical lower case, as the SDK's uuid fields were.
		{workflow.Change{Kind: workflow.ChangeApp, ID: graphsim.SampleSPPartnerPortal, AppRoleID: strings.ToUpper(reader)},
			"POST", "/servicePrincipals/" + graphsim.SampleSPPartnerPortal + "/appRoleAssignedTo",
			`{"principalId":"` + guest + `","resourceId":"` + graphsim.SampleSPPartnerPortal + `","appRoleId":"` + reader + `"}`},
		{workflow.Change{Kind: workflow.ChangeSponsor, ID: graphsim.SampleUserMegan, SponsorType: workflow.SponsorUser},
			"POST", "/users/" + guest + "/sponsors/$ref",
			`{"@odata.id":"` + base + `/users/` + graphsim.SampleUserMegan + `"}`},
		{workflow.Change{Kind: workflow.ChangeSponsor, ID: graphsim.SampleGroupApollo, SponsorType: workflow.SponsorGroup},
			"POST", "/users/" + guest + "/sponsors/$ref",
			`{"@odata.id":"` + base + `/groups/` + graphsim.SampleGroupApollo + `"}`},
	}
	changes := make([]workflow.Change, len(cases))
	for i, tc := range cases {
		changes[i] = tc.change
	}
	env.ResetBatches()
	// graphsim accepting every item shows the bodies are ones Graph reads.
	requireAllNil(t, "apply", env.Dir.Apply(ctx, guest, changes))
	batches := env.Batches()
	if len(batches) != 1 || len(batches[0].Items) != len(cases) {
		t.Fatalf("batches %+v, want one with %d items", batches, len(cases))
	}
	ids := map[string]bool{}
	for i, it := range batches[0].Items {
		tc := cases[i]
		if it.Method != tc.method || it.URL != tc.url {
			t.Errorf("item %d: %s %s, want %s %s", i, it.Method, it.URL, tc.method, tc.url)
		}
		if string(it.Body) != tc.body {
			t.Errorf("item %d body\n got %s\nwant %s", i, it.Body, tc.body)
		}
		if fmt.Sprint(it.Headers) != "map[Content-Type:application/json]" {
			t.Errorf("item %d headers %v", i, it.Headers)
		}
		if it.ID == "" || ids[strings.ToLower(it.ID)] {
			t.Errorf("item %d id %q is empty or repeated", i, it.ID)
		}
		ids[strings.ToLower(it.ID)] = true
	}
}

// TestBatchAnswersAreRead answers $batch with hand-written bodies, as Graph
// may send them, and checks what Apply makes of each: missing answers,
// answers without id, Graph's error body, Retry-After as a string or a
// number under any header spelling, bodies that are not Graph errors.
func TestBatchAnswersAreRead(t *testing.T) {
	const guest = "11111111-2222-4333-8444-555555555555"
	const group = "9f0c0000-0000-4000-8000-000000000077"
	type want struct {
		kind       string // nil, transient, permanent, notfound
		contains   string // in the error text
		api        *graph.APIError
		retryAfter time.Duration // of the TransientError
	}
	cases := []struct {
		name   string
		answer string // %s is the item id
		want   want
	}{
		{"success", `{"responses":[{"id":"%s","status":204,"headers":{"Cache-Control":"no-cache"}}]}`, want{kind: "nil"}},
		{"answer without id", `{"responses":[{"status":204}]}`, want{kind: "transient", contains: "no answer for item"}},
		{"no answers", `{"responses":[]}`, want{kind: "transient", contains: "no answer for item"}},
		{"answer without status", `{"responses":[{"id":"%s"}]}`, want{kind: "transient", contains: "no answer for item"}},
		{"answer for another id", `{"responses":[{"id":"x-%s","status":204}]}`, want{kind: "transient", contains: "no answer for item"}},
		{"Graph error body", `{"responses":[{"id":"%s","status":400,"headers":{"Content-Type":"application/json"},"body":{"error":{
			"code":"Request_BadRequest","message":"Invalid value specified for property 'ageGroup' of resource 'User'.","target":"ageGroup",
			"details":[{"code":"x","message":"y","target":"usageLocation"},{"code":"z"}],
			"innerError":{"date":"2026-12-01T00:00:00","request-id":"rid-1","client-request-id":"rid-1"}}}}]}`,
			want{kind: "permanent", contains: "Graph 400 Request_BadRequest: Invalid value specified for property 'ageGroup' of resource 'User'. [ageGroup, usageLocation]",
				api: &graph.APIError{Status: 400, Code: "Request_BadRequest", Message: "Invalid value specified for property 'ageGroup' of resource 'User'.",
					Targets: []string{"ageGroup", "usageLocation"}, RequestID: "rid-1"}}},
		{"not found", `{"responses":[{"id":"%s","status":404,"body":{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"request-id":"rid-2"}}}}]}`,
			want{kind: "notfound", contains: "Request_ResourceNotFound",
				api: &graph.APIError{Status: 404, Code: "Request_ResourceNotFound", Message: "Resource 'x' does not exist.", RequestID: "rid-2"}}},
		{"already a member", `{"responses":[{"id":"%s","status":400,"body":{"error":{"code":"Request_BadRequest",
			"message":"One or more added object references already exist for the following modified properties: 'members'."}}}]}`, want{kind: "nil"}},
		{"429 with Retry-After as a number, lower-case", `{"responses":[{"id":"%s","status":429,"headers":{"retry-after":7,"Content-Length":0},
			"body":{"error":{"code":"TooManyRequests","message":"Too many requests."}}}]}`,
			want{kind: "transient", contains: "429 TooManyRequests", retryAfter: 7 * time.Second,
				api: &graph.APIError{Status: 429, Code: "TooManyRequests", Message: "Too many requests.", RetryAfter: 7 * time.Second}}},
		{"503 with Retry-After as a string, body not an error", `{"responses":[{"id":"%s","status":503,"headers":{"Retry-After":"3"},"body":"Service Unavailable"}]}`,
			want{kind: "transient", contains: "graph 503", retryAfter: 3 * time.Second, api: &graph.APIError{Status: 503, RetryAfter: 3 * time.Second}}},
		{"answer that is not JSON", `<html>gateway</html>`, want{kind: "transient", contains: "decode graph answer"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var sent []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v1.0/$batch" {
					http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
					return
				}
				var rd io.Reader = r.Body
				if r.Header.Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(r.Body)
					if err != nil {
						t.Error(err)
						return
					}
					rd = zr
				}
				body, _ := io.ReadAll(rd)
				mu.Lock()
				sent = append(sent, string(body))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				answer := tc.answer
				if strings.Contains(answer, "%s") {
					answer = fmt.Sprintf(answer, "0")
				}
				io.WriteString(w, answer)
			}))
			defer srv.Close()
			// One attempt per item: the answer is the final one.
			d, err := graph.New(ctx, graph.Options{BaseURL: srv.URL + "/v1.0", Logger: slog.New(slog.DiscardHandler), ItemMaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			err = d.Apply(ctx, guest, []workflow.Change{{Kind: workflow.ChangeGroup, ID: group}})[0]
			mu.Lock()
			defer mu.Unlock()
			if len(sent) != 1 || !strings.Contains(sent[0], `"id":"0"`) {
				t.Fatalf("sent %q, want one batch with item id 0 (the answers name it)", sent)
			}
			if got := errKind(err); got != tc.want.kind {
				t.Fatalf("got %T %v, want %s", err, err, tc.want.kind)
			}
			if err == nil {
				return
			}
			if tr := (*workflow.TransientError)(nil); errors.As(err, &tr) && tr.RetryAfter != tc.want.retryAfter {
				t.Errorf("RetryAfter %v, want %v", tr.RetryAfter, tc.want.retryAfter)
			}
			if !strings.Contains(err.Error(), tc.want.contains) {
				t.Errorf("error %q does not contain %q", err, tc.want.contains)
			}
			var ae *graph.APIError
			if errors.As(err, &ae) != (tc.want.api != nil) {
				t.Fatalf("APIError %+v, want %+v", ae, tc.want.api)
			}
			if w := tc.want.api; w != nil {
				if ae.Status != w.Status || ae.Code != w.Code || ae.Message != w.Message || !slices.Equal(ae.Targets, w.Targets) ||
					ae.RequestID != w.RequestID || ae.RetryAfter != w.RetryAfter {
					t.Errorf("APIError %+v\nwant %+v", ae, w)
				}
			}
		})
	}
}

// errKind names the workflow error type of err: nil, notfound, permanent,
// transient or other.
func errKind(err error) string {
	var nf *workflow.NotFoundError
	var pe *workflow.PermanentError
	var tr *workflow.TransientError
	switch {
	case err == nil:
		return "nil"
	case errors.As(err, &nf):
		return "notfound"
	case errors.As(err, &pe):
		return "permanent"
	case errors.As(err, &tr):
		return "transient"
	default:
		return "other"
	}
}
