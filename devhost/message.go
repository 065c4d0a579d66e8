package devhost

import (
	"fmt"
	"maps"
	"math"
	"time"
	"unicode/utf8"
)

// maxMessageIDLength is Service Bus's limit on MessageId.
const maxMessageIDLength = 128

// Message is what a sender puts on a queue: the settable properties of a
// Service Bus message. Zero values mean "not set".
type Message struct {
	// MessageID is used for duplicate detection; generated (a UUID) when empty.
	MessageID string
	// Body is the payload, delivered unchanged.
	Body []byte
	// ContentType, Subject, CorrelationID, ReplyTo and To are the broker
	// properties of the same names.
	ContentType   string
	Subject       string
	CorrelationID string
	ReplyTo       string
	To            string
	// ApplicationProperties are the user properties. Values must be
	// string, bool, an integer or float type, time.Time, []byte or nil.
	ApplicationProperties map[string]any
	// ScheduledEnqueueTime, when in the future, keeps the message invisible
	// until then.
	ScheduledEnqueueTime time.Time
	// TimeToLive overrides the queue's default TTL when positive.
	TimeToLive time.Duration
}

// MessageState says where a message is in its life cycle.
type MessageState string

// Message states, as Service Bus names them.
const (
	StateScheduled    MessageState = "scheduled"
	StateActive       MessageState = "active"
	StateLocked       MessageState = "locked"
	StateDeadLettered MessageState = "deadlettered"
)

// ReceivedMessage is a snapshot of a message as the broker holds it: the
// sent properties plus the ones the broker assigns. Receive returns one
// carrying a LockToken; dead-letter listings return them with the reason.
type ReceivedMessage struct {
	Message
	// SequenceNumber is assigned at send, unique and increasing per queue.
	SequenceNumber int64
	// EnqueuedTime is when the message became (or becomes) visible.
	EnqueuedTime time.Time
	// ExpiresAt is EnqueuedTime+TTL; zero when the message never expires.
	ExpiresAt time.Time
	// DeliveryCount is how many times the message was delivered, this
	// delivery included (1 on the first).
	DeliveryCount int
	// LockToken settles this delivery (Complete, Abandon, DeadLetter).
	LockToken string
	// LockedUntil is when the lock of this delivery expires.
	LockedUntil time.Time
	// State is the state at the time of the snapshot.
	State MessageState
	// DeadLetterReason and DeadLetterErrorDescription are set when the
	// message is dead-lettered (e.g. MaxDeliveryCountExceeded).
	DeadLetterReason           string
	DeadLetterErrorDescription string
	// DeadLetterSource is the queue the message was dead-lettered from.
	DeadLetterSource string
	// DeadLetteredAt is when it moved to the dead-letter sub-queue.
	DeadLetteredAt time.Time
}

// Dead-letter reasons set by the broker itself, as Service Bus spells them.
const (
	ReasonMaxDeliveryCountExceeded = "MaxDeliveryCountExceeded"
	ReasonTTLExpired               = "TTLExpiredException"
)

// validate checks the properties Service Bus would refuse, naming the field
// and the rule.
func (m *Message) validate() error {
	if len(m.MessageID) > maxMessageIDLength {
		return &InvalidMessageError{Field: "MessageID", Rule: fmt.Sprintf("at most %d characters (got %d)", maxMessageIDLength, len(m.MessageID))}
	}
	if m.TimeToLive < 0 {
		return &InvalidMessageError{Field: "TimeToLive", Rule: "must not be negative"}
	}
	for k, v := range m.ApplicationProperties {
		if k == "" {
			return &InvalidMessageError{Field: "ApplicationProperties", Rule: "keys must not be empty"}
		}
		switch x := v.(type) {
		case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, time.Time, []byte:
		case float32:
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return &InvalidMessageError{Field: "ApplicationProperties[" + k + "]", Rule: "must be a finite number"}
			}
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return &InvalidMessageError{Field: "ApplicationProperties[" + k + "]", Rule: "must be a finite number"}
			}
		default:
			return &InvalidMessageError{Field: "ApplicationProperties[" + k + "]",
				Rule: fmt.Sprintf("type %T is not supported (string, bool, number, time.Time, []byte or nil)", v)}
		}
	}
	for _, f := range []struct{ name, v string }{
		{"MessageID", m.MessageID}, {"ContentType", m.ContentType}, {"Subject", m.Subject},
		{"CorrelationID", m.CorrelationID}, {"ReplyTo", m.ReplyTo}, {"To", m.To},
	} {
		if !utf8.ValidString(f.v) {
			return &InvalidMessageError{Field: f.name, Rule: "must be valid UTF-8"}
		}
	}
	return nil
}

// clone returns a deep copy so callers cannot alter what the broker holds.
func (m Message) clone() Message {
	c := m
	if m.Body != nil {
		c.Body = append([]byte(nil), m.Body...)
	}
	if m.ApplicationProperties != nil {
		c.ApplicationProperties = maps.Clone(m.ApplicationProperties)
		for k, v := range c.ApplicationProperties {
			if b, ok := v.([]byte); ok {
				c.ApplicationProperties[k] = append([]byte(nil), b...)
			}
		}
	}
	return c
}

// InvalidMessageError says which property of a sent message broke which rule.
type InvalidMessageError struct {
	Field string
	Rule  string
}

// Error names the field and the rule.
func (e *InvalidMessageError) Error() string { return "invalid message: " + e.Field + ": " + e.Rule }
