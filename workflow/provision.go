package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// lagRetry is the Retry-After given to a write that 404s inside the settle
// window: replication usually takes seconds (reference §14).
const lagRetry = 5 * time.Second

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
	for _, id := range s.Sponsors {
		cs = append(cs, Change{Kind: ChangeSponsor, ID: id})
	}
	return cs
}

// describe names a change in reasons, e.g. "group 0b1…".
func (c Change) describe() string {
	switch c.Kind {
	case ChangeProperties:
		return "properties"
	case ChangeApp:
		return fmt.Sprintf("app %s/%s", c.ID, c.AppRoleID)
	default:
		return string(c.Kind) + " " + c.ID
	}
}

// outstanding splits the desired changes not yet done into those to apply
// and those refused. The policy is evaluated here, on the merged desired
// state, at every delivery: an assignment an earlier approval asked for
// that the policy no longer allows is not applied. Identity changes
// (properties, manager) of a user this onboarding did not create are
// refused too. Refused changes do not keep an onboarding from completing;
// the record shows them.
func (e *Engine) outstanding(r Record) (todo []Change, refused []Missing) {
	for _, c := range desiredChanges(r.Spec) {
		if _, done := r.Done[c.Key()]; done {
			continue
		}
		if r.UserOrigin == OriginAdopted && (c.Kind == ChangeProperties || c.Kind == ChangeManager) {
			refused = append(refused, Missing{Change: c.Key(), State: MissingRefused,
				Reason: "the identity of an existing user this onboarding did not create is left alone (POLICY_EXISTING_USERS)"})
			continue
		}
		if err := e.Policy.CheckChange(c); err != nil {
			refused = append(refused, Missing{Change: c.Key(), State: MissingRefused, Reason: err.Error()})
			continue
		}
		if c.Kind == ChangeSponsor {
			var why string
			if c, why = e.sponsorCheck(c); why != "" {
				refused = append(refused, Missing{Change: c.Key(), State: MissingRefused, Reason: "policy: " + why})
				continue
			}
		}
		todo = append(todo, c)
	}
	return todo, refused
}

// provision applies the outstanding changes and stages on p each
// confirmed one, so a retry does only what is still missing; the record's
// Missing says what is not in place and why. It returns how many it
// applied; the caller commits p.
//
// A 404 is judged by reading what the change references (ObjectExists):
// missing → permanent, naming kind and id; present → the guest is not
// writable yet (replication lag), retried until the settle window after
// the invitation has passed, permanent after it. A successful read of the
// guest proves nothing about a write, so the guest is never the arbiter.
func (e *Engine) provision(ctx context.Context, p *pending) (int, error) {
	rec := p.rec
	if rec.GuestID == "" || rec.UserOrigin == "" {
		return 0, nil // the user is not established yet: nothing is written
	}
	if err := e.learnSponsors(ctx, rec.Spec); err != nil {
		return 0, err
	}
	todo, _ := e.outstanding(rec)
	var (
		applied   []string
		missing   []Missing
		permanent []string
		transient error
	)
	todo, missing = e.refuseUntakeable(ctx, todo)
	for _, m := range missing {
		permanent = append(permanent, m.Reason)
	}
	if len(todo) > 0 {
		errs := e.Directory.Apply(ctx, rec.GuestID, todo)
		if len(errs) != len(todo) {
			return 0, &TransientError{Op: "provision", Err: fmt.Errorf("directory answered %d results for %d changes", len(errs), len(todo))}
		}
		exists := map[string]bool{} // referenced objects read in this pass
		for i, err := range errs {
			c := todo[i]
			if err == nil {
				applied = append(applied, c.Key())
				continue
			}
			m, terr := e.judge(ctx, rec, c, err, exists)
			missing = append(missing, m)
			if m.State == MissingFailed {
				permanent = append(permanent, m.Reason)
			} else if transient == nil || RetryAfterOf(terr) > RetryAfterOf(transient) {
				transient = terr
			}
		}
	}
	if err := p.stage(func(r *Record) error { return e.recordProvisioning(r, applied, missing) }); err != nil {
		return len(applied), err
	}
	if len(permanent) > 0 {
		return len(applied), &PermanentError{Op: "provision", Reason: "provisioning incomplete: " + strings.Join(permanent, "; ")}
	}
	return len(applied), transient
}

