package workflow_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

func TestRetryTransient(t *testing.T) {
	throttled := &workflow.TransientError{Op: "invite", RetryAfter: 3 * time.Hour, Refused: true, Err: errors.New("429")}
	schedDown := errors.New("service bus unavailable")
	for _, tc := range []struct {
		name     string
		msgID    string
		next     error
		state    *workflow.RetryState // retry bookkeeping already under "m1"
		schedErr error
		// want: "pass" (next's answer unchanged, nothing scheduled),
		// "scheduled" (nil error, retry wantID scheduled no earlier than wantAfter),
		// "gave up" (permanent, wrapping next's error), "abandon" (transient)
		want      string
		wantID    string
		wantAfter time.Duration
	}{
		{"success", "m1", nil, nil, nil, "pass", "", 0},
		{"permanent", "m1", errPermanent, nil, nil, "pass", "", 0},
		{"validation", "m1", errValidation, nil, nil, "pass", "", 0},
		{"policy", "m1", errPolicy, nil, nil, "pass", "", 0},
		{"transient: backoff", "m1", errTransient, nil, nil, "scheduled", "m1/retry/1", 30 * time.Second},
		{"Retry-After beyond the backoff wins", "m1", throttled, nil, nil, "scheduled", "m1/retry/1", 3 * time.Hour},
		{"not found is retried", "m1", errNotFound, nil, nil, "scheduled", "m1/retry/1", 30 * time.Second},
		{"unclassified is retried", "m1", errPlain, nil, nil, "scheduled", "m1/retry/1", 30 * time.Second},
		{"a retry continues its chain", "m1/retry/2", errTransient, &workflow.RetryState{Attempts: 2}, nil, "scheduled", "m1/retry/3", 2 * time.Minute},
		{"retry time spent", "m1/retry/9", errTransient, &workflow.RetryState{Attempts: 9, First: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}, nil, "gave up", "", 0},
		{"scheduling fails", "m1", errTransient, nil, schedDown, "abandon", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			if tc.state != nil {
				st := *tc.state
				if st.First.IsZero() {
					st.First = e.clock.Now().Add(-time.Hour)
				}
				if err := e.store.SaveFailure(ctx, workflow.Failure{MessageID: "m1", Transient: true, Retry: &st}); err != nil {
					t.Fatal(err)
				}
			}
			e.sched.err = tc.schedErr
			d := approved(tc.msgID, adaData)
			next := &stub{res: workflow.Result{Key: "ada@fabrikam.com", Action: "invited"}, err: tc.next}
			res, err := e.eng.RetryTransient(next.handle)(ctx, d)
			msgs := e.sched.all()
			switch tc.want {
			case "pass":
				if err != tc.next || res != next.res || len(msgs) != 0 {
					t.Fatalf("got %+v, %v, scheduled %v; want next's answer unchanged and nothing scheduled", res, err, ids(msgs))
				}
			case "scheduled":
				if err != nil || res.Action != "retry-scheduled" || res.Key != next.res.Key || res.Detail != tc.next.Error() {
					t.Fatalf("got %+v, %v; want retry-scheduled", res, err)
				}
				if len(msgs) != 1 || msgs[0].msg.ID != tc.wantID || msgs[0].at.Before(e.clock.Now().Add(tc.wantAfter)) {
					t.Fatalf("scheduled %v, want %s no earlier than %s", ids(msgs), tc.wantID, tc.wantAfter)
				}
				if msgs[0].msg.Event.ID != d.Event.ID || string(msgs[0].msg.Event.Data) != string(d.Event.Data) {
					t.Errorf("the retry carries another event: %+v", msgs[0].msg.Event)
				}
				f, ferr := e.store.Failure(ctx, "m1")
				if ferr != nil || !f.Transient || f.Retry == nil || !strings.HasSuffix(tc.wantID, "/"+strconv.Itoa(f.Retry.Attempts)) {
					t.Errorf("retry state %+v (%v)", f, ferr)
				}
			case "gave up":
				if !workflow.IsPermanent(err) || !errors.Is(err, tc.next) || !strings.Contains(err.Error(), "gave up after 10 attempts") || len(msgs) != 0 {
					t.Fatalf("got %v, scheduled %v; want a permanent error wrapping %v", err, ids(msgs), tc.next)
				}
			case "abandon":
				if err == nil || workflow.IsPermanent(err) || !errors.Is(err, tc.schedErr) {
					t.Fatalf("err = %v, want a transient error wrapping the scheduler's", err)
				}
			}
		})
	}
}
