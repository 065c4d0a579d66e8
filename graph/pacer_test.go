package graph_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// inviteAll sends n invitations from workers concurrent callers and
// returns the errors.
func inviteAll(dir *graph.Directory, n, workers int) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := dir.Invite(ctx, adaInvitation(fmt.Sprintf("guest%03d@fabrikam.com", i))); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

// Concurrent invocations sharing a Directory stay under Graph's
// invitation throttle (graphsim's sliding window, scaled down to 20 per
// 500 ms): paced, none is answered 429; unpaced, the same load is.
func TestInvitePacingStaysUnderTheThrottle(t *testing.T) {
	const window = 500 * time.Millisecond
	for _, tc := range []struct {
		name          string
		limit         int
		wantThrottled bool
	}{
		{"paced below the tenant limit", 18, false},
		{"unpaced", -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := graphtest.Start(t, graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 20, InviteWindow: window}},
				graph.Options{InviteLimit: tc.limit, InviteWindow: window})
			start := time.Now()
			errs := inviteAll(env.Dir, 72, 16)
			took := time.Since(start)
			throttled := env.Sim.RequestCount("POST /invitations (throttled)")
			if (throttled > 0) != tc.wantThrottled {
				t.Errorf("%d invitations answered 429 (want any: %v)", throttled, tc.wantThrottled)
			}
			if len(errs) > 0 {
				t.Errorf("%d invitations failed, first: %v", len(errs), errs[0])
			}
			if !tc.wantThrottled && took < 3*window {
				t.Errorf("72 invitations at 18 per %s took %s, want at least %s", window, took, 3*window)
			}
		})
	}
}

// After one 429 every invitation of the instance waits for its
// Retry-After instead of discovering the throttle itself; a wait beyond
// the budget is not held in-process but returned for rescheduling,
// without reaching Graph.
func TestInviteGateHonoursRetryAfter(t *testing.T) {
	t.Run("held until Retry-After", func(t *testing.T) {
		env := graphtest.Start(t, graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 5, InviteWindow: time.Second}}, graph.Options{})
		if errs := inviteAll(env.Dir, 5, 1); len(errs) > 0 {
			t.Fatal(errs[0])
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = env.Dir.Invite(ctx, adaInvitation(fmt.Sprintf("late%d@fabrikam.com", i)))
			}()
			if i == 0 {
				waitFor(t, func() bool { return env.Sim.RequestCount("POST /invitations (throttled)") == 1 })
				time.Sleep(100 * time.Millisecond) // for the 429 to travel back to the pacer
			}
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if n := env.Sim.RequestCount("POST /invitations (throttled)"); n != 1 {
			t.Errorf("%d invitations answered 429, want 1: the others should have waited at the gate", n)
		}
	})
	t.Run("beyond the budget: rescheduled, not sent", func(t *testing.T) {
		env := graphtest.Start(t, graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 1, InviteWindow: time.Hour}},
			graph.Options{ItemRetryBudget: 2 * time.Second})
		if errs := inviteAll(env.Dir, 2, 1); len(errs) != 1 {
			t.Fatalf("errors %v, want the second invitation throttled", errs)
		}
		_, err := env.Dir.Invite(ctx, adaInvitation("third@fabrikam.com"))
		var te *workflow.TransientError
		if !errors.As(err, &te) || !te.Refused || te.RetryAfter < 30*time.Minute {
			t.Fatalf("err = %v, want a refused TransientError carrying the remaining Retry-After", err)
		}
		if n := env.Sim.RequestCount("POST /invitations"); n != 2 {
			t.Errorf("%d invitations reached Graph, want 2 (the third waits at the gate)", n)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