// judge turns one failed change into a Missing entry and, for a retried
// one, the transient error to retry with.
func (e *Engine) judge(ctx context.Context, rec Record, c Change, err error, exists map[string]bool) (Missing, error) {
	m := Missing{Change: c.Key(), State: MissingWaiting}
	var nf *NotFoundError
	switch {
	case errors.As(err, &nf):
		if c.Kind != ChangeProperties {
			ref := string(c.Kind) + ":" + c.ID
			ok, seen := exists[ref]
			if !seen {
				var rerr error
				ok, rerr = e.Directory.ObjectExists(ctx, c.Kind, c.ID)
				if rerr != nil {
					m.Reason = fmt.Sprintf("%s answered 404 and could not be checked: %v", c.describe(), rerr)
					return m, rerr
				}
				exists[ref] = ok
			}
			if !ok {
				m.State, m.Reason = MissingFailed, fmt.Sprintf("%s does not exist", c.describe())
				return m, nil
			}
		}
		deadline := rec.Invite.SentAt.Add(e.settleWindow())
		if e.Clock.Now().Before(deadline) {
			m.Reason = fmt.Sprintf("%s: guest %s not writable yet (replication lag); retried until %s", c.describe(), rec.GuestID, deadline.Format(time.RFC3339))
			return m, &TransientError{Op: "provision", RetryAfter: lagRetry,
				Err: fmt.Errorf("guest %s not writable yet (replication lag): %w", rec.GuestID, err)}
		}
		m.State, m.Reason = MissingFailed, fmt.Sprintf("%s: guest %s still answers 404 %s after the invitation (settle window): %v",
			c.describe(), rec.GuestID, e.settleWindow(), err)
		return m, nil
	case IsPermanent(err):
		m.State, m.Reason = MissingFailed, fmt.Sprintf("%s: %v", c.describe(), err)
		return m, nil
	default:
		m.Reason = fmt.Sprintf("%s: %v", c.describe(), err)
		return m, err
	}
}

// recordProvisioning saves a provisioning pass: the confirmed changes,
// what is missing and why, and the phase it leads to. An onboarding is
// Provisioned (or, once the guest accepted, Completed) only when nothing
// but policy refusals is outstanding.
func (e *Engine) recordProvisioning(r *Record, applied []string, failed []Missing) error {
	now := e.Clock.Now().UTC()
	if len(applied) > 0 {
		if r.Done == nil {
			r.Done = map[string]time.Time{}
		}
		for _, k := range applied {
			if _, ok := r.Done[k]; !ok {
				r.Done[k] = now
			}
		}
		r.note(e, "provisioned", strings.Join(applied, ", "))
	}
	todo, refused := e.outstanding(*r)
	var missing []Missing
	for _, m := range failed {
		if slices.ContainsFunc(todo, func(c Change) bool { return c.Key() == m.Change }) {
			missing = append(missing, m)
		}
	}
	missing = append(missing, refused...)
	phase := r.Phase
	open := phase == PhaseNew || phase == PhaseInvited || phase == PhaseProvisioned || phase == PhaseFailed
	switch {
	case len(todo) > 0 && (phase == PhaseProvisioned || phase == PhaseCompleted):
		phase = PhaseInvited // a later approval asked for more
	case len(todo) == 0 && open && r.Invite.Status == StateAccepted:
		phase = PhaseCompleted
	case len(todo) == 0 && open:
		phase = PhaseProvisioned
	}
	if len(applied) == 0 && phase == r.Phase && slices.Equal(missing, r.Missing) {
		return errNoChange
	}
	if phase != r.Phase && r.Phase == PhaseFailed {
		r.Failure = nil // what failed is in place now
	}
	if phase == PhaseCompleted && r.Phase != PhaseCompleted {
		r.Reminders.Next, r.Reminders.NextDue = 0, time.Time{}
		r.note(e, "completed", "the guest accepted and everything is in place")
	}
	r.Phase, r.Missing = phase, missing
	return nil
}

func (e *Engine) settleWindow() time.Duration {
	if e.Config.SettleWindow > 0 {
		return e.Config.SettleWindow
	}
	return 5 * time.Minute
}
