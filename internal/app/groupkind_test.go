package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// TestServeDynamicGroupIsPermanent: an onboarding that names a group which
// cannot take direct members fails permanently with a reason naming the
// group and its kind, decided by reading the group once (cached) — no
// member write is attempted and redeliveries cause no retry storm.
func TestServeDynamicGroupIsPermanent(t *testing.T) {
	cases := []struct {
		name, group, kind string
	}{
		{"dynamic", graphsim.SampleGroupDynamic, "has dynamic membership"},
		{"on-premises synced", graphsim.SampleGroupSynced, "is synced from on-premises AD"},
		{"distribution list", graphsim.SampleGroupSales, "is mail-enabled and not a Microsoft 365 group"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "POLICY_ALLOWED_GROUPS", graphsim.SampleGroupPartners+","+tc.group)
			data := withField(t, "groups", []any{graphsim.SampleGroupPartners, tc.group})
			ev := cloudEvent("partner-approved", "ev-1", data)
			var o outcome
			for n := 1; n <= 5; n++ { // the queue's redeliveries of a failed message
				o = h.try(t, "msg-1", envelope(t, ev, true, "msg-1", n, structuredCT, nil))
				if o.status != http.StatusInternalServerError {
					t.Fatalf("delivery %d: status %d, want 500: %s", n, o.status, o.logs)
				}
			}
			want := "group " + tc.group + " " + tc.kind
			if !strings.Contains(o.reason, want) {
				t.Fatalf("recorded reason %q, want %q", o.reason, want)
			}
			if n := h.sim.RequestCount("GET /groups/{id}"); n != 2 {
				t.Errorf("groups read %d times over 5 deliveries, want each of the 2 once (cached): %v", n, h.sim.RequestCounts())
			}
			if n := h.sim.RequestCount("POST /groups/{id}/members/$ref") + h.sim.RequestCount("PATCH /groups/{id}"); n > 1 {
				t.Errorf("%d member writes, want at most the allowed group's one: %v", n, h.sim.RequestCounts())
			}
			if m := h.sim.MembersOf(tc.group); len(m) != 0 {
				t.Errorf("members %v", m)
			}
			if n := h.sim.RequestCount("POST /invitations"); n != 1 {
				t.Errorf("%d invitations, want 1", n)
			}
		})
	}
}
