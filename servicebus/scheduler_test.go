package servicebus

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

func TestBuildMessage(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	local := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		name          string
		at            time.Time
		wantScheduled *time.Time
	}{
		{"future is scheduled, in UTC", now.Add(72 * time.Hour).In(local), ptr(now.Add(72 * time.Hour))},
		{"one nanosecond ahead is scheduled", now.Add(time.Nanosecond), ptr(now.Add(time.Nanosecond))},
		{"now is immediate", now, nil},
		{"past is immediate", now.Add(-time.Hour), nil},
		{"zero time is immediate", time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := reminderMessage()
			m, err := BuildMessage(msg, tt.at, now)
			if err != nil {
				t.Fatalf("BuildMessage: %v", err)
			}
			if m.MessageID == nil || *m.MessageID != msg.ID {
				t.Errorf("MessageID = %v, want %q", m.MessageID, msg.ID)
			}
			if m.ContentType == nil || *m.ContentType != ContentTypeCloudEventsJSON {
				t.Errorf("ContentType = %v", m.ContentType)
			}
			if m.Subject == nil || *m.Subject != workflow.TypeReminderDue {
				t.Errorf("Subject = %v", m.Subject)
			}
			if m.ApplicationProperties != nil {
				t.Errorf("ApplicationProperties = %v, want none", m.ApplicationProperties)
			}
			switch {
			case tt.wantScheduled == nil && m.ScheduledEnqueueTime != nil:
				t.Errorf("ScheduledEnqueueTime = %v, want nil (immediate)", *m.ScheduledEnqueueTime)
			case tt.wantScheduled != nil && m.ScheduledEnqueueTime == nil:
				t.Errorf("ScheduledEnqueueTime = nil, want %v", *tt.wantScheduled)
			case tt.wantScheduled != nil:
				if !m.ScheduledEnqueueTime.Equal(*tt.wantScheduled) || m.ScheduledEnqueueTime.Location() != time.UTC {
					t.Errorf("ScheduledEnqueueTime = %v, want %v in UTC", *m.ScheduledEnqueueTime, *tt.wantScheduled)
				}
			}
			ev, err := decodeAsHandler(m.Body)
			if err != nil {
				t.Fatalf("body does not decode: %v", err)
			}
			if ev.ID != msg.Event.ID || string(ev.Data) != `{"key":"ada.lovelace@fabrikam.com","number":1,"requestId":"PR-2026-0042"}` {
				t.Errorf("body event = %+v data %s", ev, ev.Data)
			}
		})
	}
}

func TestBuildMessageRejects(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		mutate func(*workflow.Message)
		want   string
	}{
		{"empty id", func(m *workflow.Message) { m.ID = "" }, "message id: must not be empty"},
		{"id too long", func(m *workflow.Message) { m.ID = strings.Repeat("a", 129) }, "at most 128 characters"},
		{"invalid event", func(m *workflow.Message) { m.Event.Source = "" }, "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := reminderMessage()
			tt.mutate(&msg)
			if _, err := BuildMessage(msg, now, now); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want mention of %q", err, tt.want)
			}
		})
	}
	msg := reminderMessage()
	msg.ID = strings.Repeat("a", 128)
	if _, err := BuildMessage(msg, now, now); err != nil {
		t.Errorf("128-character id refused: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// recordingSender stands in for the Service Bus link: it records what the
// Scheduler hands to SendMessage and returns a programmed error.
type recordingSender struct {
	mu   sync.Mutex
	sent []*azservicebus.Message
	err  error
}

func (r *recordingSender) SendMessage(_ context.Context, m *azservicebus.Message, _ *azservicebus.SendMessageOptions) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.sent = append(r.sent, m)
	return nil
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestSchedulerSendsBuiltMessage(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rs := &recordingSender{}
	s := NewScheduler(rs, fixedClock(now), nil)
	msg := reminderMessage()
	if err := s.Schedule(context.Background(), msg, now.Add(3*24*time.Hour)); err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	if len(rs.sent) != 1 {
		t.Fatalf("sent %d messages", len(rs.sent))
	}
	got := rs.sent[0]
	if *got.MessageID != msg.ID || got.ScheduledEnqueueTime == nil || !got.ScheduledEnqueueTime.Equal(now.Add(72*time.Hour)) {
		t.Errorf("sent %+v", got)
	}
}

// errors.As is how callers tell a Service Bus outage (retry later) from a
// deployment fault (wrong queue, missing role).
func TestSchedulerClassifiesErrors(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		wantTransient bool
		wantCode      string
	}{
		{"connection lost", &azservicebus.Error{Code: azservicebus.CodeConnectionLost}, true, "connlost"},
		{"timeout", &azservicebus.Error{Code: azservicebus.CodeTimeout}, true, "timeout"},
		{"closed link", &azservicebus.Error{Code: azservicebus.CodeClosed}, true, "closed"},
		{"unauthorized", &azservicebus.Error{Code: azservicebus.CodeUnauthorizedAccess}, false, "unauthorized"},
		{"queue not found", &azservicebus.Error{Code: azservicebus.CodeNotFound}, false, "notfound"},
		{"deadline", context.DeadlineExceeded, true, ""},
		{"cancelled", context.Canceled, false, ""},
		{"unclassified", errors.New("message too large"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScheduler(&recordingSender{err: tt.err}, nil, nil)
			err := s.Schedule(context.Background(), reminderMessage(), time.Now().Add(time.Hour))
			if err == nil {
				t.Fatal("Schedule succeeded")
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error %v does not wrap the SDK error", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *servicebus.Error", err)
			}
			if e.Code != tt.wantCode || e.Transient != tt.wantTransient || IsTransient(err) != tt.wantTransient {
				t.Errorf("classified as code=%q transient=%v, want %q %v", e.Code, e.Transient, tt.wantCode, tt.wantTransient)
			}
			var te *workflow.TransientError
			if errors.As(err, &te) != tt.wantTransient {
				t.Errorf("workflow.TransientError match = %v, want %v", !tt.wantTransient, tt.wantTransient)
			}
			if workflow.IsPermanent(err) {
				t.Errorf("infrastructure error reported as permanent event failure: %v", err)
			}
			if !strings.Contains(err.Error(), "a***@fabrikam.com/reminder/1") {
				t.Errorf("error %q does not name the message id (masked)", err)
			}
			if strings.Contains(err.Error(), "lovelace") {
				t.Errorf("error %q shows the e-mail address", err)
			}
		})
	}
}
