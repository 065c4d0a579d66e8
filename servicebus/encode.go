package servicebus

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/b2b-onboarding/onboard/workflow"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
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

// Decode is the reverse of Encode for tools and tests: it parses a
// structured-mode CloudEvent body, validates it and returns the workflow
// view of it. Extension values are rendered in their canonical string form. (The handler package
// has its own decoder that also understands binary mode.)
func Decode(body []byte) (workflow.Event, error) {
	var e event.Event
	if err := json.Unmarshal(body, &e); err != nil {
		return workflow.Event{}, fmt.Errorf("decode cloudevent: %w", err)
	}
	if err := e.Validate(); err != nil {
		return workflow.Event{}, fmt.Errorf("decode cloudevent: invalid: %w", err)
	}
	ev := workflow.Event{
		ID:      e.ID(),
		Type:    e.Type(),
		Source:  e.Source(),
		Subject: e.Subject(),
		Time:    e.Time(),
	}
	if d := e.Data(); len(d) > 0 {
		ev.Data = append(json.RawMessage(nil), d...)
	}
	if exts := e.Extensions(); len(exts) > 0 {
		ev.Extensions = make(map[string]string, len(exts))
		for k, v := range exts {
			str, err := types.Format(v)
			if err != nil {
				return workflow.Event{}, fmt.Errorf("decode cloudevent: extension %q: %w", k, err)
			}
			ev.Extensions[k] = str
		}
	}
	return ev, nil
}
