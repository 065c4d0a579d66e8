package workflow

import (
	"encoding/json"
	"time"
)

// Event types the workflow handles.
const (
	TypePartnerApproved = "partner-approved"
	TypeReminderDue     = "reminder-due"
)

// Source is the CloudEvent source of the events the workflow emits itself
// (reminders and retries).
const Source = "/b2b-onboarding"

// Event is a CloudEvent as the workflow sees it: the adapters translate
// from and to the CloudEvents SDK and Service Bus messages.
type Event struct {
	ID      string
	Type    string
	Source  string
	Subject string
	Time    time.Time
	Data    json.RawMessage
	// Extensions are CloudEvent extension attributes (lower-case names).
	Extensions map[string]string
}

// Message is one Service Bus message to schedule: the event plus the
// message id used for duplicate detection.
type Message struct {
	ID    string // Service Bus MessageId
	Event Event
}

// Delivery is one delivery of a queue message to the handler.
type Delivery struct {
	MessageID     string
	DeliveryCount int
	Event         Event
}

// ReminderData is the data of a reminder-due event.
type ReminderData struct {
	Key       string `json:"key"`             // the onboarding key (normalized email)
	Number    int    `json:"number"`          // 1 for the first reminder
	Cycle     int    `json:"cycle,omitempty"` // Record.Cycle it belongs to
	RequestID string `json:"requestId"`       // for correlation
}
