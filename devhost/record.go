package devhost

import (
	"encoding/json"
	"fmt"
	"time"
)

// entryRecord is how a message is stored in the data directory (one bbolt
// value per message, JSON). The field names are also those of the
// snapshot files older versions wrote (see legacy.go).
type entryRecord struct {
	MessageID             string         `json:"messageId"`
	Body                  []byte         `json:"body"`
	ContentType           string         `json:"contentType,omitempty"`
	Subject               string         `json:"subject,omitempty"`
	CorrelationID         string         `json:"correlationId,omitempty"`
	ReplyTo               string         `json:"replyTo,omitempty"`
	To                    string         `json:"to,omitempty"`
	ApplicationProperties []propSnapshot `json:"applicationProperties,omitempty"`
	ScheduledEnqueueTime  time.Time      `json:"scheduledEnqueueTime"`
	TimeToLive            time.Duration  `json:"timeToLive,omitempty"`
	Seq                   int64          `json:"sequenceNumber"`
	Enqueued              time.Time      `json:"enqueuedTime"`
	ExpiresAt             time.Time      `json:"expiresAt"`
	DeliveryCount         int            `json:"deliveryCount"`
	State                 MessageState   `json:"state"`
	LockedUntil           time.Time      `json:"lockedUntil,omitzero"`
	DLReason              string         `json:"deadLetterReason,omitempty"`
	DLDesc                string         `json:"deadLetterErrorDescription,omitempty"`
	DLAt                  time.Time      `json:"deadLetteredAt"`
}

// dedupeDiskRecord is a MessageID remembered for duplicate detection.
type dedupeDiskRecord struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

func recordOf(e *entry) entryRecord {
	return entryRecord{
		MessageID: e.msg.MessageID, Body: e.msg.Body, ContentType: e.msg.ContentType,
		Subject: e.msg.Subject, CorrelationID: e.msg.CorrelationID, ReplyTo: e.msg.ReplyTo, To: e.msg.To,
		ApplicationProperties: encodeProps(e.msg.ApplicationProperties),
		ScheduledEnqueueTime:  e.msg.ScheduledEnqueueTime, TimeToLive: e.msg.TimeToLive,
		Seq: e.seq, Enqueued: e.enqueued, ExpiresAt: e.expiresAt, DeliveryCount: e.deliveryCount,
		State: e.state, LockedUntil: e.lockedUntil, DLReason: e.dlReason, DLDesc: e.dlDesc, DLAt: e.dlAt,
	}
}

// entryOf rebuilds an entry. A message whose application properties cannot
// be decoded is dead-lettered with the reason RestoreFailed rather than
// dropped.
func (r entryRecord) entryOf(key int64) *entry {
	props, err := decodeProps(r.ApplicationProperties)
	e := &entry{
		key: key,
		msg: Message{MessageID: r.MessageID, Body: r.Body, ContentType: r.ContentType, Subject: r.Subject,
			CorrelationID: r.CorrelationID, ReplyTo: r.ReplyTo, To: r.To, ApplicationProperties: props,
			ScheduledEnqueueTime: r.ScheduledEnqueueTime, TimeToLive: r.TimeToLive},
		seq: r.Seq, enqueued: r.Enqueued, expiresAt: r.ExpiresAt, deliveryCount: r.DeliveryCount,
		state: r.State, lockedUntil: r.LockedUntil, dlReason: r.DLReason, dlDesc: r.DLDesc, dlAt: r.DLAt, index: -1,
	}
	if err != nil && e.state != StateDeadLettered {
		e.state, e.dlReason, e.dlDesc, e.dlAt = StateDeadLettered, "RestoreFailed", err.Error(), time.Now()
	}
	return e
}

// propSnapshot keeps an application property's Go type across a restart.
type propSnapshot struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func encodeProps(m map[string]any) []propSnapshot {
	out := make([]propSnapshot, 0, len(m))
	for k, v := range m {
		var typ string
		switch v.(type) {
		case nil:
			typ = "null"
		case string:
			typ = "string"
		case bool:
			typ = "bool"
		case float32, float64:
			typ = "float"
		case uint, uint8, uint16, uint32, uint64:
			typ = "uint"
		case time.Time:
			typ = "time"
		case []byte:
			typ = "bytes"
		default:
			typ = "int"
		}
		raw, _ := json.Marshal(v)
		out = append(out, propSnapshot{Name: k, Type: typ, Value: raw})
	}
	return out
}

func decodeProps(ps []propSnapshot) (map[string]any, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(ps))
	for _, p := range ps {
		var err error
		switch p.Type {
		case "null":
			m[p.Name] = nil
		case "string":
			m[p.Name], err = unmarshalAs[string](p.Value)
		case "bool":
			m[p.Name], err = unmarshalAs[bool](p.Value)
		case "float":
			m[p.Name], err = unmarshalAs[float64](p.Value)
		case "uint":
			m[p.Name], err = unmarshalAs[uint64](p.Value)
		case "int":
			m[p.Name], err = unmarshalAs[int64](p.Value)
		case "time":
			m[p.Name], err = unmarshalAs[time.Time](p.Value)
		case "bytes":
			m[p.Name], err = unmarshalAs[[]byte](p.Value)
		default:
			err = fmt.Errorf("unknown type %q", p.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("application property %q: %w", p.Name, err)
		}
	}
	return m, nil
}

// unmarshalAs decodes raw as a T, so that the value keeps the Go type
// encodeProps recorded for it.
func unmarshalAs[T any](raw json.RawMessage) (any, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}
