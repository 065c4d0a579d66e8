// Package schedulertest is the contract every workflow.Scheduler must meet,
// as one suite run against each implementation: servicebus.Scheduler over
// a fake azservicebus sender (servicebus/contract_test.go), the workflow's
// test scheduler (workflow/scheduler_contract_test.go) and the scheduler
// over the dev queue (internal/localqueue/contract_test.go). It checks what the workflow relies on: a repeated
// message id is delivered once (Service Bus duplicate detection), nothing
// is delivered before its time, ids longer than Service Bus's 128
// characters (or empty) are refused, and the event that arrives is the
// event that was scheduled — decoded, for implementations that encode,
// by the handler's own parser (handlers.ParseCloudEvent), as every
// production delivery is.
//
// # Adding an implementation
//
// Write a New function that builds a fresh scheduler on the suite's clock
// and returns a Target whose Receive takes the messages that are due, then
// call Run from a test in a package that can build it;
// internal/localqueue/contract_test.go is a short example.
package schedulertest

import (
	"context"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/internal/testclock"
	"github.com/b2b-onboarding/onboard/workflow"
)

// MaxMessageIDLength is the longest MessageId Service Bus accepts.
const MaxMessageIDLength = 128

// Target is one implementation under test.
type Target struct {
	Scheduler workflow.Scheduler
	// Receive takes the messages that are due on the suite's clock and
	// were not received before, as the queue would deliver them to the
	// handler.
	Receive func(t *testing.T) []Delivered
}

// Delivered is one message as the queue delivers it: the wire form the
// Functions host hands to the handler (ContentType, ApplicationProperties,
// Body), or, for an in-memory test scheduler that never encodes, the Event.
type Delivered struct {
	MessageID             string
	ContentType           string
	ApplicationProperties map[string]any
	Body                  []byte
	Event                 *workflow.Event
}

// New builds a Target on a fresh queue whose clock is now (it decides
// what is due). It arranges its own cleanup with t.Cleanup.
type New func(t *testing.T, now func() time.Time) Target

// env is one case's target and clock.
type env struct {
	Target
	clock *testclock.Clock
}

func (e *env) schedule(t *testing.T, msg workflow.Message, at time.Time) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return e.Scheduler.Schedule(ctx, msg, at)
}

// Run runs the contract against targets made by newTarget, each case on a
// fresh queue, in parallel.
func Run(t *testing.T, newTarget New) {
	cases := []struct {
		name string
		test func(t *testing.T, e *env)
	}{
		{"RoundTrip", testRoundTrip},
		{"DuplicateIDDeliveredOnce", testDuplicate},
		{"DistinctIDsAllDelivered", testDistinctIDs},
		{"NotDeliveredBeforeDue", testDueTime},
		{"PastDueDeliveredAtOnce", testPastDue},
		{"IDLengthLimit", testIDLength},
		{"EmptyIDRefused", testEmptyID},
		{"UndecodableEventRefused", testUndecodable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clk := testclock.New(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
			c.test(t, &env{Target: newTarget(t, clk.Now), clock: clk})
		})
	}
}
