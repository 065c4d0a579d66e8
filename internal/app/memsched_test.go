package app

import (
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/internal/localqueue"
	"github.com/b2b-onboarding/onboard/workflow"
)

// TestServeWithMemorySchedulerRunsTheWholeFlow: with SCHEDULER=memory,
// serve alone delivers its own reminders (invitation, one resend, expiry)
// from the local queue through the host emulator and the handler's HTTP
// path, as Service Bus and the Functions host would.
func TestServeWithMemorySchedulerRunsTheWholeFlow(t *testing.T) {
	s := startMemoryServe(t, map[string]string{
		"POLICY_ALLOWED_SOURCES": partnerSource, "REMINDER_SCHEDULE": "300ms", "REMINDER_EXPIRE_AFTER": "900ms",
	})
	sim, a, ctx, cancel, served := s.sim, s.app, s.ctx, s.cancel, s.served
	if _, ok := a.Engine.Scheduler.(localqueue.Scheduler); !ok {
		t.Fatalf("scheduler %T, want the local queue's", a.Engine.Scheduler)
	}

	h := &harness{sim: sim, url: s.url, store: a.Store}
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", `{"requestId":"r1","email":"ada.lovelace@fabrikam.com"}`)); code != 200 {
		t.Fatal(code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec, err := a.Store.Load(ctx, ada)
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
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}
