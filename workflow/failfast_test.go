package workflow_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

func TestFailFast(t *testing.T) {
	d := approved("m1", adaData)
	d.DeliveryCount = 2 // a redelivery: the first is not looked up (TestFailFastSkipsFirstDelivery)
	hash := workflow.EventHash(d.Event)
	known := workflow.Failure{MessageID: "m1", Key: "ada@fabrikam.com", Reason: "policy: roles[0]: privileged", BodyHash: hash}
	for _, tc := range []struct {
		name      string
		entry     *workflow.Failure // in the failure log under m1
		readErr   error             // the failure log read fails
		next      error             // what next answers
		wantNext  bool              // next is called (and its answer returned as is)
		permanent bool              // when next is not called: the error is permanent
	}{
		{"no entry, success", nil, nil, nil, true, false},
		{"no entry, permanent passes through", nil, nil, errPermanent, true, false},
		{"no entry, validation passes through", nil, nil, errValidation, true, false},
		{"no entry, policy passes through", nil, nil, errPolicy, true, false},
		{"no entry, transient passes through", nil, nil, errTransient, true, false},
		{"no entry, not found passes through", nil, nil, errNotFound, true, false},
		{"known failure of this event", &known, nil, nil, false, true},
		{"same id, another body", &workflow.Failure{MessageID: "m1", Reason: "x", BodyHash: "other"}, nil, nil, true, false},
		{"entry without a hash", &workflow.Failure{MessageID: "m1", Reason: "undecodable envelope"}, nil, nil, true, false},
		{"retry bookkeeping only", &workflow.Failure{MessageID: "m1", Transient: true, BodyHash: hash}, nil, errTransient, true, false},
		{"failure log unreadable", nil, errPlain, nil, false, false},
		{"failure log refuses the key", nil, &workflow.PermanentError{Op: "failure", Reason: "bad key", Err: store.ErrInvalidKey}, nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			fs := newFaultStore(e.store)
			e.eng.Store = fs
			if tc.entry != nil {
				if err := e.store.SaveFailure(context.Background(), *tc.entry); err != nil {
					t.Fatal(err)
				}
			}
			if tc.readErr != nil {
				fs.inject("failure", tc.readErr)
			}
			next := &stub{res: workflow.Result{Key: "from-next", Action: "invited"}, err: tc.next}
			res, err := e.eng.FailFast(next.handle)(context.Background(), d)
			if tc.wantNext {
				if next.calls != 1 || res != next.res || err != tc.next {
					t.Fatalf("next called %d times; got %+v, %v; want next's answer %+v, %v unchanged", next.calls, res, err, next.res, tc.next)
				}
				return
			}
			if next.calls != 0 {
				t.Fatalf("next called %d times", next.calls)
			}
			if err == nil || workflow.IsPermanent(err) != tc.permanent {
				t.Fatalf("err = %v, want permanent=%v", err, tc.permanent)
			}
			if tc.entry != nil && (res.Action != "failed" || res.Key != tc.entry.Key || !strings.Contains(err.Error(), tc.entry.Reason)) {
				t.Errorf("fail fast: %+v %v, want the recorded key and reason", res, err)
			}
			if tc.readErr != nil && !errors.Is(err, tc.readErr) {
				t.Errorf("err = %v, want it to wrap the store's error", err)
			}
		})
	}
}

// A first delivery cannot have failed under its id before: it goes to the
// reconcile without a read of the failure log (a store round trip saved
// on every healthy delivery), even where an entry exists.
func TestFailFastSkipsFirstDelivery(t *testing.T) {
	d := approved("m1", adaData)
	e := newEnv(t)
	fs := newFaultStore(e.store)
	e.eng.Store = fs
	known := workflow.Failure{MessageID: "m1", Key: "ada@fabrikam.com", Reason: "policy", BodyHash: workflow.EventHash(d.Event)}
	if err := e.store.SaveFailure(context.Background(), known); err != nil {
		t.Fatal(err)
	}
	fs.inject("failure", errors.New("the failure log must not be read"))
	next := &stub{res: workflow.Result{Key: "from-next", Action: "invited"}}
	if res, err := e.eng.FailFast(next.handle)(context.Background(), d); next.calls != 1 || err != nil || res != next.res {
		t.Fatalf("first delivery: next called %d times, %+v %v", next.calls, res, err)
	}
}
