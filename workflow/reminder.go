package workflow

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// dueAfter says when follow-up n (1-based) of a cycle is due, measured from
// the cycle's invitation: reminders 1..N follow ReminderSchedule, and
// number N+1 is the expiry check (when ExpireAfter is set).
func (e *Engine) dueAfter(n int) (time.Duration, bool) {
	s := e.Config.ReminderSchedule
	switch {
	case n >= 1 && n <= len(s):
		return s[n-1], true
	case n == len(s)+1 && e.Config.ExpireAfter > 0:
		return e.Config.ExpireAfter, true
	}
	return 0, false
}

// remindersActive reports whether the record's cycle expects follow-ups:
// its user is established and neither accepted nor expired.
func remindersActive(rec Record) bool {
	return !rec.Invite.SentAt.IsZero() && rec.GuestID != "" &&
		(rec.UserOrigin == OriginCreated || rec.UserOrigin == OriginAdopted) &&
		rec.Invite.Status != StateAccepted && rec.Phase != PhaseCompleted && rec.Phase != PhaseExpired
}

// expectedReminder is the number of the follow-up the record expects next
// and when it is due; ok is false when the configuration has none left.
func (e *Engine) expectedReminder(rec Record) (n int, due time.Time, ok bool) {
	n = rec.Reminders.Next
	if n == 0 {
		n = rec.Reminders.Sent + 1
	}
	if n == rec.Reminders.Next && !rec.Reminders.NextDue.IsZero() {
		return n, rec.Reminders.NextDue, true
	}
	after, ok := e.dueAfter(n)
	return n, rec.Invite.SentAt.Add(after), ok
}

// ensureReminder makes sure the follow-up the record expects next is
// scheduled. Every delivery that touches an onboarding (approval,
// reminder, retry) calls it, so a reminder lost on its way — scheduled by
// a process that died, never delivered — is scheduled again; the
// deterministic MessageId makes a repeat a duplicate that Service Bus
// drops.
func (e *Engine) ensureReminder(ctx context.Context, rec Record) error {
	n, due, ok := e.reminderToSchedule(rec)
	if !ok {
		return nil
	}
	if err := e.scheduleReminder(ctx, rec, n, due); err != nil {
		return err
	}
	if rec.Reminders.Next == n {
		return nil
	}
	// every caller has just read or saved rec
	return e.pendingFrom(rec).apply(ctx, e.noteReminder(rec.Cycle, n, due))
}

// reminderToSchedule is the follow-up the record expects next, if any.
func (e *Engine) reminderToSchedule(rec Record) (n int, due time.Time, ok bool) {
	if !remindersActive(rec) {
		return 0, time.Time{}, false
	}
	return e.expectedReminder(rec)
}

// noteReminder records that follow-up n of the cycle is the one expected
// next: once it is scheduled, or (an approval) just before, with the
// message redelivered to schedule it should the process die in between.
func (e *Engine) noteReminder(cycle, n int, due time.Time) func(*Record) error {
	return func(r *Record) error {
		if r.Reminders.Next != 0 || r.Cycle != cycle || r.Reminders.Sent+1 != n {
			return errNoChange
		}
		r.setNext(e, n, due)
		return nil
	}
}

// scheduleReminder schedules follow-up n of the record's cycle for due.
// The message id is deterministic, so scheduling it again (after a crash,
// a retry, or from ensureReminder) is dropped as a duplicate by Service Bus.
func (e *Engine) scheduleReminder(ctx context.Context, rec Record, n int, due time.Time) error {
	data, _ := json.Marshal(ReminderData{Key: rec.Key, Number: n, Cycle: rec.Cycle, RequestID: lastRequest(rec)})
	id := reminderMessageID(rec.Key, rec.Cycle, n)
	msg := Message{ID: id, Event: Event{
		ID: id, Type: TypeReminderDue, Source: Source, Subject: rec.Key, Time: e.Clock.Now().UTC(), Data: data,
	}}
	if err := e.Scheduler.Schedule(ctx, msg, due); err != nil {
		return &TransientError{Op: "schedule reminder", Err: err}
	}
	return nil
}

// setNext records which follow-up is expected next (0 and a zero time: none).
func (r *Record) setNext(e *Engine, n int, due time.Time) {
	r.Reminders.Next, r.Reminders.NextDue = n, due
	if n > 0 {
		r.note(e, "reminder-scheduled", fmt.Sprintf("#%d due %s", n, due.Format(time.RFC3339)))
	}
}

func lastRequest(r Record) string {
	if len(r.RequestIDs) == 0 {
		return ""
	}
	return r.RequestIDs[len(r.RequestIDs)-1]
}

// dueSkew tolerates clocks that differ a little: a reminder delivered this
// much before its due time counts as due.
const dueSkew = 5 * time.Second

