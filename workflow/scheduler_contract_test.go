package workflow_test

import (
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow/schedulertest"
)

// The test scheduler the workflow's tests run on meets the same contract
// as servicebus.Scheduler (servicebus/contract_test.go).
func TestFakeSchedulerContract(t *testing.T) {
	schedulertest.Run(t, func(t *testing.T, now func() time.Time) schedulertest.Target {
		s := &fakeScheduler{}
		received := map[string]bool{}
		return schedulertest.Target{
			Scheduler: s,
			Receive: func(t *testing.T) []schedulertest.Delivered {
				var out []schedulertest.Delivered
				for _, m := range s.all() {
					if !received[m.msg.ID] && !m.at.After(now()) {
						received[m.msg.ID] = true
						ev := m.msg.Event
						out = append(out, schedulertest.Delivered{MessageID: m.msg.ID, Event: &ev})
					}
				}
				return out
			},
		}
	})
}
