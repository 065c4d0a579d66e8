package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// TestRESTFailuresAreClassified drives the non-batch calls into graphsim's
// faults and checks the workflow error each one becomes.
func TestRESTFailuresAreClassified(t *testing.T) {
	cases := []struct {
		name    string
		knobs   graphsim.Knobs
		opts    graph.Options
		timeout time.Duration
		call    func(d *graph.Directory, c context.Context) error
		check   func(t *testing.T, env *graphtest.Env, err error)
	}{
		{
			name:  "503 with Retry-After after the SDK's retries",
			knobs: graphsim.Knobs{FailureRate: 1, RetryAfter: 1},
			opts:  graph.Options{RequestRetries: 1},
			call: func(d *graph.Directory, c context.Context) error {
				_, err := d.User(c, graphsim.SampleUserMegan)
				return err
			},
			check: func(t *testing.T, env *graphtest.Env, err error) {
				var tr *workflow.TransientError
				if !errors.As(err, &tr) || tr.RetryAfter != time.Second {
					t.Fatalf("got %v, want TransientError with RetryAfter 1s", err)
				}
				if n := env.Sim.RequestCount("GET /users/{id}"); n != 2 {
					t.Fatalf("%d requests, want 2 (one retry by the SDK)", n)
				}
			},
		},
		{
			name:  "invitation throttle 429 without retries",
			knobs: graphsim.Knobs{InviteLimit: 1, InviteWindow: 5 * time.Second},
			opts:  graph.Options{RequestRetries: -1},
			call: func(d *graph.Directory, c context.Context) error {
				if _, err := d.Invite(c, adaInvitation("first@fabrikam.com")); err != nil {
					return err
				}
				_, err := d.Invite(c, adaInvitation("second@fabrikam.com"))
				return err
			},
			check: func(t *testing.T, env *graphtest.Env, err error) {
				var tr *workflow.TransientError
				var ae *graph.APIError
				if !errors.As(err, &tr) || tr.RetryAfter <= 0 || tr.RetryAfter > 5*time.Second {
					t.Fatalf("got %v, want TransientError with 0 < RetryAfter <= 5s", err)
				}
				if !errors.As(err, &ae) || ae.Status != 429 {
					t.Fatalf("APIError = %+v", ae)
				}
			},
		},
		{
			name:  "invitation throttle 429 retried by the SDK with the body intact",
			knobs: graphsim.Knobs{InviteLimit: 1, InviteWindow: time.Second},
			call: func(d *graph.Directory, c context.Context) error {
				if _, err := d.Invite(c, adaInvitation("first@fabrikam.com")); err != nil {
					return err
				}
				_, err := d.Invite(c, adaInvitation("second@fabrikam.com"))
				return err
			},
			check: func(t *testing.T, env *graphtest.Env, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if n := env.Sim.RequestCount("POST /invitations (throttled)"); n < 1 {
					t.Fatalf("throttled %d times: the retry path was not exercised", n)
				}
				if len(env.Sim.EmailsSent("second@fabrikam.com")) != 1 {
					t.Fatal("retried invitation did not send its email")
				}
			},
		},
		{
			name:  "dropped connection",
			knobs: graphsim.Knobs{DropRate: 1},
			call: func(d *graph.Directory, c context.Context) error {
				_, _, err := d.FindUserByMail(c, "ada@fabrikam.com")
				return err
			},
			check: func(t *testing.T, env *graphtest.Env, err error) {
				var tr *workflow.TransientError
				if !errors.As(err, &tr) {
					t.Fatalf("got %v, want TransientError", err)
				}
			},
		},
		{
			name:    "time-out",
			knobs:   graphsim.Knobs{Latency: 800 * time.Millisecond},
			timeout: 150 * time.Millisecond,
			call: func(d *graph.Directory, c context.Context) error {
				return d.SetAccountEnabled(c, graphsim.SampleUserAlex, false)
			},
			check: func(t *testing.T, env *graphtest.Env, err error) {
				var tr *workflow.TransientError
				if !errors.As(err, &tr) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("got %v, want TransientError wrapping the deadline", err)
				}
			},
		},
		{
			name:  "missing token is permanent",
			knobs: graphsim.Knobs{RequireAuth: true},
			call: func(d *graph.Directory, c context.Context) error {
				_, err := d.User(c, graphsim.SampleUserMegan)
				return err
			},
			check: func(t *testing.T, env *graphtest.Env, err error) {
				var pe *workflow.PermanentError
				if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "401 InvalidAuthenticationToken") {
					t.Fatalf("got %v, want PermanentError quoting 401 InvalidAuthenticationToken", err)
				}
			},
		},
		{
			name:  "token attached for the loopback host",
			knobs: graphsim.Knobs{RequireAuth: true},
			opts:  graph.Options{Credential: staticToken{}},
			call: func(d *graph.Directory, c context.Context) error {
				_, err := d.User(c, graphsim.SampleUserMegan)
				return err
			},
			check: func(t *testing.T, env *graphtest.Env, err error) {
				if err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.knobs
			env := graphtest.Start(t, graphsim.Config{Knobs: &k}, tc.opts)
			c := ctx
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				c, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			start := time.Now()
			err := tc.call(env.Dir, c)
			if tc.timeout > 0 && time.Since(start) > tc.timeout+300*time.Millisecond {
				t.Errorf("call returned %v after its context ended", time.Since(start)-tc.timeout)
			}
			tc.check(t, env, err)
		})
	}
}

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}
