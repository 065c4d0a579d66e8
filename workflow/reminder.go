package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
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

// scheduleNextReminder schedules follow-up Reminders.Sent+1 unless one is
// already scheduled, the guest accepted or the cycle ended.
func (e *Engine) scheduleNextReminder(ctx context.Context, rec Record) (Record, error) {
	if rec.Reminders.Next != 0 || rec.Invite.SentAt.IsZero() || rec.Phase == PhaseCompleted || rec.Phase == PhaseExpired {
		return rec, nil
	}
	n := rec.Reminders.Sent + 1
	due, ok, err := e.scheduleReminder(ctx, rec, n)
	if err != nil || !ok {
		return rec, err
	}
	return e.update(ctx, rec.Key, func(r *Record) error {
		if r.Reminders.Next != 0 || r.Cycle != rec.Cycle {
			return errNoChange
		}
		r.setNext(e, n, due)
		return nil
	})
}

// scheduleReminder schedules follow-up n of the record's cycle, if the
// configuration has one; ok is false when it has none. The message id is
// deterministic, so scheduling it again (after a crash or a retry) is
// dropped as a duplicate by Service Bus.
func (e *Engine) scheduleReminder(ctx context.Context, rec Record, n int) (due time.Time, ok bool, err error) {
	after, ok := e.dueAfter(n)
	if !ok {
		return time.Time{}, false, nil
	}
	due = rec.Invite.SentAt.Add(after)
	data, _ := json.Marshal(ReminderData{Key: rec.Key, Number: n, Cycle: rec.Cycle, RequestID: lastRequest(rec)})
	id := reminderMessageID(rec.Key, rec.Cycle, n)
	msg := Message{ID: id, Event: Event{
		ID: id, Type: TypeReminderDue, Source: Source, Subject: rec.Key, Time: e.Clock.Now().UTC(), Data: data,
	}}
	if err := e.Scheduler.Schedule(ctx, msg, due); err != nil {
		return due, true, &TransientError{Op: "schedule reminder", Err: err}
	}
	return due, true, nil
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

// errStale says a reminder is not the one the record expects.
var errStale = errors.New("stale reminder")

// reminderDue handles follow-up r.Number: completes the onboarding when the
// guest accepted, otherwise resends the invitation (at most once per
// reminder) and schedules the next follow-up, or expires the onboarding
// after the last one. A reminder the record does not expect is ignored.
func (e *Engine) reminderDue(ctx context.Context, rd ReminderData) (Result, error) {
	res := Result{Key: rd.Key, Action: "ignored"}
	rec, err := e.Store.Load(ctx, rd.Key)
	if errors.Is(err, ErrNotFound) {
		res.Detail = "no such onboarding"
		return res, nil
	} else if err != nil {
		return res, &TransientError{Op: "load record", Err: err}
	}
	if rd.Cycle != rec.Cycle || rd.Number != rec.Reminders.Next || rec.GuestID == "" {
		res.Detail = fmt.Sprintf("stale or duplicate reminder #%d (expected #%d)", rd.Number, rec.Reminders.Next)
		return res, nil
	}
	u, err := e.Directory.User(ctx, rec.GuestID)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		_, err = e.update(ctx, rd.Key, func(r *Record) error {
			r.Reminders.Next, r.Reminders.NextDue = 0, time.Time{}
			r.Phase = PhaseFailed
			r.Failure = &Failure{Key: r.Key, EventType: TypeReminderDue, Reason: "guest " + r.GuestID + " no longer exists", At: e.Clock.Now().UTC()}
			r.note(e, "failed", r.Failure.Reason)
			return nil
		})
		res.Detail = "guest no longer exists"
		return res, err
	} else if err != nil {
		return res, err
	}
	if u.ExternalUserState == StateAccepted {
		_, err := e.update(ctx, rd.Key, func(r *Record) error {
			if r.Phase == PhaseCompleted {
				return errNoChange
			}
			r.Phase = PhaseCompleted
			r.Invite.Status = StateAccepted
			r.Reminders.Next, r.Reminders.NextDue = 0, time.Time{}
			r.note(e, "completed", "guest accepted the invitation")
			return nil
		})
		return Result{Key: rd.Key, Action: "completed"}, err
	}
	if rd.Number > len(e.Config.ReminderSchedule) {
		return e.expire(ctx, rec)
	}
	if rec.Spec.SendMessage {
		if err := e.resend(ctx, rec, rd.Number); err != nil {
			return res, err
		}
	}
	// Schedule the next follow-up before recording this one as done: if
	// the save fails, the redelivered reminder is still the expected one,
	// skips the resend (its intent is saved) and schedules the same id again.
	due, hasNext, err := e.scheduleReminder(ctx, rec, rd.Number+1)
	if err != nil {
		return res, err
	}
	_, err = e.update(ctx, rd.Key, func(r *Record) error {
		if r.Reminders.Next != rd.Number || r.Cycle != rd.Cycle {
			return errStale
		}
		r.Reminders.Sent = rd.Number
		if hasNext {
			r.setNext(e, rd.Number+1, due)
		} else {
			r.setNext(e, 0, time.Time{})
		}
		return nil
	})
	if errors.Is(err, errStale) {
		return res, nil
	} else if err != nil {
		return res, err
	}
	return Result{Key: rd.Key, Action: "reminder-sent", Detail: fmt.Sprintf("#%d", rd.Number)}, nil
}

// resend re-invites the guest for reminder n, at most once: the intent is
// saved first, and a delivery that finds the intent already there assumes
// the mail went out (Graph offers no way to ask).
func (e *Engine) resend(ctx context.Context, rec Record, n int) error {
	owned := false
	_, err := e.update(ctx, rec.Key, func(r *Record) error {
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
	result, err := e.Directory.Invite(ctx, invitationFor(rec.Spec, true))
	if err != nil {
		// Graph answered with an error: no mail went out, so the next
		// attempt may send it.
		_, _ = e.update(ctx, rec.Key, func(r *Record) error {
			if r.Invite.ResendIntent != n {
				return errNoChange
			}
			r.Invite.ResendIntent = n - 1
			return nil
		})
		return err
	}
	_, err = e.update(ctx, rec.Key, func(r *Record) error {
		r.Invite.EmailsSent++
		r.Invite.Status = result.Status
		r.note(e, "reminder-sent", fmt.Sprintf("#%d: invitation sent again", n))
		return nil
	})
	return err
}

// expire ends a cycle whose guest never accepted, applying the expiry action.
func (e *Engine) expire(ctx context.Context, rec Record) (Result, error) {
	var err error
	switch e.Config.ExpiryAction {
	case "disable":
		err = e.Directory.SetAccountEnabled(ctx, rec.GuestID, false)
	case "delete":
		err = e.Directory.DeleteUser(ctx, rec.GuestID)
	}
	if err != nil {
		return Result{Key: rec.Key}, err
	}
	_, err = e.update(ctx, rec.Key, func(r *Record) error {
		if r.Phase == PhaseExpired {
			return errNoChange
		}
		r.Phase = PhaseExpired
		r.Reminders.Next, r.Reminders.NextDue = 0, time.Time{}
		action := e.Config.ExpiryAction
		if action == "" {
			action = "none"
		}
		r.note(e, "expired", "no acceptance after the last reminder; expiry action "+action)
		return nil
	})
	return Result{Key: rec.Key, Action: "expired"}, err
}
