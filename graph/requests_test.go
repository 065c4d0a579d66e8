package graph_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/workflow"
)

// sentRequest is what a test server saw of one request.
type sentRequest struct {
	Method, Path string
	Query        map[string]string // first value per key, decoded
	Body         any               // decoded JSON; nil without a body
}

// recorder answers every request with code and body and records it.
type recorder struct {
	code int
	body string

	mu   sync.Mutex
	seen []sentRequest
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := sentRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: map[string]string{}}
	for k, v := range r.URL.Query() {
		s.Query[k] = v[0]
	}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &s.Body); err != nil {
			s.Body = "not JSON: " + string(b)
		}
	}
	rc.mu.Lock()
	rc.seen = append(rc.seen, s)
	rc.mu.Unlock()
	if rc.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rc.code)
	_, _ = io.WriteString(w, rc.body)
}

// serveDirectory is a Directory for a test server answering code and body.
func serveDirectory(t *testing.T, code int, body string) (*graph.Directory, *recorder) {
	t.Helper()
	rc := &recorder{code: code, body: body}
	return directoryFor(t, rc), rc
}

// directoryFor is a Directory for a test server running h. The SDK's
// retry handler is off, so a 429 or 5xx answer is returned at once.
func directoryFor(t *testing.T, h http.Handler) *graph.Directory {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	d, err := graph.New(ctx, graph.Options{BaseURL: srv.URL + "/v1.0", RequestRetries: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func existsCall(kind workflow.ChangeKind, id string) func(*graph.Directory) error {
	return func(d *graph.Directory) error {
		_, err := d.ObjectExists(ctx, kind, id)
		return err
	}
}

func inviteCall(inv workflow.Invitation) func(*graph.Directory) error {
	return func(d *graph.Directory) error {
		_, err := d.Invite(ctx, inv)
		return err
	}
}

// TestRequestShapes: each call sends the documented request (graph-b2b.md
// §1, user-update, user-delete, the reads' $select), with the JSON body
// Graph expects.
func TestRequestShapes(t *testing.T) {
	const invited = `{"invitedUser":{"id":"g1"},"status":"PendingAcceptance"}`
	m := func(kv ...any) map[string]any {
		out := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	cases := []struct {
		name   string
		code   int
		answer string
		call   func(d *graph.Directory) error
		method string
		path   string
		query  map[string]string
		body   any
	}{
		{name: "invitation with every option", code: 201, answer: invited,
			call:   inviteCall(adaInvitation("ada@fabrikam.com")),
			method: "POST", path: "/v1.0/invitations",
			body: m("invitedUserEmailAddress", "ada@fabrikam.com", "inviteRedirectUrl", "https://myapps.microsoft.com",
				"invitedUserDisplayName", "Ada Lovelace", "invitedUserType", "Guest", "sendInvitationMessage", true,
				"invitedUserMessageInfo", m("customizedMessageBody", "Welcome to Fabrikam", "messageLanguage", "nl-NL",
					"ccRecipients", []any{m("emailAddress", m("address", "buyer@contoso.com"))}))},
		{name: "minimal invitation: sendInvitationMessage false is sent", code: 201, answer: invited,
			call:   inviteCall(workflow.Invitation{Email: "ada@fabrikam.com", RedirectURL: "https://r.example"}),
			method: "POST", path: "/v1.0/invitations",
			body: m("invitedUserEmailAddress", "ada@fabrikam.com", "inviteRedirectUrl", "https://r.example", "sendInvitationMessage", false)},
		{name: "invitation with only a language", code: 201, answer: invited,
			call:   inviteCall(workflow.Invitation{Email: "ada@fabrikam.com", RedirectURL: "https://r.example", Language: "de-DE", SendMessage: true}),
			method: "POST", path: "/v1.0/invitations",
			body: m("invitedUserEmailAddress", "ada@fabrikam.com", "inviteRedirectUrl", "https://r.example", "sendInvitationMessage", true,
				"invitedUserMessageInfo", m("messageLanguage", "de-DE"))},
		{name: "invitation with only a cc", code: 201, answer: invited,
			call:   inviteCall(workflow.Invitation{Email: "ada@fabrikam.com", RedirectURL: "https://r.example", CC: "cc@contoso.com"}),
			method: "POST", path: "/v1.0/invitations",
			body: m("invitedUserEmailAddress", "ada@fabrikam.com", "inviteRedirectUrl", "https://r.example", "sendInvitationMessage", false,
				"invitedUserMessageInfo", m("ccRecipients", []any{m("emailAddress", m("address", "cc@contoso.com"))}))},
		{name: "block sign-in", code: 204,
			call:   func(d *graph.Directory) error { return d.SetAccountEnabled(ctx, "u/1", false) },
			method: "PATCH", path: "/v1.0/users/u%2F1", body: m("accountEnabled", false)},
		{name: "allow sign-in", code: 204,
			call:   func(d *graph.Directory) error { return d.SetAccountEnabled(ctx, "u1", true) },
			method: "PATCH", path: "/v1.0/users/u1", body: m("accountEnabled", true)},
		{name: "delete user", code: 204,
			call:   func(d *graph.Directory) error { return d.DeleteUser(ctx, "u1") },
			method: "DELETE", path: "/v1.0/users/u1"},
		{name: "manager exists", code: 200, answer: `{"id":"u1"}`,
			call:   existsCall(workflow.ChangeManager, "u1"),
			method: "GET", path: "/v1.0/users/u1", query: map[string]string{"$select": "id"}},
		{name: "group exists", code: 200, answer: `{"id":"g1"}`,
			call:   existsCall(workflow.ChangeGroup, "g1"),
			method: "GET", path: "/v1.0/groups/g1", query: map[string]string{"$select": "id"}},
		{name: "role definition exists", code: 200, answer: `{"id":"r1"}`,
			call:   existsCall(workflow.ChangeRole, "r1"),
			method: "GET", path: "/v1.0/roleManagement/directory/roleDefinitions/r1", query: map[string]string{"$select": "id"}},
		{name: "service principal exists", code: 200, answer: `{"id":"sp1"}`,
			call:   existsCall(workflow.ChangeApp, "sp1"),
			method: "GET", path: "/v1.0/servicePrincipals/sp1", query: map[string]string{"$select": "id"}},
		{name: "user read", code: 200, answer: `{"id":"u1"}`,
			call: func(d *graph.Directory) error {
				_, err := d.User(ctx, "u1")
				return err
			},
			method: "GET", path: "/v1.0/users/u1", query: map[string]string{"$select": "id,mail,userType,externalUserState,creationType,createdDateTime"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, rc := serveDirectory(t, tc.code, tc.answer)
			if err := tc.call(d); err != nil {
				t.Fatal(err)
			}
			if len(rc.seen) != 1 {
				t.Fatalf("%d requests, want 1: %+v", len(rc.seen), rc.seen)
			}
			got := rc.seen[0]
			query := tc.query
			if query == nil {
				query = map[string]string{}
			}
			if got.Method != tc.method || got.Path != tc.path || !reflect.DeepEqual(got.Query, query) {
				t.Errorf("sent %s %s %v, want %s %s %v", got.Method, got.Path, got.Query, tc.method, tc.path, query)
			}
			if !reflect.DeepEqual(got.Body, tc.body) {
				gb, _ := json.Marshal(got.Body)
				wb, _ := json.Marshal(tc.body)
				t.Errorf("body\n got %s\nwant %s", gb, wb)
			}
		})
	}
}
