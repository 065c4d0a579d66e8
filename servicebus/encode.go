package servicebus

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/b2b-onboarding/onboard/workflow"
	"github.com/cloudevents/sdk-go/v2/event"
)

// ContentTypeCloudEventsJSON is the Service Bus ContentType of a
// structured-mode CloudEvent, as the AMQP binding of CloudEvents specifies
// it. Consumers match on its prefix (media-type parameters vary in case).
const ContentTypeCloudEventsJSON = event.ApplicationCloudEventsJSON + "; charset=utf-8"

// Encode renders m.Event as a structured-mode CloudEvent 1.0: the returned
// body is the JSON event (data inline as JSON, datacontenttype
// application/json) and contentType is ContentTypeCloudEventsJSON. The event
// is checked with the CloudEvents SDK's Validate, so a message we send is
// one our own handler (and any CloudEvents consumer) accepts. Errors name
// the attribute that is wrong.
func Encode(m workflow.Message) (body []byte, contentType string, err error) {
	e, err := toCloudEvent(m.Event)
	if err != nil {
		return nil, "", fmt.Errorf("encode message %q: %w", m.ID, err)
	}
	body, err = json.Marshal(e)
	if err != nil {
		return nil, "", fmt.Errorf("encode message %q: marshal cloudevent: %w", m.ID, err)
	}
	return body, ContentTypeCloudEventsJSON, nil
}

// toCloudEvent builds and validates the sdk-go event for ev.
func toCloudEvent(ev workflow.Event) (event.Event, error) {
	e := event.New(event.CloudEventsVersionV1)
	e.SetID(ev.ID)
	e.SetType(ev.Type)
	e.SetSource(ev.Source)
	if ev.Subject != "" {
		e.SetSubject(ev.Subject)
	}
	if !ev.Time.IsZero() {
		e.SetTime(ev.Time)
	}
	if len(ev.Data) > 0 {
		if !json.Valid(ev.Data) {
			return event.Event{}, fmt.Errorf("data: must be valid JSON")
		}
		// json.RawMessage is marshalled (compacted) by the JSON data codec,
		// so it travels inline as "data", not as "data_base64".
		if err := e.SetData(event.ApplicationJSON, json.RawMessage(ev.Data)); err != nil {
			return event.Event{}, fmt.Errorf("data: %w", err)
		}
	}
	names := make([]string, 0, len(ev.Extensions))
	for name := range ev.Extensions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name != strings.ToLower(name) {
			return event.Event{}, fmt.Errorf("extension %q: name must be lower-case", name)
		}
		if err := e.Context.SetExtension(name, ev.Extensions[name]); err != nil {
			return event.Event{}, fmt.Errorf("extension %q: %w", name, err)
		}
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("invalid cloudevent: %w", err)
	}
	return e, nil
}
