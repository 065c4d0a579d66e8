package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// invokeRequest is the body the Functions host POSTs to a custom handler:
// one Data entry per input/trigger binding (keyed by binding name) and the
// trigger's binding data as Metadata (reference §3).
type invokeRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// ServiceBusMessage is one Service Bus trigger invocation decoded from the
// host's envelope: the message body as the producer sent it and the
// metadata the handler needs, with the host's double encodings undone.
type ServiceBusMessage struct {
	MessageID      string
	DeliveryCount  int
	SequenceNumber int64
	ContentType    string
	CorrelationID  string
	Subject        string
	// EnqueuedTime is zero when the host sent none or an unparsable value
	// (it is informational only).
	EnqueuedTime time.Time
	// ApplicationProperties holds the message's application properties as
	// JSON values (strings, json.Number, bools).
	ApplicationProperties map[string]any
	Body                  []byte
}

// enqueuedTimeUTCLayout is how the host renders a .NET DateTime: ISO
// without zone or fraction (reference §3, §7).
const enqueuedTimeUTCLayout = "2006-01-02T15:04:05"

// fieldError builds the permanent error for a protocol field that broke a
// rule; workflow.IsPermanent recognizes it.
func fieldError(field, rule string, args ...any) error {
	if len(args) > 0 {
		rule = fmt.Sprintf(rule, args...)
	}
	return &workflow.ValidationError{Field: field, Rule: rule}
}

// DecodeServiceBusEnvelope decodes the host's {"Data","Metadata"} envelope
// of a Service Bus trigger whose binding is named binding. The body may
// arrive base64-encoded (dataType "binary"), as the default string mode's
// JSON string holding a JSON string literal, or as a plain JSON object.
// Metadata strings may be doubly encoded; DeliveryCount and SequenceNumber
// arrive as strings. On error the returned message still carries whatever
// could be decoded (notably MessageID) so the failure can be recorded; the
// error is a *workflow.ValidationError naming the field.
func DecodeServiceBusEnvelope(raw []byte, binding string) (ServiceBusMessage, error) {
	var msg ServiceBusMessage
	var req invokeRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return msg, fieldError("envelope", "must be a JSON object with Data and Metadata: %v", err)
	}
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	meta := req.Metadata

	var err error
	msg.MessageID, _, err = metaString(meta, "MessageId")
	keep(err)
	if n, ok, err := metaInt(meta, "DeliveryCount"); err != nil {
		keep(err)
	} else if ok {
		msg.DeliveryCount = int(n)
	}
	if n, ok, err := metaInt(meta, "SequenceNumber"); err != nil {
		keep(err)
	} else if ok {
		msg.SequenceNumber = n
	}
	msg.ContentType, _, err = metaString(meta, "ContentType")
	keep(err)
	msg.CorrelationID, _, err = metaString(meta, "CorrelationId")
	keep(err)
	var ok bool
	if msg.Subject, ok, err = metaString(meta, "Subject"); err == nil && !ok {
		msg.Subject, _, err = metaString(meta, "Label")
	}
	keep(err)
	msg.EnqueuedTime = metaTime(meta)

	props, err := metaObject(meta, "ApplicationProperties")
	if err == nil && props == nil {
		props, err = metaObject(meta, "UserProperties") // extension 4.x name
	}
	keep(err)
	msg.ApplicationProperties = props

	body, err := triggerBody(req.Data, binding)
	keep(err)
	msg.Body = body
	return msg, first
}

// metaString reads a metadata string, undoing the host's double encoding
// (a JSON string whose content is a JSON string literal). ok is false when
// the key is absent or null.
func metaString(meta map[string]json.RawMessage, key string) (s string, ok bool, err error) {
	raw, present := meta[key]
	if !present || isNull(raw) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fieldError("Metadata."+key, "must be a JSON string, got %s", truncate(string(raw), 40))
	}
	if strings.HasPrefix(s, `"`) {
		var inner string
		if err := json.Unmarshal([]byte(s), &inner); err != nil {
			return "", false, fieldError("Metadata."+key, "doubly encoded string is not a valid JSON string literal: %v", err)
		}
		s = inner
	}
	return s, true, nil
}

// metaInt reads an integer that the host sends as a string ("1"); a bare
// JSON number is tolerated.
func metaInt(meta map[string]json.RawMessage, key string) (n int64, ok bool, err error) {
	raw, present := meta[key]
	if !present || isNull(raw) {
		return 0, false, nil
	}
	text := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(text, `"`) {
		var s string
		var sErr error
		if s, _, sErr = metaString(meta, key); sErr != nil {
			return 0, false, sErr
		}
		text = strings.TrimSpace(s)
	}
	n, err = strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, false, fieldError("Metadata."+key, "must be an integer (sent as a string), got %s", truncate(string(raw), 40))
	}
	if n < 0 {
		return 0, false, fieldError("Metadata."+key, "must not be negative, got %d", n)
	}
	return n, true, nil
}

// metaObject reads a metadata dictionary, which the host sends as a real
// JSON object; a string holding a JSON object is tolerated. Numbers are
// kept as json.Number.
func metaObject(meta map[string]json.RawMessage, key string) (map[string]any, error) {
	raw, present := meta[key]
	if !present || isNull(raw) {
		return nil, nil
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fieldError("Metadata."+key, "must be a JSON object: %v", err)
		}
		raw = []byte(s)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fieldError("Metadata."+key, "must be a JSON object, got %s", truncate(string(raw), 40))
	}
	return m, nil
}

// metaTime reads the enqueued time: EnqueuedTimeUtc (zone-less, UTC) or
// EnqueuedTime (with offset). It is informational, so failures give zero.
func metaTime(meta map[string]json.RawMessage) time.Time {
	if s, ok, err := metaString(meta, "EnqueuedTimeUtc"); err == nil && ok {
		if t, err := time.ParseInLocation(enqueuedTimeUTCLayout, s, time.UTC); err == nil {
			return t
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	if s, ok, err := metaString(meta, "EnqueuedTime"); err == nil && ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// triggerBody extracts the message body from Data[binding]. Base64 strings
// never start with '"', '{' or '[', so the three encodings are unambiguous.
func triggerBody(data map[string]json.RawMessage, binding string) ([]byte, error) {
	field := "Data." + binding
	raw, present := data[binding]
	if !present || isNull(raw) {
		return nil, fieldError(field, "missing: the trigger binding %q carries no message body", binding)
	}
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '{', '[':
		// A plain JSON value (not what the host sends today, but harmless).
		return raw, nil
	case '"':
	default:
		return nil, fieldError(field, "must be a base64 string (dataType binary), a JSON-encoded string or a JSON object, got %s", truncate(string(raw), 40))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fieldError(field, "not a valid JSON string: %v", err)
	}
	trimmed := strings.TrimLeft(s, " \t\r\n")
	switch {
	case strings.HasPrefix(trimmed, `"`):
		// Default string mode: the content is a JSON string literal.
		var text string
		if err := json.Unmarshal([]byte(s), &text); err != nil {
			return nil, fieldError(field, "string-mode body is not a valid JSON string literal: %v", err)
		}
		return []byte(text), nil
	case strings.HasPrefix(trimmed, "{"), strings.HasPrefix(trimmed, "["):
		// Singly encoded JSON text.
		return []byte(s), nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fieldError(field, "not valid base64 (dataType binary) nor a JSON-encoded string: %v", err)
	}
	return b, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// truncate shortens s for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
