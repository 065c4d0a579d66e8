package schedulertest

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/workflow"
)

// message is a reminder as the workflow schedules it, with every
// attribute set: a sub-second time, non-ASCII and markup in the data,
// the retry extensions.
func message(id string) workflow.Message {
	return workflow.Message{ID: id, Event: workflow.Event{
		ID: id, Type: workflow.TypeReminderDue, Source: workflow.Source, Subject: "zoë@fabrikam.com",
		Time: time.Date(2026, 11, 24, 8, 59, 30, 123456789, time.UTC),
		Data: json.RawMessage(`{"key":"zoë@fabrikam.com","number":1,"cycle":2,"requestId":"PR-1 <&>"}`),
		Extensions: map[string]string{"onboardattempt": "2",
			"onboardfirstfailure": "2026-11-24T08:00:00Z"},
	}}
}

// receive takes the due messages and decodes each, the wire form through
// the handler's parser.
func (e *env) receive(t *testing.T) map[string]workflow.Event {
	t.Helper()
	out := map[string]workflow.Event{}
	for _, d := range e.Receive(t) {
		if _, dup := out[d.MessageID]; dup {
			t.Errorf("message %s delivered twice", d.MessageID)
		}
		if d.Event != nil {
			out[d.MessageID] = *d.Event
			continue
		}
		ev, err := handlers.ParseCloudEvent(d.ContentType, d.ApplicationProperties, d.Body)
		if err != nil {
			t.Fatalf("the handler cannot decode message %s: %v\ncontent type %q, body %s", d.MessageID, err, d.ContentType, d.Body)
		}
		out[d.MessageID] = ev
	}
	return out
}

// expect checks that exactly the messages wanted were delivered, each
// with the event that was scheduled.
func (e *env) expect(t *testing.T, want ...workflow.Message) {
	t.Helper()
	got := e.receive(t)
	ids := slices.Sorted(maps.Keys(got))
	var wantIDs []string
	for _, m := range want {
		wantIDs = append(wantIDs, m.ID)
	}
	slices.Sort(wantIDs)
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("delivered %q at %s, want %q", ids, e.clock.Now().Format(time.RFC3339), wantIDs)
	}
	for _, m := range want {
		if diff := eventDiff(got[m.ID], m.Event); diff != "" {
			t.Errorf("message %s arrived changed: %s", m.ID, diff)
		}
	}
}

// eventDiff names the first attribute in which got differs from want;
// data is compared as JSON values.
func eventDiff(got, want workflow.Event) string {
	var gd, wd any
	_ = json.Unmarshal(got.Data, &gd)
	_ = json.Unmarshal(want.Data, &wd)
	switch {
	case got.ID != want.ID, got.Type != want.Type, got.Source != want.Source, got.Subject != want.Subject:
		return "id/type/source/subject " + strings.Join([]string{got.ID, got.Type, got.Source, got.Subject}, " ")
	case !got.Time.Equal(want.Time):
		return "time " + got.Time.Format(time.RFC3339Nano)
	case !reflect.DeepEqual(gd, wd):
		return "data " + string(got.Data)
	case !maps.Equal(got.Extensions, want.Extensions):
		return "extensions " + strings.Join(slices.Sorted(maps.Keys(got.Extensions)), ",")
	}
	return ""
}

