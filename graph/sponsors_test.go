package graph_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// sponsorsOf reads GET /users/{id}/sponsors from graphsim over HTTP.
func sponsorsOf(t *testing.T, env *graphtest.Env, guest string) []string {
	t.Helper()
	resp, err := http.Get(env.BaseURL + "/users/" + guest + "/sponsors?$select=id")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Value []struct {
			ID   string `json:"id"`
			Type string `json:"@odata.type"`
		} `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
		t.Fatalf("GET sponsors: %s", resp.Status)
	}
	var ids []string
	for _, v := range page.Value {
		ids = append(ids, strings.ToLower(v.ID))
	}
	slices.Sort(ids)
	return ids
}

// Sponsors go in the same $batch as the other changes, a user and a group
// alike; adding one that is there already counts as done.
func TestSponsorsAssignedInTheBatch(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	guest := invite(t, env, "ada@fabrikam.com")
	changes := []workflow.Change{
		{Kind: workflow.ChangeGroup, ID: graphsim.SampleGroupPartners},
		{Kind: workflow.ChangeSponsor, ID: graphsim.SampleUserMegan, SponsorType: workflow.SponsorUser},
		{Kind: workflow.ChangeSponsor, ID: graphsim.SampleGroupApollo, SponsorType: workflow.SponsorGroup},
	}
	env.ResetBatches()
	requireAllNil(t, "first apply", env.Dir.Apply(ctx, guest, changes))
	if n := len(env.Batches()); n != 1 {
		t.Errorf("%d $batch requests, want the sponsors in the one batch", n)
	}
	want := []string{strings.ToLower(graphsim.SampleUserMegan), strings.ToLower(graphsim.SampleGroupApollo)}
	if got := sponsorsOf(t, env, guest); !slices.Equal(got, want) {
		t.Fatalf("sponsors %v, want %v", got, want)
	}
	// again: graphsim answers 400 "already exist", the adapter counts it done
	requireAllNil(t, "second apply", env.Dir.Apply(ctx, guest, changes[1:]))
	if got := sponsorsOf(t, env, guest); !slices.Equal(got, want) {
		t.Fatalf("sponsors after the repeat %v, want %v", got, want)
	}
}

// graphsim answers a repeated sponsor as Graph answers a repeated member,
// and refuses a reference whose collection does not match the object.
func TestSponsorAnswers(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	guest := invite(t, env, "ada@fabrikam.com")
	post := func(ref string) (int, string) {
		t.Helper()
		resp, err := http.Post(env.BaseURL+"/users/"+guest+"/sponsors/$ref", "application/json",
			strings.NewReader(`{"@odata.id":"`+ref+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error.Code + " " + e.Error.Message
	}
	megan := "https://graph.microsoft.com/v1.0/users/" + graphsim.SampleUserMegan
	for _, tc := range []struct {
		ref    string
		status int
		msg    string
	}{
		{megan, 204, ""},
		{megan, 400, graphsim.CodeRequestBadRequest + " " + graphsim.MsgSponsorExists},
		{"https://graph.microsoft.com/v1.0/users/" + graphsim.SampleGroupApollo, 400, "Invalid object identifier"},
		{"https://graph.microsoft.com/v1.0/users/00000000-0000-4000-8000-00000000dead", 404, "Request_ResourceNotFound"},
	} {
		if status, msg := post(tc.ref); status != tc.status || !strings.Contains(msg, tc.msg) {
			t.Errorf("POST %s: %d %q, want %d %q", tc.ref, status, msg, tc.status, tc.msg)
		}
	}
}

// nopScheduler drops reminders: these tests do not follow them.
type nopScheduler struct{}

func (nopScheduler) Schedule(context.Context, workflow.Message, time.Time) error { return nil }

// The workflow's sponsors through the real SDK: merged over approvals like
// groups, a group sponsor taken, a guest refused by the policy (members
// only) while the onboarding still completes.
func TestSponsorsThroughTheWorkflow(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	other := invite(t, env, "eve@example.org") // a guest of the tenant
	eng := &workflow.Engine{Directory: env.Dir, Store: store.NewMemory(), Scheduler: nopScheduler{}, Clock: workflow.SystemClock{},
		Policy: workflow.Policy{AllowedGroups: []string{"*"}, AllowedSources: []string{"*"}},
		Config: workflow.Config{ReminderSchedule: []time.Duration{time.Hour}, DefaultRedirectURL: "https://myapps.microsoft.com"},
		Log:    slog.New(slog.DiscardHandler)}
	approve := func(id, data string) {
		t.Helper()
		d := workflow.Delivery{MessageID: id, DeliveryCount: 1, Event: workflow.Event{ID: id, Type: workflow.TypePartnerApproved, Source: "/p", Data: json.RawMessage(data)}}
		if res, err := eng.Handle(ctx, d); err != nil || res.Action == workflow.ActionRetryScheduled {
			t.Fatalf("%s: %+v %v", id, res, err)
		}
	}
	approve("m1", `{"requestId":"PR-1","email":"ada@fabrikam.com","sponsors":["`+graphsim.SampleUserMegan+`","`+other+`"]}`)
	approve("m2", `{"requestId":"PR-2","email":"ada@fabrikam.com","sponsors":["`+graphsim.SampleGroupApollo+`"]}`)
	rec, err := eng.Store.Load(ctx, "ada@fabrikam.com")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{strings.ToLower(graphsim.SampleUserMegan), strings.ToLower(graphsim.SampleGroupApollo)}
	if got := sponsorsOf(t, env, rec.GuestID); !slices.Equal(got, want) {
		t.Fatalf("sponsors %v, want Megan (first approval) and the Apollo group (second), not the guest", got)
	}
	if rec.Phase != workflow.PhaseProvisioned || len(rec.Missing) != 1 || rec.Missing[0].State != workflow.MissingRefused ||
		!strings.Contains(rec.Missing[0].Reason, "is a guest: sponsors must be members") {
		t.Fatalf("phase %s missing %+v: want Provisioned with the guest sponsor refused by the policy", rec.Phase, rec.Missing)
	}
	// a sixth sponsor over both approvals is refused before anything is written
	d := workflow.Delivery{MessageID: "m3", DeliveryCount: 1, Event: workflow.Event{ID: "m3", Type: workflow.TypePartnerApproved, Source: "/p",
		Data: json.RawMessage(`{"requestId":"PR-3","email":"ada@fabrikam.com","sponsors":["` + graphsim.SampleUserAlex + `","` + graphsim.SampleUserAdele + `","` + graphsim.SampleGroupPartners + `"]}`)}}
	if _, err := eng.Handle(ctx, d); !workflow.IsPermanent(err) || !strings.Contains(err.Error(), "at most 5 sponsors") {
		t.Fatalf("sixth sponsor: %v", err)
	}
}
