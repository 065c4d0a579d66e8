package ops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
)

// EventSpec is what `onboard send` was asked to send: a structured
// CloudEvent file, or the attributes and data to build one from.
type EventSpec struct {
	File    string // structured-mode CloudEvent JSON; exclusive with Type/Data
	Type    string
	Data    string // JSON, or @path to a file holding it
	Source  string
	ID      string // overrides the file's id when set
	Subject string
}

// readArg reads a file named by a flag or argument, naming it in errors.
func readArg(what, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s %s: no such file", what, path)
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return b, nil
}

// buildEvent returns the validated CloudEvent for spec, with JSON data
// inline. Errors name the flag, the file or the attribute that is wrong.
func buildEvent(spec EventSpec, now time.Time) (event.Event, error) {
	switch {
	case spec.File != "" && (spec.Type != "" || spec.Data != ""):
		return event.Event{}, errors.New("give either FILE (a CloudEvent) or --type with --data, not both")
	case spec.File != "":
		return eventFromFile(spec)
	case spec.Type == "":
		return event.Event{}, errors.New("nothing to send: give FILE (a CloudEvent JSON file) or --type TYPE --data @data.json")
	case spec.Data == "":
		return event.Event{}, fmt.Errorf("--data: required with --type (JSON, or @file)")
	}
	raw := []byte(spec.Data)
	what := "--data"
	if name, ok := strings.CutPrefix(spec.Data, "@"); ok {
		b, err := readArg("--data", name)
		if err != nil {
			return event.Event{}, err
		}
		raw, what = b, "--data "+spec.Data
	}
	raw = bytes.TrimSpace(raw)
	if err := checkJSON(raw); err != nil {
		return event.Event{}, fmt.Errorf("%s: %w", what, err)
	}
	e := event.New(event.CloudEventsVersionV1)
	id := spec.ID
	if id == "" {
		id = uuid.NewString()
	}
	e.SetID(id)
	e.SetType(spec.Type)
	source := spec.Source
	if source == "" {
		source = DefaultSource
	}
	if err := checkSource(source); err != nil {
		return event.Event{}, err
	}
	e.SetSource(source)
	if spec.Subject != "" {
		e.SetSubject(spec.Subject)
	}
	e.SetTime(now.UTC())
	if err := e.SetData(event.ApplicationJSON, json.RawMessage(raw)); err != nil {
		return event.Event{}, fmt.Errorf("%s: %w", what, err)
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("the CloudEvent built from --type/--source/--id is invalid: %s", strings.TrimSpace(err.Error()))
	}
	return e, nil
}

// DefaultSource is the CloudEvent source of events built by `send`: the
// procurement system's, as in the examples.
const DefaultSource = "/procurement/partners"

// eventFromFile reads and validates a structured-mode CloudEvent.
func eventFromFile(spec EventSpec) (event.Event, error) {
	raw, err := readArg("FILE", spec.File)
	if err != nil {
		return event.Event{}, err
	}
	raw = bytes.TrimSpace(raw)
	if err := checkJSON(raw); err != nil {
		return event.Event{}, fmt.Errorf("%s: %w", spec.File, err)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return event.Event{}, fmt.Errorf("%s: must be a JSON object (a structured CloudEvent): %v", spec.File, err)
	}
	if _, ok := probe["specversion"]; !ok {
		return event.Event{}, fmt.Errorf("%s: not a CloudEvent (no \"specversion\"); to send it as event data use: onboard send --type partner-approved --data @%s", spec.File, spec.File)
	}
	var e event.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return event.Event{}, fmt.Errorf("%s: not a valid CloudEvent: %s", spec.File, strings.TrimSpace(err.Error()))
	}
	if spec.ID != "" {
		e.SetID(spec.ID)
	}
	if spec.Source != "" {
		if err := checkSource(spec.Source); err != nil {
			return event.Event{}, err
		}
		e.SetSource(spec.Source)
	}
	if spec.Subject != "" {
		e.SetSubject(spec.Subject)
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("%s: not a valid CloudEvent: %s", spec.File, strings.TrimSpace(err.Error()))
	}
	return e, nil
}

// checkSource applies the CloudEvents rule for source: a non-empty
// URI-reference.
func checkSource(s string) error {
	if _, err := url.Parse(s); err != nil || strings.TrimSpace(s) == "" {
		return fmt.Errorf("--source %q: must be a URI-reference such as /procurement/partners", s)
	}
	return nil
}

// checkJSON reports a syntax error with its line and column.
func checkJSON(raw []byte) error {
	if len(raw) == 0 {
		return errors.New("empty: expected JSON")
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(raw, se.Offset)
			return fmt.Errorf("invalid JSON at line %d, column %d: %v", line, col, err)
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return errors.New("invalid JSON: more than one value")
	}
	return nil
}

// position turns a byte offset into a 1-based line and column.
func position(raw []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off-1 && i < int64(len(raw)); i++ {
		if raw[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// encodeEvent is the structured-mode body of e (what the queue carries).
func encodeEvent(e event.Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode the CloudEvent: %w", err)
	}
	return b, nil
}
