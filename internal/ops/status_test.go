package ops

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
)

// TestStatusSendsTheDevKey: the dev runtime enforces the status function's
// authLevel like Azure, so `onboard status` sends the dev key to --dev-url;
// to --url it sends only what --code gives.
func TestStatusSendsTheDevKey(t *testing.T) {
	var codes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.URL.Query().Get("code")
		codes = append(codes, code)
		if code == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"key":"ada@fabrikam.com","phase":"Invited"}`)
	}))
	defer srv.Close()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var out strings.Builder
	if err := Status(t.Context(), StatusOptions{Key: "ada@fabrikam.com", DevURL: srv.URL}, &out, now); err != nil {
		t.Fatalf("status against the dev runtime: %v", err)
	}
	err := Status(t.Context(), StatusOptions{Key: "ada@fabrikam.com", DevURL: devhost.DefaultDevURL, URL: srv.URL}, &out, now)
	if err == nil || !strings.Contains(err.Error(), "401: give the function key with --code") {
		t.Fatalf("status against an app without --code: err = %v", err)
	}
	if err := Status(t.Context(), StatusOptions{Key: "ada@fabrikam.com", DevURL: devhost.DefaultDevURL, URL: srv.URL, Code: "prod-key"}, &out, now); err != nil {
		t.Fatal(err)
	}
	if strings.Join(codes, ",") != devhost.DevFunctionKey+",,prod-key" {
		t.Fatalf("keys sent: %q", codes)
	}
}
