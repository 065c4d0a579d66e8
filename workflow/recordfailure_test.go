package workflow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

func TestRecordFailures(t *testing.T) {
	const key = "ada@fabrikam.com"
	for _, tc := range []struct {
		name       string
		next       error
		key        string         // the key next reports
		phase      workflow.Phase // of the existing record
		saveErr    error          // SaveFailure fails
		wantLog    bool           // a permanent entry is in the failure log
		wantPhase  workflow.Phase
		wantFailed bool // Result.Action is "failed" and the record holds the failure
	}{
		{"success", nil, key, workflow.PhaseInvited, nil, false, workflow.PhaseInvited, false},
		{"transient is not recorded", errTransient, key, workflow.PhaseInvited, nil, false, workflow.PhaseInvited, false},
		{"not found is not recorded", errNotFound, key, workflow.PhaseInvited, nil, false, workflow.PhaseInvited, false},
		{"permanent fails an invited onboarding", errPermanent, key, workflow.PhaseInvited, nil, true, workflow.PhaseFailed, true},
		{"validation is recorded", errValidation, key, workflow.PhaseNew, nil, true, workflow.PhaseFailed, true},
		{"policy keeps a provisioned onboarding's phase", errPolicy, key, workflow.PhaseProvisioned, nil, true, workflow.PhaseProvisioned, true},
		{"no key: failure log only", errPermanent, "", workflow.PhaseInvited, nil, true, workflow.PhaseInvited, false},
		{"failure log down: error still returned", errPermanent, key, workflow.PhaseInvited, errPlain, false, workflow.PhaseFailed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			fs := newFaultStore(e.store)
			e.eng.Store = fs
			ctx := context.Background()
			if err := e.store.Save(ctx, &workflow.Record{Key: key, Phase: tc.phase, Spec: workflow.Spec{Email: key}}); err != nil {
				t.Fatal(err)
			}
			if tc.saveErr != nil {
				fs.inject("saveFailure", tc.saveErr)
			}
			d := approved("m1", adaData)
			next := &stub{res: workflow.Result{Key: tc.key, Action: "invited", Detail: "d"}, err: tc.next}
			res, err := e.eng.RecordFailures(next.handle)(ctx, d)
			if err != tc.next || next.calls != 1 {
				t.Fatalf("err = %v, want next's %v unchanged (next called %d times)", err, tc.next, next.calls)
			}
			wantAction := next.res.Action
			if workflow.IsPermanent(tc.next) {
				wantAction = "failed"
			}
			if res.Action != wantAction || res.Key != tc.key || res.Detail != "d" {
				t.Errorf("result %+v, want action %q", res, wantAction)
			}
			f, ferr := e.store.Failure(ctx, "m1")
			if got := ferr == nil && !f.Transient; got != tc.wantLog {
				t.Fatalf("failure log entry %+v (%v), want one: %v", f, ferr, tc.wantLog)
			}
			if tc.wantLog && (f.Reason != tc.next.Error() || f.BodyHash != workflow.EventHash(d.Event) || f.Key != tc.key) {
				t.Errorf("failure log entry %+v", f)
			}
			if ferr != nil && !errors.Is(ferr, workflow.ErrNotFound) {
				t.Fatal(ferr)
			}
			rec := e.record(t, key)
			if rec.Phase != tc.wantPhase || (rec.Failure != nil) != tc.wantFailed {
				t.Errorf("record phase %s failure %+v, want %s and failure %v", rec.Phase, rec.Failure, tc.wantPhase, tc.wantFailed)
			}
		})
	}
}
