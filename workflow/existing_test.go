package workflow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

const (
	memberID  = "member-1"
	foreignID = "foreign-1"
)

// member is an internal user whose mail is the address an approval names.
func member(mail string) workflow.DirectoryUser {
	return workflow.DirectoryUser{ID: memberID, Mail: mail, UserType: "Member", CreatedAt: time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)}
}

// foreignGuest is a guest someone else invited.
func foreignGuest(mail, state string) workflow.DirectoryUser {
	return workflow.DirectoryUser{ID: foreignID, Mail: mail, UserType: "Guest", CreationType: "Invitation", ExternalUserState: state,
		CreatedAt: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)}
}

// An approval naming an existing member's address is refused: no
// invitation, no write, the reason names the setting.
func TestExistingMemberIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		unlisted bool // the lookup misses the member; the invitation answers with its id
	}{{"found by the lookup", false}, {"answered by the invitation", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.dir.seed(member("ada@fabrikam.com"))
			e.dir.unlisted[memberID] = tc.unlisted
			_, err := e.eng.Handle(context.Background(), approved("m1", adaData))
			if !workflow.IsPermanent(err) || !strings.Contains(err.Error(), "existing member (user member-1)") || !strings.Contains(err.Error(), "POLICY_EXISTING_USERS=adopt-guests") {
				t.Fatalf("err = %v", err)
			}
			if w := e.dir.appliedKeys(); len(w) != 0 {
				t.Fatalf("writes to the member: %q", w)
			}
			r := e.record(t, "ada@fabrikam.com")
			if r.Phase != workflow.PhaseFailed || r.GuestID != "" || r.UserOrigin != "" {
				t.Fatalf("record: phase %s guest %q origin %q", r.Phase, r.GuestID, r.UserOrigin)
			}
			if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 0 {
				t.Errorf("emails = %d", emails)
			}
			for _, m := range e.sched.all() {
				if strings.Contains(m.msg.ID, "/reminder/") {
					t.Errorf("a reminder was scheduled for a refused member: %s", m.msg.ID)
				}
			}
		})
	}
}

// A guest someone else invited is adopted for assignments only: no
// invitation, its identity (properties, manager) left alone.
func TestForeignGuestIsAdoptedForAssignmentsOnly(t *testing.T) {
	e := newEnv(t)
	e.dir.seed(foreignGuest("ada@fabrikam.com", workflow.StateAccepted))
	if res := e.handle(t, approved("m1", adaData)); res.Action != "adopted" {
		t.Fatalf("result %+v", res)
	}
	if invites, emails := e.dir.counts("ada@fabrikam.com"); invites != 0 || emails != 0 {
		t.Fatalf("invites=%d emails=%d: an adopted guest gets no invitation", invites, emails)
	}
	writes := strings.Join(e.dir.appliedKeys(), " ")
	if strings.Contains(writes, "properties:") || strings.Contains(writes, "manager:") || !strings.Contains(writes, "group:"+groupA) ||
		!strings.Contains(writes, "role:"+guestInv) || !strings.Contains(writes, "app:"+appA) {
		t.Fatalf("writes %s: want the assignments only", writes)
	}
	r := e.record(t, "ada@fabrikam.com")
	st := missingState(r)
	if r.UserOrigin != workflow.OriginAdopted || r.Phase != workflow.PhaseCompleted || len(st) != 2 || st["manager:11111111-1111-1111-1111-111111111111"] != workflow.MissingRefused {
		t.Fatalf("record: origin %q phase %s missing %+v", r.UserOrigin, r.Phase, r.Missing)
	}
}

// Expiry never disables or deletes a user this onboarding did not create,
// and an adopted guest gets no reminder mail.
func TestExpiryNeverTouchesAnAdoptedGuest(t *testing.T) {
	e := newEnv(t)
	e.eng.Config.ExpiryAction = "delete"
	e.dir.seed(foreignGuest("ada@fabrikam.com", workflow.StatePendingAcceptance))
	e.handle(t, approved("m1", adaData))
	for _, n := range []string{"1", "2", "3"} {
		res, err := e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/"+n))
		if err != nil {
			t.Fatalf("reminder %s: %v", n, err)
		}
		if n == "3" && res.Action != "expired" {
			t.Fatalf("expiry: %+v", res)
		}
	}
	if e.dir.deleted[foreignID] || e.dir.disabled[foreignID] {
		t.Fatal("expiry deleted or disabled a guest this onboarding did not create")
	}
	if _, emails := e.dir.counts("ada@fabrikam.com"); emails != 0 {
		t.Errorf("emails = %d: reminders mailed someone else's guest", emails)
	}
	r := e.record(t, "ada@fabrikam.com")
	if last := r.History[len(r.History)-1]; r.Phase != workflow.PhaseExpired || !strings.Contains(last.Detail, "skipped: user foreign-1 was not created by this onboarding") {
		t.Fatalf("phase %s, last step %+v", r.Phase, last)
	}
}

