package graph

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

const (
	testGuest = "11111111-2222-4333-8444-555555555555"
	testSP    = "5e7c0000-0000-4000-8000-000000000001"
)

// TestBatchItems checks the $batch items built for every change kind against
// a base URL that is not the SDK default: method, relative URL and body.
func TestBatchItems(t *testing.T) {
	const base = "http://127.0.0.1:9/v1.0"
	d, err := New(context.Background(), Options{BaseURL: base, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	changes := []workflow.Change{
		{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{GivenName: "Ada", BusinessPhone: "+31 20 123 4567", UsageLocation: "NL"}},
		{Kind: workflow.ChangeManager, ID: "mgr-1"},
		{Kind: workflow.ChangeGroup, ID: "grp-1"},
		{Kind: workflow.ChangeRole, ID: "role-1"},
		{Kind: workflow.ChangeApp, ID: testSP},
		{Kind: workflow.ChangeApp, ID: testSP, AppRoleID: "a5501e00-0000-4000-8000-000000000001"},
	}
	want := []struct {
		method, url string
		body        map[string]any
	}{
		{"PATCH", "/users/" + testGuest, map[string]any{"givenName": "Ada", "businessPhones": []any{"+31 20 123 4567"}, "usageLocation": "NL"}},
		{"PUT", "/users/" + testGuest + "/manager/$ref", map[string]any{"@odata.id": base + "/users/mgr-1"}},
		{"POST", "/groups/grp-1/members/$ref", map[string]any{"@odata.id": base + "/directoryObjects/" + testGuest}},
		{"POST", "/roleManagement/directory/roleAssignments", map[string]any{"roleDefinitionId": "role-1", "principalId": testGuest, "directoryScopeId": "/"}},
		{"POST", "/servicePrincipals/" + testSP + "/appRoleAssignedTo", map[string]any{"principalId": testGuest, "resourceId": testSP, "appRoleId": workflow.DefaultAppRoleID}},
		{"POST", "/servicePrincipals/" + testSP + "/appRoleAssignedTo", map[string]any{"principalId": testGuest, "resourceId": testSP, "appRoleId": "a5501e00-0000-4000-8000-000000000001"}},
	}
	errs := make([]error, len(changes))
	chunks, err := d.buildChunks(context.Background(), testGuest, changes, errs)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 || len(chunks[0]) != len(changes) {
		t.Fatalf("chunks = %d", len(chunks))
	}
	for i, e := range chunks[0] {
		it := e.item
		if e.index != i || deref(it.GetMethod()) != want[i].method || deref(it.GetUrl()) != want[i].url {
			t.Errorf("item %d: %d %s %s, want %s %s", i, e.index, deref(it.GetMethod()), deref(it.GetUrl()), want[i].method, want[i].url)
		}
		body := map[string]any{}
		for k, v := range it.GetBody() {
			if k != "@odata.type" { // the SDK adds the model's type; Graph accepts it
				body[k] = v
			}
		}
		if !reflect.DeepEqual(body, want[i].body) {
			t.Errorf("item %d body = %#v\nwant %#v", i, body, want[i].body)
		}
		if ct := it.GetHeaders()["Content-Type"]; ct != "application/json" {
			t.Errorf("item %d Content-Type = %q", i, ct)
		}
	}
}

func TestBuildChunksSplitsAtTwenty(t *testing.T) {
	d, err := New(context.Background(), Options{BaseURL: "http://127.0.0.1:9/v1.0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 20, 21, 40, 45} {
		changes := make([]workflow.Change, n)
		for i := range changes {
			changes[i] = workflow.Change{Kind: workflow.ChangeGroup, ID: fmt.Sprintf("g%d", i)}
		}
		chunks, err := d.buildChunks(context.Background(), testGuest, changes, make([]error, n))
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, c := range chunks {
			if len(c) > MaxBatchItems {
				t.Errorf("n=%d: chunk of %d", n, len(c))
			}
			total += len(c)
		}
		if wantChunks := (n + MaxBatchItems - 1) / MaxBatchItems; len(chunks) != wantChunks || total != n {
			t.Errorf("n=%d: %d chunks with %d items, want %d chunks", n, len(chunks), total, wantChunks)
		}
	}
}

func TestApplyRejectsUnsendableChanges(t *testing.T) {
	d, err := New(context.Background(), Options{BaseURL: "http://127.0.0.1:9/v1.0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		guest  string
		change workflow.Change
		want   string // "" = nil result without any request
	}{
		{"empty properties", testGuest, workflow.Change{Kind: workflow.ChangeProperties}, ""},
		{"group without id", testGuest, workflow.Change{Kind: workflow.ChangeGroup}, `change "group": ID is required`},
		{"unknown kind", testGuest, workflow.Change{Kind: "license", ID: "x"}, `unknown change kind "license"`},
		{"app sp not a guid", testGuest, workflow.Change{Kind: workflow.ChangeApp, ID: "portal"}, `service principal id "portal" must be a GUID`},
		{"app role not a guid", testGuest, workflow.Change{Kind: workflow.ChangeApp, ID: testSP, AppRoleID: "reader"}, `app role id "reader" must be a GUID`},
		{"no guest", "", workflow.Change{Kind: workflow.ChangeGroup, ID: "g"}, "guest id is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Port 9 on loopback refuses connections: any request would fail transiently.
			errs := d.Apply(context.Background(), tc.guest, []workflow.Change{tc.change})
			if tc.want == "" {
				if errs[0] != nil {
					t.Fatalf("got %v", errs[0])
				}
				return
			}
			var pe *workflow.PermanentError
			if !errors.As(errs[0], &pe) || pe.Reason != tc.want {
				t.Fatalf("got %v, want permanent %q", errs[0], tc.want)
			}
		})
	}
}
