package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Outcome event types: what procurement hears about an onboarding. The
// published CloudEvent type is Config.OutcomeTypePrefix + the type.
const (
	OutcomeInvited     = "partner-invited"     // the guest was invited (or an existing user adopted)
	OutcomeProvisioned = "partner-provisioned" // everything the policy allows is in place
	OutcomeAccepted    = "partner-accepted"    // the guest accepted the invitation
	OutcomeReminded    = "partner-reminded"    // a reminder was honoured (invitation resent when allowed)
	OutcomeExpired     = "partner-expired"     // the last reminder went unanswered
	OutcomeFailed      = "partner-failed"      // a permanent failure; Reason says why
)

// Outcome is one outcome event waiting in a record's outbox (or a failure
// log entry's, when the failed event has no record). It is written in the
// same save as the transition it reports, so it cannot be lost; it is
// published after the save with ID as the Service Bus MessageId, so a
// repeated publication (a crash before it was marked published) is a
// duplicate the topic drops.
type Outcome struct {
	ID   string      `json:"id"`   // MessageId and CloudEvent id: deterministic
	Type string      `json:"type"` // an Outcome* constant, without the prefix
	At   time.Time   `json:"at"`
	Data OutcomeData `json:"data"`
}

// OutcomeData is the data of an outcome event.
type OutcomeData struct {
	Key        string   `json:"key"`                  // the onboarding key (normalized email)
	RequestID  string   `json:"requestId,omitempty"`  // the approval this answers (also the event's subject)
	RequestIDs []string `json:"requestIds,omitempty"` // every approval merged into the onboarding
	GuestID    string   `json:"guestId,omitempty"`
	Phase      Phase    `json:"phase,omitempty"`
	Cycle      int      `json:"cycle,omitempty"`
	Origin     Origin   `json:"origin,omitempty"` // partner-invited: created or adopted
	// Applied lists the changes in place (partner-provisioned); Refused
	// those the policy refused, with the reason.
	Applied       []string  `json:"applied,omitempty"`
	Refused       []Missing `json:"refused,omitempty"`
	EmailsSent    int       `json:"emailsSent,omitempty"`
	RemindersSent int       `json:"remindersSent,omitempty"`
	Reason        string    `json:"reason,omitempty"` // partner-failed, partner-expired
}

// outcomeMessageID is the deterministic MessageId of the n-th outcome of
// an onboarding (n counts per record, across cycles).
func outcomeMessageID(key string, n int) string {
	return fmt.Sprintf("%s/outcome/%d", onboardingID(key, 0), n)
}

// failureOutcomeID is the MessageId of the partner-failed outcome of an
// event (bodyHash: EventHash) that failed for reason. It is keyed by the
// event, not by the message: the same CloudEvent sent again as another
// message (a redelivery by the sender, a retry, a replayed dead letter)
// and refused for the same reason is one failure, whose repeat the
// topic drops; another reason is news.
func failureOutcomeID(key, bodyHash, reason string) string {
	id := "failed/" + digest(bodyHash+"\x00"+reason)
	if key != "" {
		id = onboardingID(key, 0) + "/" + id
	}
	return id
}

// noteOutcomes appends to r's outbox an outcome for each transition
// between before and r. pending's commit calls it once per save, on the
// transition from the record as stored to the staged one, so an outcome
// is saved together with its transition whichever step made it; an
// ignored event changes nothing and so reports nothing.
func (e *Engine) noteOutcomes(before Record, r *Record) {
	if e.Publisher == nil {
		return
	}
	data := func() OutcomeData {
		return OutcomeData{Key: r.Key, RequestID: lastRequest(*r), RequestIDs: slices.Clone(r.RequestIDs),
			GuestID: r.GuestID, Phase: r.Phase, Cycle: r.Cycle, EmailsSent: r.Invite.EmailsSent, RemindersSent: r.Reminders.Sent}
	}
	settled := func(p Phase) bool { return p == PhaseProvisioned || p == PhaseCompleted }
	if before.Invite.SentAt.IsZero() && !r.Invite.SentAt.IsZero() {
		d := data()
		d.Origin = r.UserOrigin
		e.addOutcome(r, OutcomeInvited, d)
	}
	if r.Reminders.Sent > before.Reminders.Sent {
		e.addOutcome(r, OutcomeReminded, data())
	}
	if before.Invite.Status != StateAccepted && r.Invite.Status == StateAccepted {
		e.addOutcome(r, OutcomeAccepted, data())
	}
	if settled(r.Phase) && !settled(before.Phase) {
		d := data()
		for _, c := range desiredChanges(r.Spec) {
			if _, ok := r.Done[c.Key()]; ok {
				d.Applied = append(d.Applied, c.Key())
			}
		}
		d.Refused = slices.Clone(r.Missing)
		e.addOutcome(r, OutcomeProvisioned, d)
	}
	if r.Phase == PhaseExpired && before.Phase != PhaseExpired {
		e.addOutcome(r, OutcomeExpired, data())
	}
	// A failure of a message (MessageID set) is in the failure log first
	// and its partner-failed outcome with it (recordFailure); one the
	// reconcile finds itself is reported from here.
	if f := r.Failure; f != nil && f.MessageID == "" && (before.Failure == nil || before.Failure.Reason != f.Reason) {
		d := data()
		d.Reason = f.Reason
		e.addOutcome(r, OutcomeFailed, d)
	}
}

func (e *Engine) addOutcome(r *Record, typ string, d OutcomeData) {
	r.OutcomeSeq++
	r.Outbox = append(r.Outbox, Outcome{ID: outcomeMessageID(r.Key, r.OutcomeSeq), Type: typ, At: e.Clock.Now().UTC(), Data: d})
}

// message is the outcome as the Publisher sends it: a CloudEvent whose
// type carries the configured prefix and whose subject is the request id
// of the approval it answers.
func (e *Engine) message(o Outcome) Message {
	data, _ := json.Marshal(o.Data)
	return Message{ID: o.ID, Event: Event{ID: o.ID, Type: e.Config.OutcomeTypePrefix + o.Type, Source: Source,
		Subject: o.Data.RequestID, Time: o.At, Data: data}}
}

// maxRequestID is the longest requestId an event may carry.
const maxRequestID = 256

// requestIDOf reads the requestId of an event's data, best effort: a
// partner-failed outcome names the approval it answers even when the
// event was refused before it was parsed. One longer than validation
// allows is left out (it may be why the event was refused, and must not
// make the failure too large to record).
func requestIDOf(ev Event) string {
	var v struct {
		RequestID string `json:"requestId"`
	}
	_ = json.Unmarshal(ev.Data, &v)
	if len(v.RequestID) > maxRequestID {
		return ""
	}
	return v.RequestID
}
