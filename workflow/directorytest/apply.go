package directorytest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// ObjectExists answers per kind whether the referenced object is there,
// without an error for a missing one; properties reference nothing.
func testObjectExists(t *testing.T, e *env) {
	for _, tc := range []struct {
		kind workflow.ChangeKind
		id   string
		want bool
	}{
		{workflow.ChangeManager, MemberID, true},
		{workflow.ChangeManager, Missing, false},
		{workflow.ChangeGroup, GroupA, true},
		{workflow.ChangeGroup, Missing, false},
		{workflow.ChangeRole, RoleGuestInviter, true},
		{workflow.ChangeRole, Missing, false},
		{workflow.ChangeApp, AppWithRole, true},
		{workflow.ChangeApp, Missing, false},
		{workflow.ChangeProperties, "", true},
	} {
		got, err := e.Directory.ObjectExists(e.ctx(t), tc.kind, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("ObjectExists(%s, %q) = %v, %v; want %v", tc.kind, tc.id, got, err, tc.want)
		}
	}
}

// Every kind of change is applied to a new guest and is then in place.
func testApplyEveryKind(t *testing.T, e *env) {
	guest := e.invite(t, "ada@fabrikam-partner.example", false).GuestID
	changes := everyKind()
	e.applyAll(t, guest, changes)
	for _, c := range changes {
		if !e.Applied(guest, c) {
			t.Errorf("%s not in place after Apply", c.Key())
		}
	}
}

// A change already in place ("already exists", "conflicting object",
// "permission being assigned already exists") is success.
func testApplyAgain(t *testing.T, e *env) {
	guest := e.invite(t, "ada@fabrikam-partner.example", false).GuestID
	e.applyAll(t, guest, everyKind())
	e.applyAll(t, guest, everyKind())
}

// Apply answers one error per change, in the changes' order. A change
// referencing a missing object is refused with a NotFoundError (Graph
// answers 404 for a missing group, manager or service principal; for an
// unknown role definition a 400, so a PermanentError is accepted there)
// and an app role the application does not declare is a PermanentError;
// the other changes are applied.
func testApplyErrorsInOrder(t *testing.T, e *env) {
	guest := e.invite(t, "ada@fabrikam-partner.example", false).GuestID
	type want int
	const (
		ok want = iota
		notFound
		notFoundOrPermanent
		permanent
	)
	cases := []struct {
		c    workflow.Change
		want want
	}{
		{workflow.Change{Kind: workflow.ChangeGroup, ID: GroupA}, ok},
		{workflow.Change{Kind: workflow.ChangeGroup, ID: Missing}, notFound},
		{workflow.Change{Kind: workflow.ChangeRole, ID: RoleGuestInviter}, ok},
		{workflow.Change{Kind: workflow.ChangeManager, ID: Missing}, notFound},
		{workflow.Change{Kind: workflow.ChangeApp, ID: AppWithRole, AppRoleID: Missing}, permanent},
		{workflow.Change{Kind: workflow.ChangeApp, ID: Missing, AppRoleID: workflow.DefaultAppRoleID}, notFound},
		{workflow.Change{Kind: workflow.ChangeRole, ID: Missing}, notFoundOrPermanent},
		{workflow.Change{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{JobTitle: "Engineer"}}, ok},
		{workflow.Change{Kind: workflow.ChangeApp, ID: AppDefaultOnly, AppRoleID: workflow.DefaultAppRoleID}, ok},
	}
	changes := make([]workflow.Change, len(cases))
	for i, tc := range cases {
		changes[i] = tc.c
	}
	errs := e.Directory.Apply(e.ctx(t), guest, changes)
	if len(errs) != len(changes) {
		t.Fatalf("Apply answered %d results for %d changes", len(errs), len(changes))
	}
	for i, tc := range cases {
		err := errs[i]
		nf := errors.As(err, new(*workflow.NotFoundError))
		var good bool
		switch tc.want {
		case ok:
			good = err == nil && e.Applied(guest, tc.c)
		case notFound:
			good = nf
		case notFoundOrPermanent:
			good = nf || workflow.IsPermanent(err)
		case permanent:
			good = workflow.IsPermanent(err)
		}
		if !good {
			t.Errorf("change %d (%s): error %v", i, tc.c.Key(), err)
		}
		if tc.want != ok && (e.Applied(guest, tc.c) || errors.As(err, new(*workflow.TransientError))) {
			t.Errorf("change %d (%s): refused change is in place or reported transient: %v", i, tc.c.Key(), err)
		}
	}
}

// Writes to a user that does not exist answer NotFoundError per change.
func testApplyToUnknownUser(t *testing.T, e *env) {
	changes := everyKind()
	errs := e.Directory.Apply(e.ctx(t), Missing, changes)
	if len(errs) != len(changes) {
		t.Fatalf("Apply answered %d results for %d changes", len(errs), len(changes))
	}
	for i, err := range errs {
		if !errors.As(err, new(*workflow.NotFoundError)) {
			t.Errorf("change %s for an unknown user: %v, want a NotFoundError", changes[i].Key(), err)
		}
	}
}

// No changes, no results.
func testApplyNothing(t *testing.T, e *env) {
	guest := e.invite(t, "ada@fabrikam-partner.example", false).GuestID
	if errs := e.Directory.Apply(e.ctx(t), guest, nil); len(errs) != 0 {
		t.Errorf("Apply(nothing) = %v", errs)
	}
}

// applyAll applies changes and fails the test on any error.
func (e *env) applyAll(t *testing.T, guest string, changes []workflow.Change) {
	t.Helper()
	errs := e.Directory.Apply(e.ctx(t), guest, changes)
	if len(errs) != len(changes) {
		t.Fatalf("Apply answered %d results for %d changes", len(errs), len(changes))
	}
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", changes[i].Key(), err))
		}
	}
	if len(failed) > 0 {
		t.Fatalf("Apply failed: %q", failed)
	}
}
