package workflow

// Result says what handling an event did, for logs and tests.
type Result struct {
	Key    string // onboarding key, when known
	Action Action
	Detail string
}

// Action names what handling an event did (Result.Action).
type Action string

// The actions.
const (
	ActionInvited        Action = "invited"         // the guest was invited (and provisioned as far as possible)
	ActionAdopted        Action = "adopted"         // an existing user was adopted instead of invited
	ActionProvisioned    Action = "provisioned"     // missing changes were applied
	ActionUpToDate       Action = "up-to-date"      // nothing was missing
	ActionReminderSent   Action = "reminder-sent"   // the invitation was sent again
	ActionCompleted      Action = "completed"       // the guest accepted
	ActionExpired        Action = "expired"         // the last reminder went unanswered
	ActionIgnored        Action = "ignored"         // a stale, duplicate or early reminder
	ActionRetryScheduled Action = "retry-scheduled" // a transient failure; the event comes back later
	ActionFailed         Action = "failed"          // a permanent failure, recorded
)
