package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// partnerApproved reconciles one partner-approved event: merge the desired
// state, establish the user (look the address up, invite once, tell our
// user from someone else's), apply what is missing and make sure the next
// follow-up is scheduled.
//
// The record is read once and written at most twice: the approval with
// the invitation intent before POST /invitations, and everything that
// followed (the invitation's result, the user's origin, what provisioning
// confirmed, the reminder expected next) when the reconcile ends, also
// when it ends in an error. A delivery with nothing to do reads it once
// and writes nothing. The next reminder is scheduled after that write,
// off provisioning's path but before the delivery completes, and only
// from what is saved: a reminder scheduled for a result the store never
// got would arrive at a record that does not expect it, and its
// deterministic id would make the real one a dropped duplicate. A crash
// before it is scheduled leaves the message to be redelivered, whose
// ensureReminder schedules it.
func (e *Engine) partnerApproved(ctx context.Context, spec Spec) (Result, error) {
	p, err := e.load(ctx, spec.Email)
	if err != nil {
		return Result{Key: spec.Email}, err
	}
	res, err := e.approve(ctx, p, spec)
	saved, err := p.commitWith(ctx, err)
	if !saved {
		return res, err
	}
	// a failed schedule wins over a permanent failure: the retry
	// provisions again (and fails the same way) and schedules it
	if serr := e.ensureReminder(ctx, p.rec); serr != nil && (err == nil || IsPermanent(err)) {
		err = serr
	}
	return res, err
}

