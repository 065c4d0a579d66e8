package workflow

import "time"

// Phase is where an onboarding stands.
type Phase string

// The phases of an onboarding.
const (
	PhaseNew         Phase = "New"         // recorded, not invited yet
	PhaseInvited     Phase = "Invited"     // guest exists, provisioning not complete
	PhaseProvisioned Phase = "Provisioned" // everything applied, waiting for acceptance
	PhaseCompleted   Phase = "Completed"   // the guest accepted
	PhaseExpired     Phase = "Expired"     // last reminder went unanswered
	PhaseFailed      Phase = "Failed"      // a permanent failure; see Failure
)

// Record is the state of one onboarding, keyed by the normalized email.
type Record struct {
	Key  string `json:"key"`
	ETag string `json:"-"` // set by the Store

	// Spec is the desired state: the merge of every partner-approved event
	// for this address (assignments are only ever added).
	Spec       Spec     `json:"spec"`
	RequestIDs []string `json:"requestIds,omitempty"`

	Phase   Phase  `json:"phase"`
	GuestID string `json:"guestId,omitempty"`

	Invite InviteState `json:"invite"`
	// Done maps Change.Key() to when the change was confirmed.
	Done map[string]time.Time `json:"done,omitempty"`

	Reminders ReminderState `json:"reminders"`
	// Cycle counts restarts: a new partner-approved for an expired
	// onboarding invites again and starts the reminders anew.
	Cycle int `json:"cycle,omitempty"`
	// Reenable is set when an onboarding whose guest was disabled on expiry
	// is approved again: sign-in is allowed again before the new invitation.
	Reenable bool `json:"reenable,omitempty"`

	// LastError is the last transient error, for status output.
	LastError string `json:"lastError,omitempty"`
	// Failure is set when the onboarding failed permanently.
	Failure *Failure `json:"failure,omitempty"`

	History   []HistoryEntry `json:"history,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
}

// InviteState guards the mail-sending step: the intent is saved before the
// call and the result after it, so a redelivery that finds an intent
// without a result looks the guest up before inviting again.
type InviteState struct {
	IntentAt   time.Time `json:"intentAt,omitempty"`
	SentAt     time.Time `json:"sentAt,omitempty"`
	Status     string    `json:"status,omitempty"`
	EmailsSent int       `json:"emailsSent,omitempty"` // first invitation plus resends
	// ResendIntent is the reminder number whose resend is in flight.
	ResendIntent int `json:"resendIntent,omitempty"`
}

// ReminderState tracks the follow-ups.
type ReminderState struct {
	Sent    int       `json:"sent"`              // resends done
	Next    int       `json:"next,omitempty"`    // number of the reminder expected next; 0 = none scheduled
	NextDue time.Time `json:"nextDue,omitempty"` // when it is due
}

// HistoryEntry is one step of the onboarding, for status output.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	Step   string    `json:"step"`
	Detail string    `json:"detail,omitempty"`
}

// Failure is a permanent failure recorded for a message, so that every
// redelivery fails fast without calling Graph again, and so that the
// dead-letter listing can show the reason.
type Failure struct {
	MessageID string    `json:"messageId"`
	Key       string    `json:"key,omitempty"` // onboarding key, when known
	EventType string    `json:"eventType,omitempty"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}
