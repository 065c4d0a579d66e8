package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Binary-mode attribute prefixes on AMQP application properties (CloudEvents
// AMQP binding §3.1.3.1): '_' is preferred, ':' is the older form; both are
// accepted, but one message must not mix them.
const (
	PrefixUnderscore = "cloudEvents_"
	PrefixColon      = "cloudEvents:"
)

// ParseCloudEvent extracts the CloudEvent carried by a Service Bus message
// and converts it to the workflow's Event.
//
// Structured mode applies when contentType starts with
// application/cloudevents+json, or when no binary-mode properties are
// present and the body is a JSON object with a specversion member: the body
// is unmarshalled into an sdk-go event.Event. Binary mode applies when
// props carry cloudEvents_* or cloudEvents:* keys: the attributes come from
// the properties, the body is the data and contentType its datacontenttype.
// In both modes the event is always checked with Validate(). The data must
// be JSON (the workflow's events are). Every failure is a permanent
// *workflow.ValidationError naming the field and the rule.
func ParseCloudEvent(contentType string, props map[string]any, body []byte) (workflow.Event, error) {
	ct := strings.ToLower(strings.TrimSpace(contentType))
	if strings.HasPrefix(ct, event.ApplicationCloudEventsBatchJSON) {
		return workflow.Event{}, fieldError("ContentType", "batched CloudEvents (%s) are not supported: send one event per message", contentType)
	}
	if strings.HasPrefix(ct, event.ApplicationCloudEventsJSON) {
		return parseStructured(body)
	}
	underscore, colon := binaryPrefixes(props)
	switch {
	case underscore && colon:
		return workflow.Event{}, fieldError("ApplicationProperties",
			"mixes %q and %q attribute prefixes; a binary-mode CloudEvent must use one of them", PrefixUnderscore, PrefixColon)
	case underscore:
		return parseBinary(contentType, props, PrefixUnderscore, body)
	case colon:
		return parseBinary(contentType, props, PrefixColon, body)
	}
	if looksStructured(body) {
		return parseStructured(body)
	}
	return workflow.Event{}, fieldError("ContentType",
		"message is not a CloudEvent: ContentType %q is not %s, ApplicationProperties carry no %s* or %s* attributes, and the body is not a JSON object with specversion",
		contentType, event.ApplicationCloudEventsJSON, PrefixUnderscore, PrefixColon)
}

// binaryPrefixes reports which binary-mode prefixes occur among the keys
// (compared case-insensitively: producers differ in casing).
func binaryPrefixes(props map[string]any) (underscore, colon bool) {
	for k := range props {
		switch {
		case hasPrefixFold(k, PrefixUnderscore):
			underscore = true
		case hasPrefixFold(k, PrefixColon):
			colon = true
		}
	}
	return underscore, colon
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// looksStructured reports whether body is a JSON object with specversion.
func looksStructured(body []byte) bool {
	return workflow.HasJSONMember(body, "specversion")
}

func parseStructured(body []byte) (workflow.Event, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return workflow.Event{}, fieldError("body", "empty: a structured-mode CloudEvent needs a JSON object body")
	}
	valid := json.Valid(body)
	if valid {
		if err := checkStructuredMembers(body); err != nil {
			return workflow.Event{}, err
		}
	}
	var e event.Event
	if err := unmarshalEvent(body, valid, &e); err != nil {
		var ve event.ValidationError
		if errors.As(err, &ve) {
			return workflow.Event{}, validationFailure(ve, structuredField)
		}
		return workflow.Event{}, fieldError("cloudevent", "structured body is not a valid CloudEvent JSON object: %v", err)
	}
	if err := e.Validate(); err != nil {
		return workflow.Event{}, asValidationFailure(err, structuredField)
	}
	return toWorkflowEvent(e, "cloudevent.data", structuredField)
}

// unmarshalEvent is json.Unmarshal(body, e). A body json.Valid accepted
// goes to e.UnmarshalJSON directly, as the bytes json.Unmarshal would pass
// it (the value without the JSON whitespace around it): that skips a
// second validation pass over the body and its allocations.
func unmarshalEvent(body []byte, valid bool, e *event.Event) error {
	if !valid {
		return json.Unmarshal(body, e)
	}
	return e.UnmarshalJSON(bytes.Trim(body, " \t\r\n"))
}

// checkStructuredMembers refuses what the sdk's decoder would silently
// resolve one way or another: a member given twice or in two cases (one of
// two "type"s wins), invalid UTF-8, absurd nesting, and data together with
// data_base64, which the JSON format makes mutually exclusive (CloudEvents
// JSON Event Format 1.0, §3.1.1).
func checkStructuredMembers(body []byte) error {
	if problems, _ := workflow.CheckJSONDocument("cloudevent", body, nil); len(problems) > 0 {
		return workflow.JoinErrors(problems...)
	}
	// data_base64 first: events rarely carry it, so most bodies are scanned once.
	if workflow.HasJSONMember(body, "data_base64") && workflow.HasJSONMember(body, "data") {
		return fieldError("cloudevent.data_base64", "must not be present together with data: the two are mutually exclusive (CloudEvents JSON format §3.1.1)")
	}
	return nil
}

// structuredField names a CloudEvent attribute of a structured body.
func structuredField(attr string) string {
	return "cloudevent." + strings.TrimPrefix(attr, "extension:")
}

// parseBinary builds the CloudEvent of a binary-mode message: attributes
// from the application properties named prefix+attribute, data from the
// body, datacontenttype from the message's content type (the property is a
// fallback). Errors name the property.
func parseBinary(contentType string, props map[string]any, prefix string, body []byte) (workflow.Event, error) {
	attrs, err := binaryAttributes(props, prefix)
	if err != nil {
		return workflow.Event{}, err
	}
	field := func(name string) string {
		name = strings.TrimPrefix(name, "extension:")
		if a, ok := attrs[strings.ToLower(name)]; ok {
			return propField(a.key)
		}
		return "ApplicationProperties." + prefix + name
	}

	sv, ok := attrs["specversion"]
	if !ok {
		return workflow.Event{}, fieldError(field("specversion"), "REQUIRED in binary mode")
	}
	if sv.value != event.CloudEventsVersionV1 && sv.value != event.CloudEventsVersionV03 {
		return workflow.Event{}, fieldError(field("specversion"), "unknown value %q (want %s)", sv.value, event.CloudEventsVersionV1)
	}
	e := event.New(sv.value)
	dataContentType := strings.TrimSpace(contentType)
	for name, a := range attrs {
		switch name {
		case "specversion":
		case "id":
			e.SetID(a.value)
		case "type":
			e.SetType(a.value)
		case "source":
			e.SetSource(a.value)
		case "subject":
			e.SetSubject(a.value)
		case "dataschema":
			e.SetDataSchema(a.value)
		case "datacontenttype":
			// The AMQP content-type wins; the property is a fallback.
			if dataContentType == "" {
				dataContentType = a.value
			}
		case "time":
			t, err := parseAttrTime(a.value)
			if err != nil {
				return workflow.Event{}, fieldError(field("time"), "must be an RFC 3339 timestamp, got %q", a.value)
			}
			e.SetTime(t)
		default:
			e.SetExtension(name, a.value)
		}
	}
	if dataContentType != "" {
		e.SetDataContentType(dataContentType)
	}
	if len(body) > 0 {
		e.DataEncoded = body
	}
	if err := e.Validate(); err != nil {
		return workflow.Event{}, asValidationFailure(err, field)
	}
	return toWorkflowEvent(e, "body", field)
}

// binaryAttribute is a CloudEvent attribute carried as an application
// property: the property's key and its value as a string.
type binaryAttribute struct{ key, value string }

// binaryAttributes collects the application properties whose key starts
// with prefix (case-insensitively) by lower-case attribute name, refusing
// an empty name, a name given twice in different case, and a value that is
// not a scalar.
func binaryAttributes(props map[string]any, prefix string) (map[string]binaryAttribute, error) {
	attrs := map[string]binaryAttribute{}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic errors
	for _, k := range keys {
		if !hasPrefixFold(k, prefix) {
			continue
		}
		name := strings.ToLower(k[len(prefix):])
		if name == "" {
			return nil, fieldError(propField(k), "attribute name is empty")
		}
		if prev, dup := attrs[name]; dup {
			return nil, fieldError(propField(k), "duplicates %s (attribute names are case-insensitive)", propField(prev.key))
		}
		v, err := propertyString(props[k])
		if err != nil {
			return nil, fieldError(propField(k), "%v", err)
		}
		attrs[name] = binaryAttribute{key: k, value: v}
	}
	return attrs, nil
}

// propField names an application property in an error; a key that could
// break a log line is escaped.
func propField(key string) string {
	return "ApplicationProperties." + workflow.EscapeHidden(key)
}

// propertyString renders an application-property value as an attribute
// string.
func propertyString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case nil:
		return "", errors.New("must not be null")
	default:
		return "", fmt.Errorf("must be a string, number or boolean, got %T", v)
	}
}

