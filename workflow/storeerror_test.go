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

// When the save at the end of a reconcile fails, the save error decides
// the delivery over a permanent failure, on every path: the delivery is
// retried (and saves what it did) instead of being dead-lettered with its
// work unrecorded. Here a reminder finds the guest accepted, provisioning
// fails permanently and the save of the acceptance fails.
func TestSaveFailureWinsOverPermanentFailure(t *testing.T) {
	e := newEnv(t)
	e.eng.Config.SettleWindow = 100 * time.Hour
	e.dir.hidden["guest-1"] = true // provisioning waits for replication
	e.handle(t, approved("m1", adaData))
	e.dir.accept("ada@fabrikam.com")
	delete(e.dir.hidden, "guest-1")
	fs := newFaultStore(e.store)
	e.eng.Store = fs
	fs.inject("save", &workflow.TransientError{Op: "save", Err: errors.New("503 ServerBusy")})
	e.dir.fail["apply:group:"+groupA] = []error{&workflow.PermanentError{Op: "add member", Reason: "403 Authorization_RequestDenied"}}
	res, err := e.deliverScheduled(t, indexOf(t, e, "ada@fabrikam.com/reminder/1"))
	if err != nil || res.Action != "retry-scheduled" {
		t.Fatalf("reminder: %+v, %v; want a retry, not a permanent failure", res, err)
	}
	if r := e.record(t, "ada@fabrikam.com"); r.Phase == workflow.PhaseFailed || r.Invite.Status == workflow.StateAccepted {
		t.Fatalf("record phase %s status %s: the failed save must have written nothing", r.Phase, r.Invite.Status)
	}
}
