package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// TestServeWithMemorySchedulerRunsTheWholeFlow: with SCHEDULER=memory,
// serve alone delivers its own reminders: invitation, one resend, expiry.
func TestServeWithMemorySchedulerRunsTheWholeFlow(t *testing.T) {
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	gs := httptest.NewServer(sim)
	defer gs.Close()
	settings := map[string]string{
		"GRAPH_BASE_URL": gs.URL + "/v1.0", "GRAPH_AUTH": "none", "SCHEDULER": "memory", "STATE_STORE": "memory",
		"POLICY_ALLOWED_SOURCES": partnerSource, "REMINDER_SCHEDULE": "300ms", "REMINDER_EXPIRE_AFTER": "900ms",
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := settings[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := buildApp(ctx, cfg, slog.New(slog.DiscardHandler), overrides{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close(context.Background())
	hs := httptest.NewServer(a.handler)
	defer hs.Close()
	h := &harness{sim: sim, url: hs.URL, store: a.store}
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", `{"requestId":"r1","email":"ada.lovelace@fabrikam.com"}`)); code != 200 {
		t.Fatal(code, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec, err := a.store.Load(ctx, ada)
		if err == nil && rec.Phase == workflow.PhaseExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not expired in time: %+v %v", rec.Phase, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(sim.EmailsSent(ada)); n != 2 {
		t.Errorf("%d emails, want the invitation and one reminder", n)
	}
}