// reminderDue handles follow-up rd.Number. It is honoured only when the
// record expects that number in that cycle and its due time has come:
//   - another cycle, an onboarding that expects no reminder, or a number
//     behind the record (a duplicate, or a stale redelivery) is ignored
//     with a log line;
//   - a number ahead of the record, or one not due yet, is retried later
//     (a transient failure, bounded by RETRY_MAX_ELAPSED), never acted on
//     early: a forged or early reminder can neither send mail nor expire
//     the onboarding before its time, and a genuine one is not lost.
//
// An honoured reminder completes the onboarding when the guest accepted
// (once everything is provisioned), otherwise resends the invitation (at
// most once per reminder) or, after the last one, expires the onboarding;
// it records itself before scheduling the next follow-up.
func (e *Engine) reminderDue(ctx context.Context, rd ReminderData) (Result, error) {
	res := Result{Key: rd.Key, Action: ActionIgnored}
	rec, err := e.Store.Load(ctx, rd.Key)
	if errors.Is(err, ErrNotFound) {
		res.Detail = "no such onboarding"
		e.ignoreReminder(rd, res.Detail)
		return res, nil
	} else if err != nil {
		return res, storeError("load record", err)
	}
	outboxOf(ctx).note(rec) // outcomes an earlier delivery left unpublished
	if rec.UserOrigin == "" && rec.GuestID != "" && !rec.Invite.SentAt.IsZero() {
		// a record from before user origins were kept: establish it first
		p := e.pendingFrom(rec)
		if _, err := p.commitWith(ctx, e.establishOrigin(ctx, p)); err != nil {
			return res, err
		}
		rec = p.rec
	}
	n, due, configured := e.expectedReminder(rec)
	now := e.Clock.Now().UTC()
	switch {
	case rd.Cycle != rec.Cycle:
		res.Detail = fmt.Sprintf("reminder #%d of cycle %d; the onboarding is in cycle %d", rd.Number, rd.Cycle, rec.Cycle)
	case rec.Invite.Status == StateAccepted && (rec.Phase == PhaseInvited || rec.Phase == PhaseProvisioned || rec.Phase == PhaseFailed):
		// accepted, provisioning incomplete: any reminder of the cycle (or
		// its retry) provisions again; it sends no mail and expires nothing
		return e.complete(ctx, rec)
	case !remindersActive(rec) || !configured:
		res.Detail = fmt.Sprintf("reminder #%d; the onboarding (%s) expects none", rd.Number, rec.Phase)
	case rd.Number < n:
		res.Detail = fmt.Sprintf("stale or duplicate reminder #%d (expected #%d)", rd.Number, n)
	case rd.Number > n:
		if err := e.ensureReminder(ctx, rec); err != nil {
			return res, err
		}
		return res, &TransientError{Op: "reminder", Err: fmt.Errorf("reminder #%d is ahead of the record (expects #%d); retried later", rd.Number, n)}
	case now.Before(due.Add(-dueSkew)):
		if err := e.ensureReminder(ctx, rec); err != nil {
			return res, err
		}
		return res, &TransientError{Op: "reminder", RetryAfter: due.Sub(now),
			Err: fmt.Errorf("reminder #%d is not due until %s; retried then", rd.Number, due.Format(time.RFC3339))}
	default:
		return e.honourReminder(ctx, rec, rd.Number)
	}
	e.ignoreReminder(rd, res.Detail)
	err = e.ensureReminder(ctx, rec)
	return res, err
}

func (e *Engine) ignoreReminder(rd ReminderData, why string) {
	e.logger().Info("reminder ignored", logkey.Key, MaskEmail(rd.Key), logkey.Number, rd.Number, logkey.Cycle, rd.Cycle, logkey.Reason, MaskEmails(why))
}

