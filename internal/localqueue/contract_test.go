package localqueue

import (
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/workflow/schedulertest"
)

// TestSchedulerContract holds the scheduler over the dev queue (used by
// `onboard dev` and SCHEDULER=memory) to the same contract as
// servicebus.Scheduler and the workflow's test scheduler.
func TestSchedulerContract(t *testing.T) {
	schedulertest.Run(t, func(t *testing.T, now func() time.Time) schedulertest.Target {
		q := devhost.NewQueue("onboarding", devhost.QueueOptions{Now: now})
		t.Cleanup(q.Close)
		return schedulertest.Target{
			Scheduler: Scheduler{Queue: q},
			Receive: func(t *testing.T) (out []schedulertest.Delivered) {
				for m, ok := q.TryReceive(); ok; m, ok = q.TryReceive() {
					if err := q.Complete(m.LockToken); err != nil {
						t.Fatal(err)
					}
					out = append(out, schedulertest.Delivered{MessageID: m.MessageID,
						ContentType: m.ContentType, ApplicationProperties: m.ApplicationProperties, Body: m.Body})
				}
				return out
			},
		}
	})
}
