package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/workflow"
)

// The domain engine plugs in without adapters.
var (
	_ handlers.Processor    = (*workflow.Engine)(nil)
	_ handlers.StatusReader = (*workflow.Engine)(nil)
)

// TestFailureRecorderFunc: a workflow.Store's SaveFailure wires in through
// FailureRecorderFunc and receives the rejection.
func TestFailureRecorderFunc(t *testing.T) {
	var got []workflow.Failure
	save := func(ctx context.Context, f workflow.Failure) error { got = append(got, f); return nil }
	srv, _ := server(t, handlers.Options{Processor: &fakeProcessor{}, Failures: handlers.FailureRecorderFunc(save)})
	r := invoke(t, srv, "OnboardingEvents", envelope{body: []byte(`{"specversion":"1.0"}`)}.bytes(t))
	if r.status != http.StatusInternalServerError || len(got) != 1 || got[0].MessageID != goldenMessageID {
		t.Fatalf("status %d, recorded %+v", r.status, got)
	}
}