// parseAttrTime parses a binary-mode time attribute: RFC 3339, or the
// host's zone-less .NET rendering of a DateTime (taken as UTC).
func parseAttrTime(s string) (time.Time, error) {
	if t, err := types.ParseTime(s); err == nil {
		return t, nil
	}
	return time.ParseInLocation(enqueuedTimeUTCLayout, s, time.UTC)
}

// asValidationFailure converts an sdk-go validation error into a
// *workflow.ValidationError whose Field names the offending attribute(s).
func asValidationFailure(err error, field func(string) string) error {
	var ve event.ValidationError
	if errors.As(err, &ve) {
		return validationFailure(ve, field)
	}
	return fieldError("cloudevent", "%v", err)
}

func validationFailure(ve event.ValidationError, field func(string) string) error {
	keys := make([]string, 0, len(ve))
	for k := range ve {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 1 {
		return fieldError(field(keys[0]), "%v", ve[keys[0]])
	}
	fields := make([]string, len(keys))
	rules := make([]string, len(keys))
	for i, k := range keys {
		fields[i] = field(k)
		rules[i] = fmt.Sprintf("%s: %v", field(k), ve[k])
	}
	return &workflow.ValidationError{Field: strings.Join(fields, ", "), Rule: strings.Join(rules, "; ")}
}

// toWorkflowEvent converts a validated sdk-go event. dataField names where
// the data came from, for the error when it is not JSON; field names an
// attribute. Attribute values must be text TextRule accepts: the
// CloudEvents String type already excludes C0/C1 controls and
// noncharacters (spec, "Type System"), and ids and types reach logs.
func toWorkflowEvent(e event.Event, dataField string, field func(string) string) (workflow.Event, error) {
	data := e.Data()
	if len(data) > 0 && !json.Valid(data) {
		return workflow.Event{}, fieldError(dataField, "must be JSON (datacontenttype %q)", e.DataContentType())
	}
	out := workflow.Event{
		ID:      e.ID(),
		Type:    e.Type(),
		Source:  e.Source(),
		Subject: e.Subject(),
		Time:    e.Time(),
	}
	if len(data) > 0 {
		out.Data = json.RawMessage(append([]byte(nil), data...))
	}
	var problems []error
	text := func(attr, v string) {
		if rule := workflow.TextRule(v, false); rule != "" {
			problems = append(problems, fieldError(field(attr), "%s", rule))
		}
	}
	text("id", out.ID)
	text("type", out.Type)
	text("source", out.Source)
	text("subject", out.Subject)
	if ext := e.Extensions(); len(ext) > 0 {
		out.Extensions = make(map[string]string, len(ext))
		names := make([]string, 0, len(ext))
		for k := range ext {
			names = append(names, k)
		}
		sort.Strings(names) // deterministic reasons
		for _, k := range names {
			s, err := types.Format(ext[k])
			if err != nil {
				return workflow.Event{}, fieldError(field(k), "extension value cannot be rendered as a string: %v", err)
			}
			text(k, s)
			out.Extensions[strings.ToLower(k)] = s
		}
	}
	if len(problems) > 0 {
		return workflow.Event{}, workflow.JoinErrors(problems...)
	}
	return out, nil
}