// Expiry re-reads the user: one that is a member now is not deleted even
// if this onboarding created it.
func TestExpirySparesAUserThatIsAMemberNow(t *testing.T) {
	e := newEnv(t)
	e.eng.Config.ExpiryAction = "delete"
	e.handle(t, approved("m1", adaData))
	for _, n := range []string{"1", "2"} {
		e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/"+n))
	}
	e.dir.users["guest-1"].UserType = "Member" // converted by an admin
	if res, err := e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/3")); err != nil || res.Action != "expired" {
		t.Fatalf("expiry: %+v %v", res, err)
	}
	if e.dir.deleted["guest-1"] {
		t.Fatal("expiry deleted a member")
	}
}

// POLICY_EXISTING_USERS changes the default.
func TestExistingUsersSetting(t *testing.T) {
	cases := []struct {
		setting workflow.ExistingMode
		user    workflow.DirectoryUser
		refused bool
	}{
		{workflow.ExistingRefuse, foreignGuest("ada@fabrikam.com", workflow.StateAccepted), true},
		{workflow.ExistingAdoptAll, member("ada@fabrikam.com"), false},
	}
	for _, tc := range cases {
		t.Run(string(tc.setting), func(t *testing.T) {
			e := newEnv(t)
			e.eng.Config.ExistingUsers = tc.setting
			e.dir.seed(tc.user)
			_, err := e.eng.Handle(context.Background(), approved("m1", adaData))
			if tc.refused != workflow.IsPermanent(err) || tc.refused && !strings.Contains(err.Error(), "POLICY_EXISTING_USERS="+string(tc.setting)) {
				t.Fatalf("err = %v, refused want %v", err, tc.refused)
			}
			writes := strings.Join(e.dir.appliedKeys(), " ")
			if strings.Contains(writes, "properties:") || tc.refused != (writes == "") {
				t.Fatalf("writes %q", writes)
			}
		})
	}
}

// A record written before user origins were kept still gets its
// reminders: the origin is established from one read, with the intent
// time standing in for the first attempt.
func TestRecordWithoutOriginIsEstablishedByAReminder(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	r := e.record(t, "ada@fabrikam.com")
	r.UserOrigin, r.Invite.FirstIntentAt = "", time.Time{}
	if err := e.store.Save(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	if res, err := e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/1")); err != nil || res.Action != "reminder-sent" {
		t.Fatalf("reminder: %+v %v", res, err)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.UserOrigin != workflow.OriginCreated {
		t.Fatalf("origin %q", r.UserOrigin)
	}
}

// racingDirectory lets another delivery's invitation happen between a
// delivery's load of the record and its lookup of the address: on the
// first lookup, the other delivery has saved its intent and Graph has
// created the guest, but its answer is not recorded yet.
type racingDirectory struct {
	*fakeDirectory
	before func()
}

func (r *racingDirectory) FindUserByMail(ctx context.Context, email string) (workflow.DirectoryUser, bool, error) {
	if f := r.before; f != nil {
		r.before = nil
		f()
	}
	return r.fakeDirectory.FindUserByMail(ctx, email)
}

// The guest another delivery's invitation just created is ours, not a
// foreign guest to adopt: the user found is judged on the record read
// after the lookup, which holds that delivery's intent.
func TestGuestOfAConcurrentInvitationIsNotAdopted(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.eng.Directory = &racingDirectory{fakeDirectory: e.dir, before: func() {
		// the other delivery's record (ours is not written before the lookup)
		r, err := e.store.Load(ctx, "ada@fabrikam.com")
		if errors.Is(err, workflow.ErrNotFound) {
			r = workflow.Record{Key: "ada@fabrikam.com", Phase: workflow.PhaseNew}
		}
		r.Invite.IntentAt, r.Invite.FirstIntentAt = e.clock.Now().UTC(), e.clock.Now().UTC()
		if err := e.store.Save(ctx, &r); err != nil {
			t.Fatal(err)
		}
		e.dir.seed(workflow.DirectoryUser{ID: "guest-9", Mail: "ada@fabrikam.com", UserType: "Guest",
			CreationType: "Invitation", ExternalUserState: workflow.StatePendingAcceptance, CreatedAt: e.clock.Now().UTC()})
	}}
	if _, err := e.eng.Handle(ctx, approved("m1", adaData)); err != nil {
		t.Fatalf("Handle: %v (want a retry scheduled)", err)
	}
	r := e.record(t, "ada@fabrikam.com")
	if r.UserOrigin == workflow.OriginAdopted || !r.Invite.SentAt.IsZero() {
		t.Fatalf("our own guest was settled as %q (sent %v); want the in-flight invitation waited for", r.UserOrigin, r.Invite.SentAt)
	}
}
