package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// partnerApproved reconciles one partner-approved event: merge the desired
// state, invite (once), schedule the first follow-up, apply what is missing.
func (e *Engine) partnerApproved(ctx context.Context, spec Spec) (Result, error) {
	res := Result{Key: spec.Email}
	rec, err := e.update(ctx, spec.Email, func(r *Record) error { return e.mergeApproval(r, spec) })
	if err != nil {
		return res, err
	}
	if rec.Reenable {
		if rec, err = e.reenable(ctx, rec); err != nil {
			return res, err
		}
	}
	if rec.Invite.SentAt.IsZero() {
		if rec, err = e.invite(ctx, rec); err != nil {
			return res, err
		}
		res.Action = "invited"
	}
	if rec, err = e.scheduleNextReminder(ctx, rec); err != nil {
		return res, err
	}
	n, err := e.provision(ctx, rec)
	if err != nil {
		return res, err
	}
	if res.Action == "" {
		res.Action = "provisioned"
		if n == 0 {
			res.Action = "up-to-date"
		}
	}
	res.Detail = fmt.Sprintf("%d change(s) applied", n)
	return res, nil
}

// mergeApproval folds a new approval into the record: assignments are
// added (never removed), properties and the manager take the newest values.
// An expired onboarding approved again starts a new cycle (invite and
// reminders anew); a failed one is retried.
func (e *Engine) mergeApproval(r *Record, spec Spec) error {
	changed := false
	newRequest := spec.RequestID != "" && !slices.Contains(r.RequestIDs, spec.RequestID)
	if r.Spec.Email == "" {
		r.Spec = spec
		r.note(e, "approved", "request "+spec.RequestID)
		changed = true
	} else if merged := mergeSpec(r.Spec, spec); !specEqual(merged, r.Spec) {
		r.Spec = merged
		r.note(e, "merged", "request "+spec.RequestID)
		changed = true
	}
	if newRequest {
		r.RequestIDs = append(r.RequestIDs, spec.RequestID)
		changed = true
		if r.Phase == PhaseExpired {
			r.Cycle++
			r.Invite = InviteState{EmailsSent: r.Invite.EmailsSent}
			r.Reminders = ReminderState{}
			switch e.Config.ExpiryAction {
			case "delete":
				r.GuestID, r.Done = "", nil
			case "disable":
				r.Reenable = r.GuestID != ""
			}
			r.Phase = PhaseNew
			r.note(e, "restarted", fmt.Sprintf("cycle %d after expiry", r.Cycle))
		}
	}
	if r.Phase == PhaseFailed || r.Failure != nil {
		r.Failure = nil
		if r.Phase == PhaseFailed {
			r.Phase = PhaseNew
			if r.GuestID != "" {
				r.Phase = PhaseInvited
			}
		}
		changed = true
	}
	if !changed {
		return errNoChange
	}
	return nil
}

