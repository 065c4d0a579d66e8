package servicebus

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/workflow"
	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/event"
)

func reminderMessage() workflow.Message {
	return workflow.Message{
		ID: "ada.lovelace@fabrikam.com/reminder/1",
		Event: workflow.Event{
			ID:      "ada.lovelace@fabrikam.com/reminder/1",
			Type:    workflow.TypeReminderDue,
			Source:  workflow.Source,
			Subject: "ada.lovelace@fabrikam.com",
			Time:    time.Date(2026, 3, 1, 9, 30, 15, 123000000, time.FixedZone("CET", 3600)),
			Data:    json.RawMessage(`{"key": "ada.lovelace@fabrikam.com", "number": 1, "requestId": "PR-2026-0042"}`),
			Extensions: map[string]string{
				"onboardattempt":      "2",
				"onboardfirstfailure": "2026-03-01T08:30:00Z",
			},
		},
	}
}

// The encoded body must be a structured CloudEvent that the SDK itself
// parses and validates, with every attribute, the data inline as JSON and
// the extensions preserved.
func TestEncodeRoundTripThroughSDK(t *testing.T) {
	m := reminderMessage()
	body, ct, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if ct != "application/cloudevents+json; charset=utf-8" {
		t.Errorf("content type = %q", ct)
	}
	if f := format.Lookup(ct); f != format.JSON {
		t.Errorf("format.Lookup(%q) = %v, want JSON format", ct, f)
	}

	var e event.Event
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("sdk unmarshal: %v\n%s", err, body)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("sdk Validate: %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"specversion", e.SpecVersion(), "1.0"},
		{"id", e.ID(), m.Event.ID},
		{"type", e.Type(), "reminder-due"},
		{"source", e.Source(), "/b2b-onboarding"},
		{"subject", e.Subject(), "ada.lovelace@fabrikam.com"},
		{"datacontenttype", e.DataContentType(), "application/json"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !e.Time().Equal(m.Event.Time) {
		t.Errorf("time = %v, want %v", e.Time(), m.Event.Time)
	}
	var data workflow.ReminderData
	if err := e.DataAs(&data); err != nil {
		t.Fatalf("DataAs: %v", err)
	}
	if data != (workflow.ReminderData{Key: "ada.lovelace@fabrikam.com", Number: 1, RequestID: "PR-2026-0042"}) {
		t.Errorf("data = %+v", data)
	}
	for name, want := range m.Event.Extensions {
		if got := e.Extensions()[name]; got != want {
			t.Errorf("extension %s = %v, want %q", name, got, want)
		}
	}

	// Data travels as a JSON object under "data", never base64.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["data_base64"]; ok {
		t.Errorf("body has data_base64: %s", body)
	}
	if !strings.HasPrefix(string(raw["data"]), "{") {
		t.Errorf("data is not an inline object: %s", raw["data"])
	}

	// The handler decodes it back to the same event.
	back, err := decodeAsHandler(body)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if back.ID != m.Event.ID || back.Type != m.Event.Type || back.Source != m.Event.Source ||
		back.Subject != m.Event.Subject || !back.Time.Equal(m.Event.Time) {
		t.Errorf("Decode attributes = %+v", back)
	}
	if back.Extensions["onboardattempt"] != "2" || back.Extensions["onboardfirstfailure"] != "2026-03-01T08:30:00Z" {
		t.Errorf("Decode extensions = %v", back.Extensions)
	}
	var d2 workflow.ReminderData
	if err := json.Unmarshal(back.Data, &d2); err != nil || d2 != data {
		t.Errorf("Decode data = %s (%v)", back.Data, err)
	}
}

// Optional attributes are omitted when the workflow leaves them empty.
func TestEncodeMinimalEvent(t *testing.T) {
	m := workflow.Message{ID: "x/1", Event: workflow.Event{ID: "e1", Type: "partner-approved", Source: "/procurement"}}
	body, _, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"subject", "time", "data", "datacontenttype"} {
		if _, ok := raw[absent]; ok {
			t.Errorf("%s present in %s", absent, body)
		}
	}
	if _, err := decodeAsHandler(body); err != nil {
		t.Errorf("Decode: %v", err)
	}
}

// Bad events are refused with an error naming the attribute.
func TestEncodeRejectsInvalidEvents(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*workflow.Event)
		want   string
	}{
		{"missing id", func(e *workflow.Event) { e.ID = "" }, "id"},
		{"missing type", func(e *workflow.Event) { e.Type = "" }, "type"},
		{"missing source", func(e *workflow.Event) { e.Source = "" }, "source"},
		{"data not JSON", func(e *workflow.Event) { e.Data = json.RawMessage(`{"key":`) }, "data: must be valid JSON"},
		{"extension with dash", func(e *workflow.Event) { e.Extensions = map[string]string{"onboard-attempt": "1"} }, `extension "onboard-attempt"`},
		{"extension upper-case", func(e *workflow.Event) { e.Extensions = map[string]string{"onboardAttempt": "1"} }, `extension "onboardAttempt": name must be lower-case`},
		{"extension overriding id", func(e *workflow.Event) { e.Extensions = map[string]string{"id": "1"} }, `extension "id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := reminderMessage()
			tt.mutate(&m.Event)
			_, _, err := Encode(m)
			if err == nil {
				t.Fatal("Encode succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// decodeAsHandler decodes a body the way the handler does when the host
// delivers it: structured mode, by content type.
func decodeAsHandler(body []byte) (workflow.Event, error) {
	return handlers.ParseCloudEvent(ContentTypeCloudEventsJSON, nil, body)
}
