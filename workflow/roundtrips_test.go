package workflow_test

import (
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// The state-store round trips of a delivery, counted: a new onboarding
// reads its record once and writes it twice (the approval with the
// invitation intent, then the result), a delivery with nothing to do
// reads it once; the next reminder is scheduled (and recorded) before the
// delivery completes.
func TestStoreRoundTrips(t *testing.T) {
	moreData := strings.Replace(adaData, `"PR-1"`, `"PR-2"`, 1)
	moreData = strings.Replace(moreData, `"groups":["`+groupA+`"]`, `"groups":["`+groupA+`","`+groupB+`"]`, 1)
	cases := []struct {
		name   string
		before []workflow.Delivery // delivered first, not counted
		d      workflow.Delivery
		want   store.Counts
		action string
	}{
		{"new onboarding", nil, approved("m1", adaData), store.Counts{Load: 1, Save: 2}, "invited"},
		{"duplicate delivery (the same event sent again)", []workflow.Delivery{approved("m1", adaData)}, approved("m2", adaData), store.Counts{Load: 1}, "up-to-date"},
		{"redelivery of a processed message", []workflow.Delivery{approved("m1", adaData)}, redelivered(approved("m1", adaData)), store.Counts{Failure: 1, Load: 1}, "up-to-date"},
		{"approval adding a group", []workflow.Delivery{approved("m1", adaData)}, approved("m2", moreData), store.Counts{Load: 1, Save: 1}, "provisioned"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			counting := &store.Instrumented{Store: e.store}
			e.eng.Store = counting
			for _, d := range tc.before {
				e.handle(t, d)
			}
			counting.Reset()
			scheduled := len(e.sched.all())
			res := e.handle(t, tc.d)
			if got := counting.Counts(); got != tc.want {
				t.Errorf("store calls %+v, want %+v", got, tc.want)
			}
			if string(res.Action) != tc.action {
				t.Errorf("action %q, want %q", res.Action, tc.action)
			}
			r := e.record(t, "ada@fabrikam.com")
			if r.Reminders.Next != 1 || len(e.sched.all()) <= scheduled && tc.before == nil {
				t.Errorf("reminder: next %d, %d scheduled; want #1 scheduled and recorded", r.Reminders.Next, len(e.sched.all()))
			}
			if r.Phase != workflow.PhaseProvisioned {
				t.Errorf("phase %s, want Provisioned", r.Phase)
			}
		})
	}
}

func redelivered(d workflow.Delivery) workflow.Delivery {
	d.DeliveryCount++
	return d
}