// mergeSpec returns old with the new approval's additions.
func mergeSpec(old, add Spec) Spec {
	m := old
	m.RequestID = add.RequestID
	if add.DisplayName != "" {
		m.DisplayName = add.DisplayName
	}
	m.Properties = old.Properties.Merge(add.Properties)
	if add.ManagerID != "" {
		m.ManagerID = add.ManagerID
	}
	m.Groups = union(old.Groups, add.Groups)
	m.Roles = union(old.Roles, add.Roles)
	m.Apps = slices.Clone(old.Apps)
	for _, a := range add.Apps {
		if !slices.Contains(m.Apps, a) {
			m.Apps = append(m.Apps, a)
		}
	}
	return m
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func specEqual(a, b Spec) bool {
	a.RequestID, b.RequestID = "", ""
	return a.Email == b.Email && a.DisplayName == b.DisplayName && a.Properties == b.Properties &&
		a.ManagerID == b.ManagerID && slices.Equal(a.Groups, b.Groups) && slices.Equal(a.Roles, b.Roles) &&
		slices.Equal(a.Apps, b.Apps)
}

// reenable allows sign-in again for a guest disabled on an earlier expiry.
func (e *Engine) reenable(ctx context.Context, rec Record) (Record, error) {
	if err := e.Directory.SetAccountEnabled(ctx, rec.GuestID, true); err != nil {
		return rec, err
	}
	return e.update(ctx, rec.Key, func(r *Record) error {
		if !r.Reenable {
			return errNoChange
		}
		r.Reenable = false
		r.note(e, "re-enabled", "sign-in allowed again for the new cycle")
		return nil
	})
}

// invitationFor builds the POST /invitations request of a spec.
func invitationFor(s Spec, send bool) Invitation {
	return Invitation{Email: s.Email, DisplayName: s.DisplayName, RedirectURL: s.RedirectURL, UserType: s.UserType,
		SendMessage: send, Message: s.Message, CC: s.CC, Language: s.Language}
}

// invite sends the first invitation of a cycle, at most once: the intent is
// saved before the call; a delivery that finds an intent without a result
// looks the guest up by mail instead of inviting again, and waits while the
// attempt may still be in flight or not yet visible (replication lag).
func (e *Engine) invite(ctx context.Context, rec Record) (Record, error) {
	now := e.Clock.Now().UTC()
	var pendingIntent time.Time
	rec, err := e.update(ctx, rec.Key, func(r *Record) error {
		pendingIntent = time.Time{}
		switch {
		case !r.Invite.SentAt.IsZero():
			return errNoChange // another delivery finished it
		case !r.Invite.IntentAt.IsZero() && now.Sub(r.Invite.IntentAt) < e.settle():
			pendingIntent = r.Invite.IntentAt
			return errNoChange
		case !r.Invite.IntentAt.IsZero():
			pendingIntent = r.Invite.IntentAt // stale: look up, then take it over
		}
		r.Invite.IntentAt = now
		return nil
	})
	if err != nil || !rec.Invite.SentAt.IsZero() {
		return rec, err
	}
	if !pendingIntent.IsZero() {
		u, found, err := e.Directory.FindUserByMail(ctx, rec.Key)
		if err != nil {
			return rec, err
		}
		if found {
			return e.invited(ctx, rec.Key, InviteResult{GuestID: u.ID, Status: u.ExternalUserState}, "found the guest of an interrupted invitation")
		}
		if rec.Invite.IntentAt.Equal(pendingIntent) {
			return rec, &TransientError{Op: "invite", Err: errors.New("an invitation attempt is in progress or not visible yet")}
		}
	}
	result, err := e.Directory.Invite(ctx, invitationFor(rec.Spec, rec.Spec.SendMessage))
	if err != nil {
		if IsPermanent(err) { // Graph refused: nothing was created
			_, _ = e.update(ctx, rec.Key, func(r *Record) error { r.Invite.IntentAt = time.Time{}; return nil })
		}
		return rec, err
	}
	return e.invited(ctx, rec.Key, result, "")
}

// invited records the result of the first invitation of a cycle.
func (e *Engine) invited(ctx context.Context, key string, result InviteResult, detail string) (Record, error) {
	now := e.Clock.Now().UTC()
	return e.update(ctx, key, func(r *Record) error {
		if !r.Invite.SentAt.IsZero() {
			return errNoChange
		}
		r.GuestID = result.GuestID
		r.Invite.SentAt = now
		r.Invite.Status = result.Status
		if r.Spec.SendMessage {
			r.Invite.EmailsSent++
		}
		if r.Phase == PhaseNew {
			r.Phase = PhaseInvited
		}
		if detail == "" {
			detail = "guest " + result.GuestID
		}
		r.note(e, "invited", detail)
		return nil
	})
}

func (e *Engine) settle() time.Duration {
	if e.Config.InviteSettle > 0 {
		return e.Config.InviteSettle
	}
	return time.Minute
}

// desiredChanges lists the directory writes a spec asks for, in order.
func desiredChanges(s Spec) []Change {
	var cs []Change
	if !s.Properties.IsZero() {
		cs = append(cs, Change{Kind: ChangeProperties, Properties: s.Properties})
	}
	if s.ManagerID != "" {
		cs = append(cs, Change{Kind: ChangeManager, ID: s.ManagerID})
	}
	for _, g := range s.Groups {
		cs = append(cs, Change{Kind: ChangeGroup, ID: g})
	}
	for _, r := range s.Roles {
		cs = append(cs, Change{Kind: ChangeRole, ID: r})
	}
	for _, a := range s.Apps {
		cs = append(cs, Change{Kind: ChangeApp, ID: a.ServicePrincipalID, AppRoleID: a.AppRoleID})
	}
	return cs
}

// pendingChanges are the desired changes not yet confirmed on the record.
func pendingChanges(r Record) []Change {
	var out []Change
	for _, c := range desiredChanges(r.Spec) {
		if _, done := r.Done[c.Key()]; !done {
			out = append(out, c)
		}
	}
	return out
}

// provision applies the missing changes and records each confirmed one, so
// a retry does only what is still missing. It returns how many it applied.
func (e *Engine) provision(ctx context.Context, rec Record) (int, error) {
	pending := pendingChanges(rec)
	if len(pending) == 0 {
		return 0, e.markProvisioned(ctx, rec)
	}
	errs := e.Directory.Apply(ctx, rec.GuestID, pending)
	if len(errs) != len(pending) {
		return 0, &TransientError{Op: "provision", Err: fmt.Errorf("directory answered %d results for %d changes", len(errs), len(pending))}
	}
	now := e.Clock.Now().UTC()
	var applied []string
	var permanent, transient error
	var lagChecked, guestVisible bool
	for i, err := range errs {
		c := pending[i]
		var nf *NotFoundError
		switch {
		case err == nil:
			applied = append(applied, c.Key())
		case errors.As(err, &nf):
			if !lagChecked {
				lagChecked = true
				_, uerr := e.Directory.User(ctx, rec.GuestID)
				guestVisible = uerr == nil
				if uerr != nil && !errors.As(uerr, &nf) {
					transient = firstOr(transient, uerr)
				}
			}
			if guestVisible {
				permanent = firstOr(permanent, &PermanentError{Op: "provision", Reason: fmt.Sprintf("%s %s does not exist", c.Kind, c.ID), Err: err})
			} else {
				transient = firstOr(transient, &TransientError{Op: "provision", RetryAfter: 5 * time.Second, Err: fmt.Errorf("guest %s not visible yet (replication lag): %w", rec.GuestID, err)})
			}
		case IsPermanent(err):
			permanent = firstOr(permanent, err)
		default:
			if transient == nil || RetryAfterOf(err) > RetryAfterOf(transient) {
				transient = err
			}
		}
	}
	if len(applied) > 0 {
		_, err := e.update(ctx, rec.Key, func(r *Record) error {
			if r.Done == nil {
				r.Done = map[string]time.Time{}
			}
			for _, k := range applied {
				if _, ok := r.Done[k]; !ok {
					r.Done[k] = now
				}
			}
			r.note(e, "provisioned", strings.Join(applied, ", "))
			if len(pendingChanges(*r)) == 0 && (r.Phase == PhaseNew || r.Phase == PhaseInvited) {
				r.Phase = PhaseProvisioned
			}
			return nil
		})
		if err != nil {
			return len(applied), err
		}
	}
	if permanent != nil {
		return len(applied), permanent
	}
	return len(applied), transient
}

// markProvisioned moves an invited record whose changes are all done on.
func (e *Engine) markProvisioned(ctx context.Context, rec Record) error {
	if rec.Phase != PhaseInvited {
		return nil
	}
	_, err := e.update(ctx, rec.Key, func(r *Record) error {
		if r.Phase != PhaseInvited || len(pendingChanges(*r)) > 0 {
			return errNoChange
		}
		r.Phase = PhaseProvisioned
		return nil
	})
	return err
}

func firstOr(have, err error) error {
	if have != nil {
		return have
	}
	return err
}
