package graphsim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

func TestInviteThrottleSlidingWindow(t *testing.T) {
	e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 3, InviteWindow: 5 * time.Second}}, clientOptions{})
	for i := 0; i < 3; i++ {
		invite(t, e, fmt.Sprintf("w%d@contoso.com", i), false)
		e.clock.Advance(time.Second)
	}
	// t=3s: three admitted at 0,1,2 s; the oldest leaves the window at 5 s
	_, err := e.client.Invitations().Post(ctx(t), newInvitation("w3@contoso.com", false), nil)
	oe := wantODataError(t, err, http.StatusTooManyRequests, graphsim.CodeTooManyRequests, "")
	if ra := oe.GetResponseHeaders().Get("Retry-After"); len(ra) != 1 || ra[0] != "2" {
		t.Errorf("Retry-After = %v, want 2", ra)
	}
	// other endpoints are not throttled by the invitation manager
	if _, err := e.client.Users().Get(ctx(t), nil); err != nil {
		t.Errorf("GET /users throttled: %v", err)
	}
	e.clock.Advance(2 * time.Second)
	invite(t, e, "w3@contoso.com", false)
	_, err = e.client.Invitations().Post(ctx(t), newInvitation("w4@contoso.com", false), nil)
	wantODataError(t, err, http.StatusTooManyRequests, graphsim.CodeTooManyRequests, "")
	if _, ok := e.sim.UserByMail("w4@contoso.com"); ok {
		t.Errorf("a throttled invitation created a user")
	}
	if got := e.sim.RequestCount("POST /invitations (throttled)"); got != 2 {
		t.Errorf("throttled count = %d, want 2", got)
	}
}

func TestInviteThrottleUnderConcurrency(t *testing.T) {
	e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 5, InviteWindow: 5 * time.Second}}, clientOptions{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.client.Invitations().Post(ctx(t), newInvitation(fmt.Sprintf("c%d@contoso.com", i), false), nil)
			st := 201
			var oe *odataerrors.ODataError
			if errors.As(err, &oe) {
				st = oe.ResponseStatusCode
			} else if err != nil {
				st = -1
			}
			mu.Lock()
			statuses[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[201] != 5 || statuses[429] != 15 {
		t.Errorf("statuses = %v, want 5×201 and 15×429 within one window", statuses)
	}
}

func TestInviteThrottleHonouredBySDKRetry(t *testing.T) {
	// real clock: a 1 s window makes Retry-After 1, which the SDK waits out.
	// Request compression is off: kiota-http-go's retried gzip bodies are
	// unreliable in either handler order (see TestRetriedGzipBodyPitfall).
	e := newEnv(t, graphsim.Config{Now: time.Now, Knobs: &graphsim.Knobs{InviteLimit: 2, InviteWindow: time.Second}}, clientOptions{retries: 3, noCompress: true})
	start := time.Now()
	for i := 0; i < 3; i++ {
		invite(t, e, fmt.Sprintf("r%d@contoso.com", i), false)
	}
	if el := time.Since(start); el < 500*time.Millisecond {
		t.Errorf("three invitations under a 2/s limit took %v; the SDK did not wait", el)
	}
	if got := e.sim.RequestCount("POST /invitations (throttled)"); got < 1 {
		t.Errorf("no request was throttled")
	}
	if n := len(e.sim.State().Users); n != 6 {
		t.Errorf("users = %d, want 3 seeded + 3 guests", n)
	}
}

func TestReplicationLag(t *testing.T) {
	e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{ReplicationLag: 2 * time.Second}}, clientOptions{})
	id := *invite(t, e, "lag@contoso.com", true).GetInvitedUser().GetId()
	c := e.client
	notFound := func(name string, err error) {
		t.Helper()
		t.Run(name, func(t *testing.T) { wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, id) })
	}
	// writes that reference the new user 404 ...
	_, err := c.Users().ByUserId(id).Patch(ctx(t), models.NewUser(), nil)
	notFound("patch", err)
	ref := models.NewReferenceUpdate()
	ref.SetOdataId(ptr("https://graph.microsoft.com/v1.0/users/" + graphsim.SampleUserMegan))
	notFound("manager", c.Users().ByUserId(id).Manager().Ref().Put(ctx(t), ref, nil))
	notFound("member", c.Groups().ByGroupId(graphsim.SampleGroupPartners).Members().Ref().Post(ctx(t), memberRef(id), nil))
	_, err = c.RoleManagement().Directory().RoleAssignments().Post(ctx(t), roleAssignment(id, graphsim.RoleGuestInviter), nil)
	notFound("role", err)
	_, err = c.ServicePrincipals().ByServicePrincipalId(graphsim.SampleSPWiki).AppRoleAssignedTo().Post(ctx(t), appAssignment(id, graphsim.SampleSPWiki, graphsim.DefaultAccessAppRoleID), nil)
	notFound("app", err)
	notFound("delete", c.Users().ByUserId(id).Delete(ctx(t), nil))

	// ... while reads already see it (the default LagReads): a read proves
	// nothing about the next write
	filter := "mail eq 'lag@contoso.com'"
	if _, err := c.Users().ByUserId(id).Get(ctx(t), nil); err != nil {
		t.Errorf("read during lag with default LagReads: %v", err)
	}
	if n := countUsers(t, e, filter); n != 1 {
		t.Errorf("listing during lag = %d, want 1", n)
	}

	// the invitation manager sees its own write: same user, another email
	if again := *invite(t, e, "lag@contoso.com", true).GetInvitedUser().GetId(); again != id {
		t.Errorf("re-invite during lag made user %s, want %s", again, id)
	}
	if n := len(e.sim.EmailsSent("lag@contoso.com")); n != 2 {
		t.Errorf("emails = %d", n)
	}

	k := e.sim.Knobs()
	k.LagReads = graphsim.LagReadsHidden
	if err := e.sim.SetKnobs(k); err != nil {
		t.Fatal(err)
	}
	_, err = c.Users().ByUserId(id).Get(ctx(t), nil)
	notFound("get with LagReads hidden", err)
	if n := countUsers(t, e, filter); n != 0 {
		t.Errorf("listing during lag with LagReads hidden = %d, want 0", n)
	}
	k.LagReads, k.LagListings = graphsim.LagReadsVisible, true
	if err := e.sim.SetKnobs(k); err != nil {
		t.Fatal(err)
	}
	if n := countUsers(t, e, filter); n != 0 {
		t.Errorf("listing during lag with LagListings = %d, want 0", n)
	}
	if _, err := c.Users().ByUserId(id).Get(ctx(t), nil); err != nil {
		t.Errorf("LagListings hides listings only: %v", err)
	}

	e.clock.Advance(2 * time.Second)
	if _, err := c.Users().ByUserId(id).Get(ctx(t), nil); err != nil {
		t.Errorf("after lag: %v", err)
	}
	if err := c.Groups().ByGroupId(graphsim.SampleGroupPartners).Members().Ref().Post(ctx(t), memberRef(id), nil); err != nil {
		t.Errorf("member after lag: %v", err)
	}
	if n := countUsers(t, e, filter); n != 1 {
		t.Errorf("listing after lag = %d", n)
	}
}

