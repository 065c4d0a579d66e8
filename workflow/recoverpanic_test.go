package workflow_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

func TestRecoverPanics(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name      string
		next      workflow.HandlerFunc
		wantPanic bool
		wantIs    error  // the permanent error wraps it
		wantText  string // in the error and the log
	}{
		{"success passes through", (&stub{res: workflow.Result{Key: "k", Action: "invited"}}).handle, false, nil, ""},
		{"permanent passes through", (&stub{err: errPermanent}).handle, false, nil, ""},
		{"transient passes through", (&stub{err: errTransient}).handle, false, nil, ""},
		{"panic with a string", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			panic("guest ada@fabrikam.com has no id")
		}, true, nil, "has no id"},
		{"panic with an error", func(context.Context, workflow.Delivery) (workflow.Result, error) { panic(boom) }, true, boom, "boom"},
		{"runtime error", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			var m map[string]int
			m["x"]++ // assignment to entry in nil map
			return workflow.Result{}, nil
		}, true, nil, "nil map"},
		{"panic(nil)", func(context.Context, workflow.Delivery) (workflow.Result, error) { panic(nil) }, true, nil, "nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var logs bytes.Buffer
			e.eng.Log = slog.New(slog.NewJSONHandler(&logs, nil))
			var want workflow.Result
			var wantErr error
			if !tc.wantPanic {
				want, wantErr = tc.next(context.Background(), workflow.Delivery{})
			}
			res, err := e.eng.RecoverPanics(tc.next)(context.Background(), approved("m1", adaData))
			if !tc.wantPanic {
				if res != want || err != wantErr || logs.Len() != 0 {
					t.Fatalf("got %+v, %v (logs %q); want %+v, %v unchanged", res, err, logs.String(), want, wantErr)
				}
				return
			}
			if !workflow.IsPermanent(err) || !strings.Contains(err.Error(), "panic") || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("err = %v, want a permanent error naming the panic", err)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v does not wrap the panic value %v", err, tc.wantIs)
			}
			var re runtime.Error
			if tc.name == "runtime error" && !errors.As(err, &re) {
				t.Errorf("err = %v does not wrap the runtime.Error", err)
			}
			l := logs.String()
			if !strings.Contains(l, `"level":"ERROR"`) || !strings.Contains(l, "recoverpanic_test.go") || !strings.Contains(l, `"messageId":"m1"`) {
				t.Errorf("log %s: want an error with the stack and the message id", l)
			}
			if strings.Contains(l, "ada@fabrikam.com") {
				t.Errorf("log %s: the address is not masked", l)
			}
		})
	}
}

// panicDirectory panics in Invite: a bug in an adapter.
type panicDirectory struct {
	workflow.Directory
	invites atomic.Int32
}

func (p *panicDirectory) Invite(ctx context.Context, inv workflow.Invitation) (workflow.InviteResult, error) {
	p.invites.Add(1)
	var r *workflow.InviteResult
	return *r, nil // nil pointer dereference
}

// A panic in the reconcile is a permanent failure: Handle does not panic,
// records it, schedules no retry, and fails every redelivery fast without
// running the reconcile again.
func TestHandleRecordsAPanicAndFailsFast(t *testing.T) {
	e := newEnv(t)
	pd := &panicDirectory{Directory: e.dir}
	e.eng.Directory = pd
	ctx := context.Background()
	d := approved("m1", adaData)
	for delivery := 1; delivery <= 3; delivery++ {
		d.DeliveryCount = delivery
		res, err := e.eng.Handle(ctx, d)
		if !workflow.IsPermanent(err) || res.Action != "failed" {
			t.Fatalf("delivery %d: %+v %v, want a permanent failure", delivery, res, err)
		}
	}
	if n := pd.invites.Load(); n != 1 {
		t.Errorf("the reconcile ran %d times, want once", n)
	}
	if n := len(e.sched.all()); n != 0 {
		t.Errorf("%d messages scheduled", n)
	}
	f, err := e.store.Failure(ctx, "m1")
	if err != nil || f.Transient || !strings.Contains(f.Reason, "nil pointer dereference") {
		t.Errorf("failure log %+v (%v), want the panic recorded", f, err)
	}
}
