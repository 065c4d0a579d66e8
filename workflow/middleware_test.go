package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Error values of each class, for the middleware tests: a middleware must
// hand back the very value it got when it does not act on it.
var (
	errPermanent  = &workflow.PermanentError{Op: "add member", Reason: "403 Authorization_RequestDenied"}
	errValidation = &workflow.ValidationError{Field: "email", Rule: "must be an address"}
	errPolicy     = &workflow.PolicyError{Field: "roles[0]", Rule: "privileged"}
	errTransient  = &workflow.TransientError{Op: "invite", Err: errors.New("503")}
	errNotFound   = &workflow.NotFoundError{Op: "add member", Err: errors.New("404")}
	errPlain      = errors.New("connection reset")
)

// stub is a HandlerFunc answering res and err, counting its calls.
type stub struct {
	res   workflow.Result
	err   error
	calls int
}

func (s *stub) handle(ctx context.Context, d workflow.Delivery) (workflow.Result, error) {
	s.calls++
	return s.res, s.err
}

func TestChainOrder(t *testing.T) {
	var calls []string
	mw := func(name string) workflow.Middleware {
		return func(next workflow.HandlerFunc) workflow.HandlerFunc {
			return func(ctx context.Context, d workflow.Delivery) (workflow.Result, error) {
				calls = append(calls, name+">")
				res, err := next(ctx, d)
				calls = append(calls, "<"+name)
				return res, err
			}
		}
	}
	inner := func(ctx context.Context, d workflow.Delivery) (workflow.Result, error) {
		calls = append(calls, "h")
		return workflow.Result{Key: "k"}, errPlain
	}
	for _, tc := range []struct {
		name string
		mws  []workflow.Middleware
		want []string
	}{
		{"none", nil, []string{"h"}},
		{"one", []workflow.Middleware{mw("a")}, []string{"a>", "h", "<a"}},
		{"first is outermost", []workflow.Middleware{mw("a"), mw("b"), mw("c")}, []string{"a>", "b>", "c>", "h", "<c", "<b", "<a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls = nil
			res, err := workflow.Chain(inner, tc.mws...)(context.Background(), approved("m1", adaData))
			if !slices.Equal(calls, tc.want) || res.Key != "k" || err != errPlain {
				t.Errorf("calls %v (want %v), result %+v, err %v", calls, tc.want, res, err)
			}
		})
	}
}

// TestHandleReadsTheEngineWhenItRuns: Handle builds its chain once, so the
// stages must read the Engine's fields when a delivery runs, not when the
// chain was built: a Publisher set after the first delivery is used.
func TestHandleReadsTheEngineWhenItRuns(t *testing.T) {
	e := newEnv(t)
	e.handle(t, approved("m1", adaData))
	topic := &fakeTopic{}
	e.eng.Publisher = topic
	e.handle(t, approved("m2", strings.ReplaceAll(adaData, "ada@", "bea@")))
	want := []string{workflow.OutcomeInvited, workflow.OutcomeProvisioned}
	if got := topic.types(); !slices.Equal(got, want) {
		t.Fatalf("outcomes published after setting Publisher: %v, want %v", got, want)
	}
}

// TestHandleConcurrentFirstDeliveries: deliveries racing to be the first
// to run the chain each get the whole chain (a refused event is recorded
// in the failure log by RecordFailures).
func TestHandleConcurrentFirstDeliveries(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			d := workflow.Delivery{MessageID: fmt.Sprintf("m%d", i), DeliveryCount: 1, Event: workflow.Event{ID: "x", Type: "unknown", Source: "/procurement"}}
			if _, err := e.eng.Handle(context.Background(), d); !workflow.IsPermanent(err) {
				t.Errorf("%s: %v, want a permanent failure", d.MessageID, err)
			}
		})
	}
	wg.Wait()
	for i := range 8 {
		if _, err := e.store.Failure(context.Background(), fmt.Sprintf("m%d", i)); err != nil {
			t.Errorf("m%d: failure not recorded: %v", i, err)
		}
	}
}
