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
	// UserOrigin says whose user GuestID is: OriginCreated (this
	// onboarding's invitation created it), OriginAdopted (it existed
	// before: only assignments are applied, and expiry never touches it)
	// or "" (not established yet: nothing is applied).
	UserOrigin Origin `json:"userOrigin,omitempty"`

	Invite InviteState `json:"invite"`
	// Done maps Change.Key() to when the change was confirmed.
	Done map[string]time.Time `json:"done,omitempty"`
	// Missing lists the desired changes that are not in place and why
	// (waiting for a retry, failed, or refused by the policy); empty when
	// provisioning is complete.
	Missing []Missing `json:"missing,omitempty"`

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

	// Outbox holds the outcome events of transitions saved but not yet
	// published (see Outcome); OutcomeSeq numbers them.
	Outbox     []Outcome `json:"outbox,omitempty"`
	OutcomeSeq int       `json:"outcomeSeq,omitempty"`

	History   []HistoryEntry `json:"history,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
}

// InviteState guards the mail-sending step: the intent is saved before the
// call and the result after it, so a redelivery that finds an intent
// without a result looks the guest up before inviting again.
type InviteState struct {
	IntentAt time.Time `json:"intentAt,omitempty"`
	// FirstIntentAt is when the cycle's first invitation attempt began: a
	// user this onboarding created has a createdDateTime after it.
	FirstIntentAt time.Time `json:"firstIntentAt,omitempty"`
	// OutcomeUnknown is set when an invitation attempt of the cycle may
	// have sent its email without an answer saying so (a lost answer, a
	// crash): the slot counts as used and a later attempt sends no mail.
	OutcomeUnknown bool      `json:"outcomeUnknown,omitempty"`
	SentAt         time.Time `json:"sentAt,omitempty"`
	Status         string    `json:"status,omitempty"`
	EmailsSent     int       `json:"emailsSent,omitempty"` // first invitation plus resends
	// ResendIntent is the reminder number whose resend is in flight.
	ResendIntent int `json:"resendIntent,omitempty"`
}

// ReminderState tracks the follow-ups.
type ReminderState struct {
	Sent    int       `json:"sent"`              // resends done
	Next    int       `json:"next,omitempty"`    // number of the reminder expected next; 0 = none scheduled
	NextDue time.Time `json:"nextDue,omitempty"` // when it is due
}

// Origin says whose user an onboarding's guest is (Record.UserOrigin);
// empty until established.
type Origin string

// The origins of an onboarding's user.
const (
	OriginCreated Origin = "created" // this onboarding's invitation created it
	OriginAdopted Origin = "adopted" // it existed; adopted for assignments only
)

// Missing is one desired change that is not in place, and why.
type Missing struct {
	Change string       `json:"change"` // Change.Key()
	State  MissingState `json:"state"`
	Reason string       `json:"reason"`
}

// MissingState says why a desired change is not in place (Missing.State).
type MissingState string

// The states of a Missing change.
const (
	// MissingWaiting: retried later (a transient failure, or a 404 inside
	// the settle window after the invitation: replication lag).
	MissingWaiting MissingState = "waiting"
	// MissingFailed: a permanent failure; the reason says what to fix.
	MissingFailed MissingState = "failed"
	// MissingRefused: not applied because the policy no longer allows it,
	// or because it would change the identity of a user this onboarding
	// did not create. Not retried until the policy changes.
	MissingRefused MissingState = "refused"
)

// HistoryEntry is one step of the onboarding, for status output.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	Step   string    `json:"step"`
	Detail string    `json:"detail,omitempty"`
}

// Failure is a permanent failure recorded for a message, so that every
// redelivery fails fast without calling Graph again, and so that the
// dead-letter listing can show the reason.
//
// The same entry, keyed by a message's original id, holds the retry
// bookkeeping of a transiently failing message (Retry): it lives in the
// store, not in attributes a sender controls.
type Failure struct {
	MessageID string    `json:"messageId"`
	Key       string    `json:"key,omitempty"` // onboarding key, when known
	EventType string    `json:"eventType,omitempty"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
	// BodyHash identifies the event the entry was written for (EventHash):
	// a redelivery fails fast only when message id and hash both match, so
	// another message sent under the same id is not mistaken for it.
	BodyHash string `json:"bodyHash,omitempty"`
	// Transient marks an entry that only holds retry bookkeeping: the
	// message has not failed permanently.
	Transient bool `json:"transient,omitempty"`
	// Retry counts the retries of a transiently failing message.
	Retry *RetryState `json:"retry,omitempty"`
	// RequestID is the procurement request id of the failed event, when
	// it has one: the subject of its partner-failed outcome.
	RequestID string `json:"requestId,omitempty"`
	// Outbox holds the partner-failed outcome of a message that failed
	// without a record to keep it, until it is published.
	Outbox []Outcome `json:"outbox,omitempty"`
}

// RetryState is the retry bookkeeping of one message.
type RetryState struct {
	Attempts int       `json:"attempts"` // retries scheduled so far
	First    time.Time `json:"first"`    // the first transient failure
}