func TestLagReadsMixedSeesBothWays(t *testing.T) {
	e := newEnv(t, graphsim.Config{RandSeed: 3, Knobs: &graphsim.Knobs{ReplicationLag: time.Hour, LagReads: graphsim.LagReadsMixed}}, clientOptions{})
	id := *invite(t, e, "mixed@contoso.com", false).GetInvitedUser().GetId()
	seen, missed := 0, 0
	for range 40 {
		if _, err := e.client.Users().ByUserId(id).Get(ctx(t), nil); err == nil {
			seen++
		} else {
			wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, id)
			missed++
		}
	}
	if seen == 0 || missed == 0 {
		t.Errorf("mixed reads: %d seen, %d missed; want both", seen, missed)
	}
	if err := e.sim.SetKnobs(graphsim.Knobs{LagReads: "sometimes"}); err == nil || !strings.Contains(err.Error(), "lagReads") {
		t.Errorf("invalid lagReads accepted: %v", err)
	}
}

func TestFaultInjection(t *testing.T) {
	t.Run("503 with Retry-After", func(t *testing.T) {
		e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{FailureRate: 1, RetryAfter: 7}}, clientOptions{})
		_, err := e.client.Users().ByUserId(graphsim.SampleUserMegan).Get(ctx(t), nil)
		oe := wantODataError(t, err, http.StatusServiceUnavailable, graphsim.CodeServiceUnavailable, "")
		if ra := oe.GetResponseHeaders().Get("Retry-After"); len(ra) != 1 || ra[0] != "7" {
			t.Errorf("Retry-After = %v", ra)
		}
	})
	t.Run("SDK retries through random 503s", func(t *testing.T) {
		e := newEnv(t, graphsim.Config{RandSeed: 42, Knobs: &graphsim.Knobs{FailureRate: 0.5}}, clientOptions{retries: 10})
		for i := 0; i < 10; i++ {
			if _, err := e.client.Users().ByUserId(graphsim.SampleUserMegan).Get(ctx(t), nil); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		if n := e.sim.RequestCount("GET /users/{id}"); n <= 10 {
			t.Errorf("requests = %d; a 50%% fault rate should have forced retries", n)
		}
	})
	t.Run("batch items fail alone", func(t *testing.T) {
		e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{FailureRate: 1}}, clientOptions{})
		b := msgraphgocore.NewBatchRequest(e.adapter)
		ri, err := e.client.Users().ByUserId(graphsim.SampleUserMegan).ToGetRequestInformation(ctx(t), nil)
		it := step(t, b, ri, err)
		resp, err := b.Send(ctx(t), e.adapter)
		if err != nil {
			t.Fatalf("outer batch: %v", err)
		}
		if st := status(t, resp, it); st != 503 {
			t.Errorf("item = %d, want 503", st)
		}
	})
	t.Run("drop before processing", func(t *testing.T) {
		e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{DropRate: 1}}, clientOptions{})
		_, err := e.client.Invitations().Post(ctx(t), newInvitation("drop@contoso.com", true), nil)
		var oe *odataerrors.ODataError
		if err == nil || errors.As(err, &oe) {
			t.Fatalf("want a transport error, got %v", err)
		}
		if _, ok := e.sim.UserByMail("drop@contoso.com"); ok {
			t.Errorf("a dropped request was applied")
		}
	})
	t.Run("lost response", func(t *testing.T) {
		e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{DropAfterRate: 1}}, clientOptions{})
		_, err := e.client.Invitations().Post(ctx(t), newInvitation("lost@contoso.com", true), nil)
		if err == nil {
			t.Fatalf("want a transport error")
		}
		if _, ok := e.sim.UserByMail("lost@contoso.com"); !ok || len(e.sim.EmailsSent("lost@contoso.com")) != 1 {
			t.Errorf("the request should have been applied before the connection dropped")
		}
	})
	t.Run("latency", func(t *testing.T) {
		e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{Latency: 150 * time.Millisecond, Jitter: 50 * time.Millisecond}}, clientOptions{})
		start := time.Now()
		if _, err := e.client.Users().ByUserId(graphsim.SampleUserMegan).Get(ctx(t), nil); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 150*time.Millisecond {
			t.Errorf("took %v, want ≥150ms", el)
		}
	})
}