// honourReminder acts on the reminder the record expects, now due. Its
// changes are staged on the record reminderDue read and written with one
// save (and, for a resend, its intent before it): no step reads the
// record again.
func (e *Engine) honourReminder(ctx context.Context, rec Record, n int) (Result, error) {
	res := Result{Key: rec.Key}
	u, err := e.Directory.User(ctx, rec.GuestID)
	var nf *NotFoundError
	p := e.pendingFrom(rec)
	switch {
	case errors.As(err, &nf) && e.Clock.Now().Before(rec.Invite.SentAt.Add(e.settleWindow())):
		return res, &TransientError{Op: "read guest", RetryAfter: lagRetry, Err: err}
	case errors.As(err, &nf):
		err = p.apply(ctx, func(r *Record) error {
			r.Reminders.Next, r.Reminders.NextDue = 0, time.Time{}
			r.Phase = PhaseFailed
			r.Failure = &Failure{Key: r.Key, EventType: TypeReminderDue, Reason: "user " + r.GuestID + " no longer exists", At: e.Clock.Now().UTC()}
			r.note(e, "failed", r.Failure.Reason)
			return nil
		})
		res.Action, res.Detail = ActionFailed, "user no longer exists"
		return res, err
	case err != nil:
		return res, err
	}
	if accepted(rec, u) {
		return e.complete(ctx, rec)
	}
	if n > len(e.Config.ReminderSchedule) {
		return e.expire(ctx, p, u)
	}
	if rec.Spec.SendMessage && rec.UserOrigin == OriginCreated {
		if err := e.resend(ctx, p, n); err != nil {
			return res, err
		}
	}
	// Record this reminder before scheduling the next one, so the next is
	// never ahead of the record; if scheduling fails, the retry of this
	// reminder is behind the record, and ensureReminder schedules the next.
	err = p.apply(ctx, func(r *Record) error {
		if r.Reminders.Sent >= n || r.Cycle != rec.Cycle {
			return errNoChange
		}
		r.Reminders.Sent, r.Reminders.Next, r.Reminders.NextDue = n, 0, time.Time{}
		if next, due, ok := e.expectedReminder(*r); ok {
			r.setNext(e, next, due)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := e.ensureReminder(ctx, p.rec); err != nil {
		return res, err
	}
	return Result{Key: rec.Key, Action: ActionReminderSent, Detail: fmt.Sprintf("#%d", n)}, nil
}

// complete records that the guest accepted and provisions what is still
// missing: the onboarding is Completed only once everything is in place
// (recordProvisioning). A transient provisioning failure retries this
// reminder; a permanent one fails it, and the record says what is missing.
func (e *Engine) complete(ctx context.Context, rec Record) (Result, error) {
	p := e.pendingFrom(rec)
	err := p.stage(func(r *Record) error {
		if r.Invite.Status == StateAccepted {
			return errNoChange
		}
		r.Invite.Status = StateAccepted
		r.Reminders.Next, r.Reminders.NextDue = 0, time.Time{}
		r.note(e, "accepted", "the guest accepted the invitation")
		return nil
	})
	if err == nil {
		_, err = e.provision(ctx, p)
	}
	if _, err = p.commitWith(ctx, err); err != nil {
		return Result{Key: rec.Key}, err
	}
	return Result{Key: rec.Key, Action: ActionCompleted}, nil
}

// resend re-invites the guest for reminder n, at most once: the intent is
// saved first, and a delivery that finds the intent already there assumes
// the mail went out (Graph offers no way to ask). Only an answer proving
// nothing was sent (Refused: a 4xx, a 429) gives the intent back, so the
// retry may mail; when the outcome is unknown (a lost answer, a 5xx) the
// mail is assumed sent: a lost reminder is acceptable, a second one in the
// same slot is not.
func (e *Engine) resend(ctx context.Context, p *pending, n int) error {
	owned := false
	err := p.apply(ctx, func(r *Record) error {
		owned = false
		if r.Invite.ResendIntent >= n {
			return errNoChange
		}
		r.Invite.ResendIntent = n
		owned = true
		return nil
	})
	if err != nil || !owned {
		return err
	}
	result, err := e.Directory.Invite(ctx, invitationFor(p.rec.Spec, true))
	if err != nil && Refused(err) {
		_ = p.apply(ctx, func(r *Record) error {
			if r.Invite.ResendIntent != n {
				return errNoChange
			}
			r.Invite.ResendIntent = n - 1
			return nil
		})
		return err
	}
	// saved with the reminder it belongs to (honourReminder)
	return p.stage(func(r *Record) error {
		if err != nil {
			r.note(e, "reminder-unknown", fmt.Sprintf("#%d: no answer to the resend (%v); assuming it was sent", n, err))
			return nil
		}
		r.Invite.EmailsSent++
		r.Invite.Status = result.Status
		r.note(e, "reminder-sent", fmt.Sprintf("#%d: invitation sent again", n))
		return nil
	})
}

// expire ends a cycle whose guest never accepted. The expiry action
// (disable, delete) applies only to a user this onboarding created and
// that is still a guest as read just now (u): never to an adopted user,
// never to a member. Missing changes stay on the record.
func (e *Engine) expire(ctx context.Context, p *pending, u DirectoryUser) (Result, error) {
	rec := p.rec
	action := ExpiryAction(e.Config.ExpiryAction)
	if action == "" {
		action = ExpiryNone
	}
	detail := "expiry action " + string(action)
	if action != ExpiryNone {
		switch {
		case rec.UserOrigin != OriginCreated:
			detail = fmt.Sprintf("expiry action %s skipped: user %s was not created by this onboarding", action, rec.GuestID)
			action = ExpiryNone
		case !strings.EqualFold(u.UserType, "Guest"):
			detail = fmt.Sprintf("expiry action %s skipped: user %s is a %s", action, rec.GuestID, cmp.Or(u.UserType, "member"))
			action = ExpiryNone
		}
	}
	var err error
	switch action {
	case ExpiryDisable:
		err = e.Directory.SetAccountEnabled(ctx, rec.GuestID, false)
	case ExpiryDelete:
		err = e.Directory.DeleteUser(ctx, rec.GuestID)
	}
	if err != nil {
		return Result{Key: rec.Key}, err
	}
	err = p.apply(ctx, func(r *Record) error {
		if r.Phase == PhaseExpired {
			return errNoChange
		}
		r.Phase = PhaseExpired
		r.Reminders.Next, r.Reminders.NextDue = 0, time.Time{}
		if todo, _ := e.outstanding(*r); len(todo) > 0 {
			detail += fmt.Sprintf("; provisioning incomplete: %d change(s) missing", len(todo))
		}
		r.note(e, "expired", "no acceptance after the last reminder; "+detail)
		return nil
	})
	return Result{Key: rec.Key, Action: ActionExpired}, err
}
