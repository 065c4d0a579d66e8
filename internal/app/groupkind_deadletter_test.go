package app

import (
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/graphsim"
)

// TestDynamicGroupEndsDeadLettered: an onboarding naming a dynamic group,
// sent to the local queue (the deployed queue's properties: 10
// deliveries) and delivered by the host emulator to serve's handler, ends
// in the dead-letter queue with the recorded reason "group … has dynamic
// membership …" — and the Graph calls show no retry storm: one
// invitation, each group read once, no member write to the dynamic group.
func TestDynamicGroupEndsDeadLettered(t *testing.T) {
	s := startMemoryServe(t, map[string]string{
		"POLICY_ALLOWED_SOURCES": partnerSource, "POLICY_ALLOWED_GROUPS": graphsim.SampleGroupPartners + "," + graphsim.SampleGroupDynamic,
		"POLICY_ALLOWED_ROLES": graphsim.RoleGuestInviter, "POLICY_ALLOWED_APPS": "*/*", // what the rest of the event asks for
	})
	sim, a, ctx := s.sim, s.app, s.ctx

	q, err := a.local.broker.Queue(s.cfg.Queue)
	if err != nil {
		t.Fatal(err)
	}
	data := withField(t, "groups", []any{graphsim.SampleGroupPartners, graphsim.SampleGroupDynamic})
	if _, err := q.Send(ctx, devhost.Message{MessageID: "msg-dyn", ContentType: structuredCT, Body: cloudEvent("partner-approved", "ev-dyn", data)}); err != nil {
		t.Fatal(err)
	}
	var dl []devhost.ReceivedMessage
	for deadline := time.Now().Add(30 * time.Second); len(dl) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not dead-lettered in time; Graph calls %v", sim.RequestCounts())
		}
		dl = q.DeadLetters()
	}
	maxDelivery := q.Options().MaxDeliveryCount
	if dl[0].MessageID != "msg-dyn" || dl[0].DeadLetterReason != devhost.ReasonMaxDeliveryCountExceeded || dl[0].DeliveryCount != maxDelivery {
		t.Fatalf("dead letter %+v", dl[0])
	}
	f, err := a.Store.Failure(ctx, "msg-dyn")
	if want := "group " + graphsim.SampleGroupDynamic + " has dynamic membership"; err != nil || !strings.Contains(f.Reason, want) {
		t.Fatalf("recorded failure %+v (%v), want a reason with %q", f, err, want)
	}
	counts := sim.RequestCounts()
	t.Logf("%d deliveries; Graph calls: %v", maxDelivery, counts)
	if n := sim.RequestCount("POST /invitations"); n != 1 {
		t.Errorf("%d invitations over %d deliveries, want 1", n, maxDelivery)
	}
	if n := sim.RequestCount("GET /groups/{id}"); n != 2 {
		t.Errorf("groups read %d times, want each of the 2 once (cached)", n)
	}
	if n := sim.RequestCount("POST /groups/{id}/members/$ref") + sim.RequestCount("PATCH /groups/{id}"); n > 1 {
		t.Errorf("%d member writes, want at most the writable group's one", n)
	}
	if m := sim.MembersOf(graphsim.SampleGroupDynamic); len(m) != 0 {
		t.Errorf("dynamic group members %v", m)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total > 30 {
		t.Errorf("%d Graph calls for %d deliveries of one failing event: a retry storm", total, maxDelivery)
	}
}
