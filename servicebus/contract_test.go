package servicebus_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow/schedulertest"
)

// servicebus.Scheduler over a fake sender meets the scheduler contract:
// the message it hands to azservicebus is one that a Service Bus queue
// (modelled by queueSender) delivers once, on time, and that the handler
// decodes back into the scheduled event.
func TestSchedulerContract(t *testing.T) {
	schedulertest.Run(t, func(t *testing.T, now func() time.Time) schedulertest.Target {
		q := &queueSender{now: now, seen: map[string]bool{}}
		return schedulertest.Target{
			Scheduler: servicebus.NewScheduler(q, clockFunc(now), nil),
			Receive:   q.receive,
		}
	})
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// queueSender stands in for the sender of a Service Bus queue with
// duplicate detection on: a MessageId seen before is accepted and
// dropped (the suite runs well within any detection window), and a
// message with a ScheduledEnqueueTime stays invisible until then.
type queueSender struct {
	mu    sync.Mutex
	now   func() time.Time
	seen  map[string]bool
	queue []enqueued
}

type enqueued struct {
	msg     *azservicebus.Message
	visible time.Time
}

func (q *queueSender) SendMessage(_ context.Context, m *azservicebus.Message, _ *azservicebus.SendMessageOptions) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var id string
	if m.MessageID != nil {
		id = *m.MessageID
	}
	if q.seen[id] {
		return nil
	}
	q.seen[id] = true
	visible := q.now()
	if m.ScheduledEnqueueTime != nil {
		visible = *m.ScheduledEnqueueTime
	}
	q.queue = append(q.queue, enqueued{msg: m, visible: visible})
	return nil
}

// receive takes the visible messages, as the Functions host would hand
// them to the handler.
func (q *queueSender) receive(*testing.T) []schedulertest.Delivered {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []schedulertest.Delivered
	now := q.now()
	q.queue = slices.DeleteFunc(q.queue, func(e enqueued) bool {
		if e.visible.After(now) {
			return false
		}
		d := schedulertest.Delivered{ApplicationProperties: e.msg.ApplicationProperties, Body: e.msg.Body}
		if e.msg.MessageID != nil {
			d.MessageID = *e.msg.MessageID
		}
		if e.msg.ContentType != nil {
			d.ContentType = *e.msg.ContentType
		}
		out = append(out, d)
		return true
	})
	return out
}