// approve is partnerApproved on the record p, leaving the last write to
// the caller.
func (e *Engine) approve(ctx context.Context, p *pending, spec Spec) (Result, error) {
	res := Result{Key: spec.Email}
	if err := p.stage(func(r *Record) error { return e.mergeApproval(r, spec) }); err != nil {
		return res, err
	}
	if p.rec.Reenable {
		if err := e.reenable(ctx, p); err != nil {
			return res, err
		}
	}
	if p.rec.Invite.SentAt.IsZero() {
		if err := e.invite(ctx, p); err != nil {
			return res, err
		}
		res.Action = ActionInvited
		if p.rec.UserOrigin == OriginAdopted {
			res.Action = ActionAdopted
		}
	}
	if p.rec.UserOrigin == "" {
		if err := e.establishOrigin(ctx, p); err != nil {
			return res, err
		}
	}
	n, err := e.provision(ctx, p)
	if next, due, ok := e.reminderToSchedule(p.rec); ok {
		// saved with the result; scheduled by partnerApproved once saved
		if serr := p.stage(e.noteReminder(p.rec.Cycle, next, due)); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return res, err
	}
	if res.Action == "" {
		res.Action = ActionProvisioned
		if n == 0 {
			res.Action = ActionUpToDate
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
		if len(merged.Sponsors) > MaxSponsors {
			return &ValidationError{Field: "sponsors", Rule: fmt.Sprintf("at most %d sponsors per guest, counting those of earlier approvals; this one would make %d", MaxSponsors, len(merged.Sponsors))}
		}
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
			r.Missing = nil
			if r.UserOrigin == OriginCreated { // expiry acted only on users it created
				switch ExpiryAction(e.Config.ExpiryAction) {
				case ExpiryDelete:
					r.GuestID, r.Done, r.UserOrigin = "", nil, ""
				case ExpiryDisable:
					r.Reenable = r.GuestID != ""
				}
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
	m.Sponsors = union(old.Sponsors, add.Sponsors)
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
		slices.Equal(a.Apps, b.Apps) && slices.Equal(a.Sponsors, b.Sponsors)
}

// reenable allows sign-in again for a guest disabled on an earlier expiry.
func (e *Engine) reenable(ctx context.Context, p *pending) error {
	if err := e.Directory.SetAccountEnabled(ctx, p.rec.GuestID, true); err != nil {
		return err
	}
	return p.stage(func(r *Record) error {
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

// errInFlight says another delivery's invitation attempt may still be
// under way.
var errInFlight = errors.New("an invitation attempt is in progress or its guest not visible yet")

// invite starts a cycle: at most one invitation email per cycle.
//
// Before the first invitation the address is looked up (FindUserByMail):
// a user found there that this cycle did not create is someone else's,
// which the policy adopts or refuses (originOf) — no invitation is sent to
// it. Otherwise the intent is saved before POST /invitations and the
// result after it. A delivery that finds an intent without a result waits
// while the attempt may still be in flight, then looks the address up
// again; if nobody is there it invites again without mail, because the
// lost attempt may have sent it. An answer that proves nothing happened
// (Refused) clears the intent; any other error leaves the outcome unknown
// and keeps it.
func (e *Engine) invite(ctx context.Context, p *pending) error {
	now := e.Clock.Now().UTC()
	if !p.rec.Invite.IntentAt.IsZero() && now.Sub(p.rec.Invite.IntentAt) < e.settle() {
		return &TransientError{Op: "invite", Err: errInFlight}
	}
	if done, err := e.inviteExisting(ctx, p); done || err != nil {
		return err
	}
	unknown, err := e.recordInviteIntent(ctx, p, now)
	if errors.Is(err, errInFlight) {
		return &TransientError{Op: "invite", Err: err}
	}
	if err != nil || !p.rec.Invite.SentAt.IsZero() {
		return err
	}
	rec := p.rec
	send := rec.Spec.SendMessage && !unknown
	result, err := e.Directory.Invite(ctx, invitationFor(rec.Spec, send))
	if err != nil {
		_ = p.stage(e.inviteFailed(now, err)) // the mutation fails only with errNoChange
		return err
	}
	var origin Origin
	detail := ""
	if rec.GuestID != "" && rec.UserOrigin == OriginCreated {
		origin = OriginCreated // a new cycle of our own guest
	}
	if unknown {
		detail = "guest " + result.GuestID + ", invited again without mail: an earlier attempt may have sent it"
	}
	// the slot's email went out now, or is assumed to have gone out earlier
	return p.stage(e.invited(result, origin, rec.Spec.SendMessage, detail))
}

// inviteExisting settles the invitation without sending one when the
// address already has a user: an adopted user in a new cycle, the guest of
// an interrupted invitation, or a user someone else created (which the
// policy adopts or refuses). done is false when an invitation is needed.
func (e *Engine) inviteExisting(ctx context.Context, p *pending) (done bool, _ error) {
	switch rec := p.rec; {
	case rec.GuestID != "" && rec.UserOrigin == OriginAdopted:
		// a new cycle for an adopted user: never our invitation to send
		return true, p.stage(e.invited(InviteResult{GuestID: rec.GuestID}, OriginAdopted, false, "existing user kept for a new cycle; no invitation sent"))
	case rec.GuestID != "" && rec.UserOrigin == OriginCreated:
		return false, nil // a new cycle of our own guest: invite again
	}
	u, found, err := e.Directory.FindUserByMail(ctx, p.rec.Key)
	if err != nil || !found {
		return false, err
	}
	// Judge the user on the record as it is now, read after the lookup:
	// the record may predate another delivery's invitation, whose guest
	// the lookup just found, and would make our own guest look foreign.
	if err := p.refresh(ctx); err != nil {
		return false, err
	}
	rec := p.rec
	switch {
	case !rec.Invite.SentAt.IsZero():
		return true, nil // another delivery recorded the invitation
	case !rec.Invite.IntentAt.IsZero() && e.Clock.Now().UTC().Sub(rec.Invite.IntentAt) < e.settle():
		return false, &TransientError{Op: "invite", Err: errInFlight}
	}
	origin, err := e.originOf(rec, u)
	if err != nil {
		return false, err
	}
	result := InviteResult{GuestID: u.ID, Status: u.ExternalUserState}
	detail := "found the guest of an interrupted invitation"
	if origin == OriginAdopted {
		detail = fmt.Sprintf("existing %s user %s adopted for assignments only; no invitation sent", strings.ToLower(cmp.Or(u.UserType, "member")), u.ID)
		if rec.UserOrigin = origin; accepted(rec, u) {
			result.Status = StateAccepted // nothing to wait for: complete once provisioned
		}
	}
	// the interrupted attempt that created our guest asked for mail
	return true, p.stage(e.invited(result, origin, origin == OriginCreated && rec.Spec.SendMessage, detail))
}

// recordInviteIntent records that an invitation is about to be sent (intent
// before effect), writing it with whatever p has staged. unknown reports
// that an earlier attempt never reported back, so this one must not mail
// again. errInFlight: another delivery's attempt may still be running; a
// record whose invitation is already sent is left unchanged.
func (e *Engine) recordInviteIntent(ctx context.Context, p *pending, now time.Time) (unknown bool, err error) {
	err = p.stage(func(r *Record) error {
		switch {
		case !r.Invite.SentAt.IsZero():
			return errNoChange // another delivery finished it
		case !r.Invite.IntentAt.IsZero() && now.Sub(r.Invite.IntentAt) < e.settle():
			return errInFlight
		}
		if !r.Invite.IntentAt.IsZero() {
			r.Invite.OutcomeUnknown = true // an earlier attempt never reported back
		}
		if r.Invite.FirstIntentAt.IsZero() {
			r.Invite.FirstIntentAt = now
		}
		r.Invite.IntentAt = now
		unknown = r.Invite.OutcomeUnknown
		return nil
	})
	if err != nil {
		return false, err
	}
	return unknown, p.commit(ctx)
}

// inviteFailed records how the invitation attempt made at intentAt
// failed: refused (nothing happened, the intent is cleared) or with an
// unknown outcome (assumed sent).
func (e *Engine) inviteFailed(intentAt time.Time, cause error) func(*Record) error {
	refused := Refused(cause)
	return func(r *Record) error {
		if !r.Invite.IntentAt.Equal(intentAt) {
			return errNoChange
		}
		if refused { // Graph answered no: nothing was created or sent
			r.Invite.IntentAt = time.Time{}
		} else {
			r.Invite.OutcomeUnknown = true
			r.note(e, "invitation-unknown", "no answer to the invitation ("+cause.Error()+"); assuming it was sent")
		}
		return nil
	}
}

// invited records the result of the first invitation of a cycle (or the
// user found instead of inviting). origin may be "" when a read must still
// tell whose user it is (establishOrigin); mailed counts the slot's email,
// sent or assumed sent.
func (e *Engine) invited(result InviteResult, origin Origin, mailed bool, detail string) func(*Record) error {
	now := e.Clock.Now().UTC()
	return func(r *Record) error {
		if !r.Invite.SentAt.IsZero() {
			return errNoChange
		}
		r.GuestID = result.GuestID
		r.UserOrigin = origin
		r.Invite.SentAt = now
		r.Invite.Status = result.Status
		if mailed {
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
	}
}

// establishOrigin reads the user an invitation answered with and decides
// whose it is: invitedUser.id does not prove that the invitation created a
// user (an address can belong to a member or to another team's guest), so
// only a user made by an invitation of this cycle counts as ours
// (reference §15). Someone else's user is adopted or refused by the
// policy; a refused one is forgotten and nothing is written to it.
func (e *Engine) establishOrigin(ctx context.Context, p *pending) error {
	rec := p.rec
	if rec.GuestID == "" {
		return nil
	}
	u, err := e.Directory.User(ctx, rec.GuestID)
	var nf *NotFoundError
	switch {
	case errors.As(err, &nf) && e.Clock.Now().Before(rec.Invite.SentAt.Add(e.settleWindow())):
		return &TransientError{Op: "read invited user", RetryAfter: lagRetry, Err: fmt.Errorf("guest %s not readable yet (replication lag): %w", rec.GuestID, err)}
	case errors.As(err, &nf):
		return &PermanentError{Op: "read invited user", Reason: fmt.Sprintf("user %s answered by the invitation is still not found %s later", rec.GuestID, e.settleWindow()), Err: err}
	case err != nil:
		return err
	}
	origin, perr := e.originOf(rec, u)
	err = p.stage(func(r *Record) error {
		if r.GuestID != u.ID || r.UserOrigin != "" {
			return errNoChange
		}
		if perr != nil {
			r.note(e, "refused", perr.Error())
			r.GuestID, r.UserOrigin = "", ""
			r.Invite = InviteState{EmailsSent: r.Invite.EmailsSent}
			return nil
		}
		r.UserOrigin = origin
		if origin == OriginAdopted {
			r.note(e, "adopted", "the invitation answered with existing user "+u.ID+": assignments only")
			if accepted(*r, u) {
				r.Invite.Status = StateAccepted
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return perr
}

func (e *Engine) settle() time.Duration {
	if e.Config.InviteSettle > 0 {
		return e.Config.InviteSettle
	}
	return time.Minute
}