// A message due now arrives with its id and, decoded by the handler's
// parser, the event as scheduled.
func testRoundTrip(t *testing.T, e *env) {
	m := message("zoë@fabrikam.com/c2/reminder/1")
	if err := e.schedule(t, m, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.expect(t, m)
}

// Scheduling an id again is accepted and dropped (Service Bus duplicate
// detection): the first message is delivered once, at its own time; the
// repeat's content and earlier time are ignored.
func testDuplicate(t *testing.T, e *env) {
	first := message("ada@fabrikam.com/reminder/1")
	repeat := message("ada@fabrikam.com/reminder/1")
	repeat.Event.Data = json.RawMessage(`{"key":"ada@fabrikam.com","number":99,"requestId":"PR-2"}`)
	now := e.clock.Now()
	if err := e.schedule(t, first, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := e.schedule(t, repeat, now.Add(5*time.Minute)); err != nil {
		t.Fatalf("scheduling an id again must be accepted (and dropped), got %v", err)
	}
	e.clock.Advance(5 * time.Minute)
	e.expect(t)
	e.clock.Advance(5 * time.Minute)
	e.expect(t, first)
	e.clock.Advance(time.Hour)
	e.expect(t)
}

// Duplicate detection keys on the id only: the same event under two ids
// is delivered twice.
func testDistinctIDs(t *testing.T, e *env) {
	a, b := message("ada@fabrikam.com/retry/1"), message("ada@fabrikam.com/retry/2")
	b.Event = a.Event
	for _, m := range []workflow.Message{a, b} {
		if err := e.schedule(t, m, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	e.expect(t, a, b)
}

// A message is not delivered before its time (given in any zone), and is
// delivered once it is due.
func testDueTime(t *testing.T, e *env) {
	m := message("ada@fabrikam.com/reminder/2")
	at := e.clock.Now().Add(time.Hour).In(time.FixedZone("CET", 3600))
	if err := e.schedule(t, m, at); err != nil {
		t.Fatal(err)
	}
	e.expect(t)
	e.clock.Advance(time.Hour - time.Second)
	e.expect(t)
	e.clock.Advance(time.Second)
	e.expect(t, m)
}

// A time in the past (or zero) means "now".
func testPastDue(t *testing.T, e *env) {
	late, zero := message("ada@fabrikam.com/reminder/3"), message("ada@fabrikam.com/retry/3")
	if err := e.schedule(t, late, e.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := e.schedule(t, zero, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.expect(t, late, zero)
}

// Service Bus refuses a MessageId over 128 characters. An id of 128 is
// delivered unchanged; a longer one is refused with an error naming the
// limit, not reported as transient (no retry can fix it), and nothing is
// sent. The workflow keeps its ids within the limit (workflow/ids.go).
func testIDLength(t *testing.T, e *env) {
	prefix := "ada@fabrikam.com/reminder/1/retry/"
	longest := message(prefix + strings.Repeat("x", MaxMessageIDLength-len(prefix)))
	tooLong := message(longest.ID + "x")
	if err := e.schedule(t, longest, e.clock.Now()); err != nil {
		t.Fatalf("a %d-character id: %v", len(longest.ID), err)
	}
	err := e.schedule(t, tooLong, e.clock.Now())
	if err == nil || !strings.Contains(err.Error(), "128") || errors.As(err, new(*workflow.TransientError)) {
		t.Fatalf("a %d-character id: %v, want a non-transient error naming the 128-character limit", len(tooLong.ID), err)
	}
	e.expect(t, longest)
}

// Duplicate detection keys on the id, so a message without one is refused.
func testEmptyID(t *testing.T, e *env) {
	m := message("")
	if err := e.schedule(t, m, e.clock.Now()); err == nil {
		t.Fatal("a message without id was accepted")
	}
	e.expect(t)
}

// An event the handler could not decode (no source or type, data that is
// not JSON) is refused when scheduled rather than dead-lettered later.
func testUndecodable(t *testing.T, e *env) {
	for _, tc := range []struct {
		name  string
		spoil func(*workflow.Event)
	}{
		{"no source", func(ev *workflow.Event) { ev.Source = "" }},
		{"no type", func(ev *workflow.Event) { ev.Type = "" }},
		{"data not JSON", func(ev *workflow.Event) { ev.Data = json.RawMessage(`{"key":`) }},
	} {
		m := message("ada@fabrikam.com/reminder/" + tc.name)
		tc.spoil(&m.Event)
		if err := e.schedule(t, m, e.clock.Now()); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	e.expect(t)
}
