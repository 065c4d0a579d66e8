package graph_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/workflow"
)

// TestEmptyIDIsRefusedBeforeAnyRequest: a read of one object by an empty
// id would GET the collection, which Graph answers 200; each is refused
// with a PermanentError naming the id, and nothing is sent.
func TestEmptyIDIsRefusedBeforeAnyRequest(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"value":[]}`))
	}))
	defer srv.Close()
	d, err := graph.New(ctx, graph.Options{BaseURL: srv.URL + "/v1.0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, field string
		call        func() error
	}{
		{"ObjectExists manager", "manager id", func() error { _, err := d.ObjectExists(ctx, workflow.ChangeManager, ""); return err }},
		{"ObjectExists group", "group id", func() error { _, err := d.ObjectExists(ctx, workflow.ChangeGroup, ""); return err }},
		{"ObjectExists role", "role id", func() error { _, err := d.ObjectExists(ctx, workflow.ChangeRole, ""); return err }},
		{"ObjectExists app", "app id", func() error { _, err := d.ObjectExists(ctx, workflow.ChangeApp, ""); return err }},
		{"GroupKind", "group id", func() error { _, err := d.GroupKind(ctx, ""); return err }},
		{"ServicePrincipal", "service principal id", func() error { _, err := d.ServicePrincipal(ctx, ""); return err }},
		{"GrantedPermissions", "service principal id", func() error { _, err := d.GrantedPermissions(ctx, ""); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var pe *workflow.PermanentError
			if !errors.As(err, &pe) || !strings.Contains(pe.Reason, tc.field+" is required") {
				t.Errorf("got %v, want a PermanentError saying %q is required", err, tc.field)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent for empty ids, want 0", n)
	}
}
