package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/workflow"
)

// TestDecodeGoldenMetadata checks every metadata shape of reference §5 on
// the verbatim example bodies: doubly encoded strings, counts as strings,
// the zone-less EnqueuedTimeUtc, the real ApplicationProperties object.
func TestDecodeGoldenMetadata(t *testing.T) {
	body := readFile(t, "testdata/message-body.json")
	for _, file := range []string{"testdata/host-binary.json", "testdata/host-string.json"} {
		t.Run(file, func(t *testing.T) {
			m, err := handlers.DecodeServiceBusEnvelope(readFile(t, file), "msg")
			if err != nil {
				t.Fatal(err)
			}
			if m.MessageID != goldenMessageID || m.DeliveryCount != 1 || m.SequenceNumber != 17 ||
				m.ContentType != "application/cloudevents+json; charset=utf-8" || m.CorrelationID != "P-1042" {
				t.Errorf("metadata = %+v", m)
			}
			if want := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC); !m.EnqueuedTime.Equal(want) || m.EnqueuedTime.Location() != time.UTC {
				t.Errorf("EnqueuedTime = %v, want %v", m.EnqueuedTime, want)
			}
			if m.ApplicationProperties["origin"] != "procurement" {
				t.Errorf("ApplicationProperties = %v", m.ApplicationProperties)
			}
			if string(m.Body) != string(body) {
				t.Errorf("body = %q\nwant   %q", m.Body, body)
			}
		})
	}
}

func TestDecodeMetadataVariants(t *testing.T) {
	cases := []struct {
		name    string
		meta    map[string]json.RawMessage
		check   func(t *testing.T, m handlers.ServiceBusMessage)
		wantErr string
	}{
		{"singly encoded MessageId tolerated", map[string]json.RawMessage{"MessageId": json.RawMessage(`"plain-id"`)},
			func(t *testing.T, m handlers.ServiceBusMessage) {
				if m.MessageID != "plain-id" {
					t.Errorf("MessageID = %q", m.MessageID)
				}
			}, ""},
		{"numeric DeliveryCount tolerated", map[string]json.RawMessage{"DeliveryCount": json.RawMessage(`4`)},
			func(t *testing.T, m handlers.ServiceBusMessage) {
				if m.DeliveryCount != 4 {
					t.Errorf("DeliveryCount = %d", m.DeliveryCount)
				}
			}, ""},
		{"Subject falls back to Label", map[string]json.RawMessage{"Label": hostString("partner-approved")},
			func(t *testing.T, m handlers.ServiceBusMessage) {
				if m.Subject != "partner-approved" {
					t.Errorf("Subject = %q", m.Subject)
				}
			}, ""},
		{"EnqueuedTime with offset when Utc absent", map[string]json.RawMessage{"EnqueuedTimeUtc": nil, "EnqueuedTime": json.RawMessage(`"2024-05-01T14:34:56+02:00"`)},
			func(t *testing.T, m handlers.ServiceBusMessage) {
				if !m.EnqueuedTime.Equal(time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)) {
					t.Errorf("EnqueuedTime = %v", m.EnqueuedTime)
				}
			}, ""},
		{"absent MessageId is empty, not an error", map[string]json.RawMessage{"MessageId": nil},
			func(t *testing.T, m handlers.ServiceBusMessage) {
				if m.MessageID != "" {
					t.Errorf("MessageID = %q", m.MessageID)
				}
			}, ""},
		{"negative DeliveryCount", map[string]json.RawMessage{"DeliveryCount": json.RawMessage(`"-1"`)}, nil, "Metadata.DeliveryCount: must not be negative"},
		{"SequenceNumber garbage", map[string]json.RawMessage{"SequenceNumber": json.RawMessage(`"x17"`)}, nil, "Metadata.SequenceNumber: must be an integer"},
		{"ApplicationProperties not an object", map[string]json.RawMessage{"ApplicationProperties": json.RawMessage(`[1]`)}, nil, "Metadata.ApplicationProperties: must be a JSON object"},
		{"doubly encoded ContentType broken", map[string]json.RawMessage{"ContentType": json.RawMessage(`"\"application/json"`)}, nil, "Metadata.ContentType: doubly encoded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := envelope{body: readFile(t, "testdata/message-body.json"), meta: tc.meta}
			m, err := handlers.DecodeServiceBusEnvelope(env.bytes(t), "msg")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !workflow.IsPermanent(err) {
					t.Errorf("decode error %v is not permanent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m)
		})
	}
}

