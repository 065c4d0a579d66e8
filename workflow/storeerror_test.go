package workflow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// A Store error keeps the class the store gave it: a permanent one (an
// entity too large, an invalid key) fails the event permanently with a
// reason that does not call it transient; a transient one keeps the
// service's Retry-After; an unclassified one is retried.
func TestStoreErrorsKeepTheirClass(t *testing.T) {
	tooLarge := &workflow.PermanentError{Op: "save", Reason: `record "ada@fabrikam.com" is 2000000 bytes of JSON`, Err: store.ErrTooLarge}
	busy := &workflow.TransientError{Op: "save", RetryAfter: 2 * time.Hour, Err: errors.New("503 ServerBusy")}
	for _, tc := range []struct {
		name      string
		op        string // faultStore op that fails once
		err       error
		permanent bool
		retryAt   time.Duration // earliest retry, when not permanent
	}{
		{"permanent save", "save", tooLarge, true, 0},
		{"permanent load", "load", tooLarge, true, 0},
		{"transient save keeps Retry-After", "save", busy, false, 2 * time.Hour},
		{"transient load keeps Retry-After", "load", busy, false, 2 * time.Hour},
		{"unclassified save is transient", "save", errors.New("table missing"), false, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			fs := newFaultStore(e.store)
			e.eng.Store = fs
			fs.inject(tc.op, tc.err)
			res, err := e.eng.Handle(context.Background(), approved("m1", adaData))
			if tc.permanent {
				if !workflow.IsPermanent(err) || !errors.Is(err, store.ErrTooLarge) || strings.Contains(err.Error(), "transient") {
					t.Fatalf("err = %v, want the store's permanent error, not called transient", err)
				}
				var te *workflow.TransientError
				if errors.As(err, &te) {
					t.Errorf("a permanent store error is also a TransientError: %v", err)
				}
				f, ferr := e.store.Failure(context.Background(), "m1")
				if ferr != nil || strings.Contains(f.Reason, "transient") || !strings.Contains(f.Reason, "bytes of JSON") {
					t.Errorf("failure log = %+v, %v", f, ferr)
				}
				if n := len(e.sched.all()); n != 0 {
					t.Errorf("%d messages scheduled for a permanent failure", n)
				}
				return
			}
			if err != nil || res.Action != "retry-scheduled" {
				t.Fatalf("result %+v, err %v: want a scheduled retry", res, err)
			}
			msgs := e.sched.all()
			if len(msgs) != 1 || msgs[0].at.Before(e.clock.Now().Add(tc.retryAt)) {
				t.Fatalf("scheduled %v, want one retry at least %s later", ids(msgs), tc.retryAt)
			}
		})
	}
}