type staticToken struct{}

func (staticToken) GetAuthorizationToken(context.Context, *url.URL, map[string]any) (string, error) {
	return "sim-token", nil
}

func (staticToken) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	v, _ := authentication.NewAllowedHostsValidatorErrorCheck([]string{"127.0.0.1", "localhost"})
	return v
}

func TestRequireAuth(t *testing.T) {
	e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{RequireAuth: true}}, clientOptions{})
	_, err := e.client.Users().Get(ctx(t), nil)
	wantODataError(t, err, http.StatusUnauthorized, graphsim.CodeInvalidAuthToken, "")
	_, withToken := newClient(t, e.srv.URL+"/v1.0", clientOptions{auth: authentication.NewBaseBearerTokenAuthenticationProvider(staticToken{})})
	if _, err := withToken.Users().Get(ctx(t), nil); err != nil {
		t.Errorf("with a bearer token: %v", err)
	}
}

func TestDeterministicIDs(t *testing.T) {
	ids := func() []string {
		e := newEnv(t, graphsim.Config{RandSeed: 7}, clientOptions{})
		var out []string
		for i := 0; i < 3; i++ {
			inv := invite(t, e, fmt.Sprintf("d%d@contoso.com", i), false)
			out = append(out, *inv.GetInvitedUser().GetId())
		}
		return out
	}
	a, b := ids(), ids()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different ids: %v vs %v", a, b)
	}
}

// TestRetriedGzipBodyPitfall pins a real SDK pitfall that graphsim exposes
// like Graph: with kiota-http-go v1.5.4 and the compression handler inside
// (after) the retry handler, a POST retried after a 429 is resent as plain
// JSON still labelled Content-Encoding: gzip, which is refused with 400.
// Compression outside retry mostly works but was seen to lose the body
// once in ~35 runs (graph/middleware_test.go), so turn compression off.
func TestRetriedGzipBodyPitfall(t *testing.T) {
	e := newEnv(t, graphsim.Config{Now: time.Now, Knobs: &graphsim.Knobs{InviteLimit: 1, InviteWindow: time.Second}},
		clientOptions{retries: 3, compressInsideRetry: true})
	invite(t, e, "p0@contoso.com", false)
	_, err := e.client.Invitations().Post(ctx(t), newInvitation("p1@contoso.com", false), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeBadRequest, "labelled Content-Encoding: gzip")
}