// TestParseCloudEvent covers the mode selection and attribute mapping of
// ParseCloudEvent directly (it is also used outside the handler).
func TestParseCloudEvent(t *testing.T) {
	body := readFile(t, "testdata/message-body.json")
	cases := []struct {
		name    string
		ct      string
		props   map[string]any
		body    string
		check   func(t *testing.T, e workflow.Event)
		wantErr string
	}{
		{"structured with parameters and upper case", "Application/CloudEvents+JSON; charset=UTF-8", nil, string(body),
			func(t *testing.T, e workflow.Event) {
				if e.ID != goldenMessageID {
					t.Errorf("id = %q", e.ID)
				}
			}, ""},
		{"structured content type wins over stray properties", "application/cloudevents+json", map[string]any{"cloudEvents_id": "other"}, string(body),
			func(t *testing.T, e workflow.Event) {
				if e.ID != goldenMessageID {
					t.Errorf("id = %q", e.ID)
				}
			}, ""},
		{"structured extensions become strings", "application/cloudevents+json", nil,
			`{"specversion":"1.0","id":"1","type":"reminder-due","source":"/b2b-onboarding","onboardattempt":3,"onboardfirstfailure":"2026-03-01T09:00:00Z","data":{"key":"ada@fabrikam.com","number":1}}`,
			func(t *testing.T, e workflow.Event) {
				if e.Extensions["onboardattempt"] != "3" || e.Extensions["onboardfirstfailure"] != "2026-03-01T09:00:00Z" {
					t.Errorf("extensions = %v", e.Extensions)
				}
				if string(e.Data) != `{"key":"ada@fabrikam.com","number":1}` {
					t.Errorf("data = %s", e.Data)
				}
			}, ""},
		{"structured data_base64 holding JSON", "application/cloudevents+json", nil,
			`{"specversion":"1.0","id":"1","type":"t","source":"/s","data_base64":"eyJhIjoxfQ=="}`,
			func(t *testing.T, e workflow.Event) {
				if string(e.Data) != `{"a":1}` {
					t.Errorf("data = %s", e.Data)
				}
			}, ""},
		{"structured without data", "application/cloudevents+json", nil, `{"specversion":"1.0","id":"1","type":"t","source":"/s"}`,
			func(t *testing.T, e workflow.Event) {
				if e.Data != nil {
					t.Errorf("data = %s", e.Data)
				}
			}, ""},
		{"binary with number and bool attributes, mixed-case prefix", "application/json",
			map[string]any{"CloudEvents_specversion": "1.0", "cloudEvents_id": json.Number("42"), "cloudEvents_type": "t", "cloudEvents_source": "/s", "cloudEvents_urgent": true},
			`{"a":1}`,
			func(t *testing.T, e workflow.Event) {
				if e.ID != "42" || e.Extensions["urgent"] != "true" {
					t.Errorf("event = %+v", e)
				}
			}, ""},
		{"binary .NET zone-less time is UTC", "",
			map[string]any{"cloudEvents_specversion": "1.0", "cloudEvents_id": "1", "cloudEvents_type": "t", "cloudEvents_source": "/s", "cloudEvents_time": "2024-05-01T12:34:56"},
			`{}`,
			func(t *testing.T, e workflow.Event) {
				if !e.Time.Equal(time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)) {
					t.Errorf("time = %v", e.Time)
				}
			}, ""},
		{"binary duplicate attribute by case", "",
			map[string]any{"cloudEvents_specversion": "1.0", "cloudEvents_id": "1", "cloudEvents_ID": "2", "cloudEvents_type": "t", "cloudEvents_source": "/s"},
			`{}`, nil, "duplicates"},
		{"binary invalid extension name", "",
			map[string]any{"cloudEvents_specversion": "1.0", "cloudEvents_id": "1", "cloudEvents_type": "t", "cloudEvents_source": "/s", "cloudEvents_bad-name": "x"},
			`{}`, nil, "ApplicationProperties.cloudEvents_bad-name"},
		{"binary invalid dataschema", "",
			map[string]any{"cloudEvents_specversion": "1.0", "cloudEvents_id": "1", "cloudEvents_type": "t", "cloudEvents_source": "/s", "cloudEvents_dataschema": "relative/path"},
			`{}`, nil, "ApplicationProperties.cloudEvents_dataschema"},
		{"binary null attribute", "",
			map[string]any{"cloudEvents_specversion": "1.0", "cloudEvents_id": nil},
			`{}`, nil, "ApplicationProperties.cloudEvents_id: must not be null"},
		{"structured invalid datacontenttype", "application/cloudevents+json", nil,
			`{"specversion":"1.0","id":"1","type":"t","source":"/s","datacontenttype":"not a media type"}`, nil, "cloudevent.datacontenttype"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := handlers.ParseCloudEvent(tc.ct, tc.props, []byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !workflow.IsPermanent(err) {
					t.Errorf("%v is not permanent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, e)
		})
	}
}
