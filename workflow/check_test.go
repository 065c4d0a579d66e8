package workflow_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// TestCheckEventListsEveryProblem: one event with several mistakes gets
// one answer naming each, both from CheckEvent (validate, send) and as the
// reason the failure log records for a delivery (the dead letter's).
func TestCheckEventListsEveryProblem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typ    string
		source string
		data   string
		want   []string // fields named, in order
	}{
		{"valid", workflow.TypePartnerApproved, "/procurement", adaData, nil},
		{"alias", "com.contoso.partner-approved", "/procurement", adaData, nil},
		{"typo in the type", "partner-aproved", "/procurement", adaData, []string{"type"}},
		{"refused source and two bad fields", workflow.TypePartnerApproved, "/elsewhere",
			`{"requestId":"","email":"not-an-address","groups":["g"]}`, []string{"source", "requestId", "email", "groups[0]"}},
		{"refused source and a privileged role", workflow.TypePartnerApproved, "/elsewhere",
			`{"requestId":"PR-1","email":"ada@fabrikam.com","roles":["` + globalAdmin + `"],"userType":"Member"}`, []string{"source", "userType", "roles[0]"}},
		{"unknown field and a wrong type", workflow.TypePartnerApproved, "/procurement",
			`{"requestId":"PR-1","email":"ada@fabrikam.com","emial":"x","groups":"g"}`, []string{"emial", "groups"}},
		{"reminder without key", workflow.TypeReminderDue, "/elsewhere", `{"number":0}`, []string{"source", "key/number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			d := approved("m1", tc.data)
			d.Event.Type, d.Event.Source = tc.typ, tc.source
			err := workflow.CheckEvent(d.Event, e.eng.Policy, e.eng.Config)
			if got := fieldsOf(err); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("CheckEvent named %v, want %v (%v)", got, tc.want, err)
			}
			if tc.want == nil {
				return
			}
			_, herr := e.eng.Handle(context.Background(), d)
			if !workflow.IsPermanent(herr) || herr.Error() != err.Error() {
				t.Fatalf("Handle = %v, want the same problems as CheckEvent: %v", herr, err)
			}
			f, ferr := e.store.Failure(context.Background(), "m1")
			if ferr != nil || f.Reason != err.Error() {
				t.Fatalf("recorded reason %q (%v), want %q", f.Reason, ferr, err)
			}
		})
	}
}

// fieldsOf is the field each problem of err names.
func fieldsOf(err error) []string {
	var out []string
	for _, e := range flatten(err) {
		var ve *workflow.ValidationError
		var pe *workflow.PolicyError
		switch {
		case errors.As(e, &ve):
			out = append(out, ve.Field)
		case errors.As(e, &pe):
			out = append(out, pe.Field)
		default:
			out = append(out, "?"+e.Error())
		}
	}
	return out
}

func flatten(err error) []error {
	if l, ok := err.(workflow.ErrorList); ok {
		return l
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
