package workflow_test

import (
	"context"
	"errors"
	"slices"
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
