package graph_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// invite creates a guest and returns its object id.
func invite(t *testing.T, env *graphtest.Env, email string) string {
	t.Helper()
	res, err := env.Dir.Invite(ctx, workflow.Invitation{Email: email, RedirectURL: "https://myapps.microsoft.com"})
	if err != nil {
		t.Fatal(err)
	}
	return res.GuestID
}

// allChanges is one change of every kind against the sample tenant.
func allChanges() []workflow.Change {
	return []workflow.Change{
		{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{
			GivenName: "Ada", Surname: "Lovelace", JobTitle: "Engineer", Department: "R&D", CompanyName: "Fabrikam",
			MobilePhone: "+31 6 1234 5678", BusinessPhone: "+31 20 123 4567", StreetAddress: "Dam 1", City: "Amsterdam",
			State: "NH", PostalCode: "1012 JS", Country: "Netherlands", AgeGroup: "Adult", ConsentProvidedForMinor: "NotRequired",
			UsageLocation: "NL"}},
		{Kind: workflow.ChangeManager, ID: graphsim.SampleUserMegan},
		{Kind: workflow.ChangeGroup, ID: graphsim.SampleGroupPartners},
		{Kind: workflow.ChangeGroup, ID: graphsim.SampleGroupApollo},
		{Kind: workflow.ChangeRole, ID: graphsim.RoleGuestInviter},
		{Kind: workflow.ChangeApp, ID: graphsim.SampleSPWiki}, // default access
		{Kind: workflow.ChangeApp, ID: graphsim.SampleSPPartnerPortal, AppRoleID: graphsim.SampleAppRolePortalReader},
	}
}

func requireAllNil(t *testing.T, label string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: change %d: %v", label, i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// checkApplied asserts every change of allChanges is in the tenant exactly once.
func checkApplied(t *testing.T, env *graphtest.Env, guest string) {
	t.Helper()
	u, _ := env.Sim.GetUser(guest)
	for prop, want := range map[string]any{
		"givenName": "Ada", "surname": "Lovelace", "jobTitle": "Engineer", "department": "R&D", "companyName": "Fabrikam",
		"mobilePhone": "+31 6 1234 5678", "streetAddress": "Dam 1", "city": "Amsterdam", "state": "NH", "postalCode": "1012 JS",
		"country": "Netherlands", "ageGroup": "Adult", "consentProvidedForMinor": "NotRequired", "usageLocation": "NL",
	} {
		if got := u.Properties[prop]; got != want {
			t.Errorf("%s = %v, want %v", prop, got, want)
		}
	}
	if got := fmt.Sprint(u.Properties["businessPhones"]); got != "[+31 20 123 4567]" {
		t.Errorf("businessPhones = %s", got)
	}
	if u.ManagerID != graphsim.SampleUserMegan {
		t.Errorf("manager = %q", u.ManagerID)
	}
	for _, g := range []string{graphsim.SampleGroupPartners, graphsim.SampleGroupApollo} {
		if n := count(env.Sim.MembersOf(g), guest); n != 1 {
			t.Errorf("guest is %d times in group %s", n, g)
		}
	}
	st := env.Sim.State()
	roles := 0
	for _, a := range st.RoleAssignments {
		if a.PrincipalID == guest && a.RoleDefinitionID == graphsim.RoleGuestInviter && a.DirectoryScopeID == "/" {
			roles++
		}
	}
	if roles != 1 {
		t.Errorf("%d role assignments, want 1", roles)
	}
	apps := map[string]int{}
	for _, a := range st.AppRoleAssignments {
		if a.PrincipalID == guest {
			apps[a.ResourceID+"/"+a.AppRoleID]++
		}
	}
	want := map[string]int{
		graphsim.SampleSPWiki + "/" + workflow.DefaultAppRoleID:                   1,
		graphsim.SampleSPPartnerPortal + "/" + graphsim.SampleAppRolePortalReader: 1,
	}
	if fmt.Sprint(apps) != fmt.Sprint(want) {
		t.Errorf("app role assignments = %v, want %v", apps, want)
	}
}

func count(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if strings.EqualFold(x, id) {
			n++
		}
	}
	return n
}

func TestApplyEveryKindAndReapply(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{Knobs: &graphsim.Knobs{ShuffleBatch: true}}, graph.Options{})
	guest := invite(t, env, "ada@fabrikam.com")

	requireAllNil(t, "first apply", env.Dir.Apply(ctx, guest, allChanges()))
	checkApplied(t, env, guest)
	// Re-applying meets Graph's "already exists" answers: success, no duplicates.
	requireAllNil(t, "second apply", env.Dir.Apply(ctx, guest, allChanges()))
	checkApplied(t, env, guest)

	batches := env.Batches()
	if len(batches) != 2 {
		t.Fatalf("%d $batch requests, want 2 (one per Apply)", len(batches))
	}
	for _, it := range batches[0].Items {
		if !strings.HasPrefix(it.URL, "/") {
			t.Errorf("item url %q is not relative to the Graph root", it.URL)
		}
	}
	if n := env.Sim.RequestCount("POST /groups/{id}/members/$ref (400)"); n != 2 {
		t.Errorf("duplicate member answers = %d, want 2 (the second apply met real 'already exists' errors)", n)
	}
}

// tenantWithGroups is the sample tenant plus n extra groups g-000…
func tenantWithGroups(n int) (*graphsim.Seed, []string) {
	seed := graphsim.SampleSeed()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("a0000000-0000-4000-8000-%012d", i)
		seed.Groups = append(seed.Groups, graphsim.SeedGroup{ID: ids[i], DisplayName: fmt.Sprintf("g-%03d", i), SecurityEnabled: true})
	}
	return &seed, ids
}

func TestApplySplitsIntoBatchesAndCorrelatesAnswers(t *testing.T) {
	for _, n := range []int{21, 45} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			seed, groups := tenantWithGroups(n)
			env := graphtest.Start(t, graphsim.Config{Seed: seed, Knobs: &graphsim.Knobs{ShuffleBatch: true}}, graph.Options{BatchConcurrency: 3})
			guest := invite(t, env, "ada@fabrikam.com")
			changes := make([]workflow.Change, n)
			missing := map[int]bool{}
			for i := range changes {
				id := groups[i]
				if i%7 == 3 { // an unknown group at known positions proves per-id correlation
					id = fmt.Sprintf("b0000000-0000-4000-8000-%012d", i)
					missing[i] = true
				}
				changes[i] = workflow.Change{Kind: workflow.ChangeGroup, ID: id}
			}
			errs := env.Dir.Apply(ctx, guest, changes)
			for i, err := range errs {
				var nf *workflow.NotFoundError
				switch {
				case missing[i] && !errors.As(err, &nf):
					t.Errorf("change %d (unknown group): %v, want NotFoundError", i, err)
				case missing[i] && !strings.Contains(err.Error(), changes[i].ID):
					t.Errorf("change %d: error %q does not name the group", i, err)
				case !missing[i] && err != nil:
					t.Errorf("change %d: %v", i, err)
				case !missing[i] && count(env.Sim.MembersOf(changes[i].ID), guest) != 1:
					t.Errorf("change %d: guest not in group", i)
				}
			}
			batches := env.Batches()
			sizes := []int{}
			for _, b := range batches {
				sizes = append(sizes, len(b.Items))
				for _, it := range b.Items {
					if !strings.HasPrefix(it.URL, "/groups/") || !strings.HasSuffix(it.URL, "/members/$ref") {
						t.Errorf("item url %q", it.URL)
					}
					if it.Headers["Content-Type"] != "application/json" {
						t.Errorf("item headers %v", it.Headers)
					}
				}
			}
			slices.Sort(sizes)
			want := map[int][]int{21: {1, 20}, 45: {5, 20, 20}}[n]
			if !slices.Equal(sizes, want) {
				t.Fatalf("batch sizes %v, want %v", sizes, want)
			}
		})
	}
}

func TestApplyClassifiesItemFailures(t *testing.T) {
	env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
	guest := invite(t, env, "ada@fabrikam.com")
	changes := []workflow.Change{
		{Kind: workflow.ChangeGroup, ID: "9f0c0000-0000-4000-8000-0000000000ff"},                     // unknown group
		{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{AgeGroup: "Elder"}},    // bad enum
		{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{UsageLocation: "NLD"}}, // bad country code
		{Kind: workflow.ChangeRole, ID: "00000000-0000-4000-8000-00000000beef"},                      // unknown role definition
		{Kind: workflow.ChangeManager, ID: "5a1e0000-0000-4000-8000-0000000000ff"},                   // unknown manager
		{Kind: workflow.ChangeApp, ID: graphsim.SampleSPPartnerPortal, AppRoleID: "a5501e00-0000-4000-8000-0000000000ff"},
		{Kind: workflow.ChangeGroup, ID: graphsim.SampleGroupPartners}, // fine: failures next to it do not matter
	}
	type want struct {
		kind     string // notfound, permanent, nil
		contains []string
	}
	wants := []want{
		{"notfound", []string{"add to group 9f0c0000-0000-4000-8000-0000000000ff", "Request_ResourceNotFound"}},
		{"permanent", []string{"ageGroup", "Request_BadRequest", "400"}},
		{"permanent", []string{"usageLocation", "Request_BadRequest"}},
		{"permanent", []string{"roleDefinitionId"}},
		{"notfound", []string{"set manager"}},
		{"permanent", []string{"Permission being assigned was not found"}},
		{"nil", nil},
	}
	errs := env.Dir.Apply(ctx, guest, changes)
	for i, w := range wants {
		err := errs[i]
		var nf *workflow.NotFoundError
		var pe *workflow.PermanentError
		switch w.kind {
		case "nil":
			if err != nil {
				t.Errorf("change %d: %v", i, err)
			}
			continue
		case "notfound":
			if !errors.As(err, &nf) {
				t.Errorf("change %d: %v, want NotFoundError", i, err)
				continue
			}
		case "permanent":
			if !errors.As(err, &pe) {
				t.Errorf("change %d: %v, want PermanentError", i, err)
				continue
			}
		}
		for _, s := range w.contains {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("change %d: %q does not contain %q", i, err, s)
			}
		}
		var ae *graph.APIError
		if !errors.As(err, &ae) || ae.Code == "" || ae.RequestID == "" {
			t.Errorf("change %d: no APIError with code and request id in %v", i, err)
		}
	}
}

func TestApplyDuringReplicationLag(t *testing.T) {
	const lag = 700 * time.Millisecond
	env := graphtest.Start(t, graphsim.Config{Knobs: &graphsim.Knobs{ReplicationLag: lag}}, graph.Options{})
	guest := invite(t, env, "ada@fabrikam.com")
	changes := []workflow.Change{
		{Kind: workflow.ChangeGroup, ID: graphsim.SampleGroupPartners},
		{Kind: workflow.ChangeProperties, Properties: workflow.UserProperties{JobTitle: "Engineer"}},
	}
	for i, err := range env.Dir.Apply(ctx, guest, changes) {
		var nf *workflow.NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("during lag, change %d: %v, want NotFoundError", i, err)
		}
	}
	u, _ := env.Sim.GetUser(guest)
	time.Sleep(time.Until(u.VisibleAt) + 20*time.Millisecond)
	requireAllNil(t, "after lag", env.Dir.Apply(ctx, guest, changes))
	if count(env.Sim.MembersOf(graphsim.SampleGroupPartners), guest) != 1 {
		t.Fatal("guest not in group after lag")
	}
}

func TestApplyRetriesFailedItems(t *testing.T) {
	seed, groups := tenantWithGroups(10)
	// A third of all items fail with 503 + Retry-After: 1; the seeded random
	// source makes the run repeatable.
	env := graphtest.Start(t, graphsim.Config{Seed: seed, RandSeed: 7, Knobs: &graphsim.Knobs{FailureRate: 0.3, RetryAfter: 1}},
		graph.Options{ItemMaxAttempts: 10})
	guest := graphsim.SampleUserAlex // a seeded user: the invitation would be subject to faults too
	changes := make([]workflow.Change, len(groups))
	for i, g := range groups {
		changes[i] = workflow.Change{Kind: workflow.ChangeGroup, ID: g}
	}
	start := time.Now()
	requireAllNil(t, "apply", env.Dir.Apply(ctx, guest, changes))
	for _, g := range groups {
		if count(env.Sim.MembersOf(g), guest) != 1 {
			t.Fatalf("not a member of %s", g)
		}
	}
	batches := env.Batches()
	if len(batches) < 2 {
		t.Fatalf("%d $batch requests: nothing was retried", len(batches))
	}
	// Re-sends carry only the failed items, under their original ids.
	if len(batches[1].Items) >= len(batches[0].Items) {
		t.Errorf("first re-send has %d of %d items: it should carry only the failed ones", len(batches[1].Items), len(batches[0].Items))
	}
	for i, b := range batches[1:] {
		prev := map[string]bool{}
		for _, it := range batches[i].Items {
			prev[it.ID] = true
		}
		for _, it := range b.Items {
			if !prev[it.ID] {
				t.Errorf("re-send %d: item id %s was not in the previous batch", i+1, it.ID)
			}
		}
	}
	if took := time.Since(start); took < time.Duration(len(batches)-1)*time.Second {
		t.Errorf("%d re-sends in %v: Retry-After (1s) not honoured", len(batches)-1, took)
	}
}

func TestApplyGivesUpWithTransientErrors(t *testing.T) {
	cases := []struct {
		name        string
		opts        graph.Options
		timeout     time.Duration
		wantBatches int
	}{
		{"attempts exhausted", graph.Options{ItemMaxAttempts: 2}, 0, 2},
		{"Retry-After beyond the budget", graph.Options{ItemRetryBudget: 500 * time.Millisecond}, 0, 1},
		{"context deadline before the Retry-After", graph.Options{}, 300 * time.Millisecond, 1},
		{"context cancelled while waiting", graph.Options{}, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := graphtest.Start(t, graphsim.Config{Knobs: &graphsim.Knobs{FailureRate: 1, RetryAfter: 1}}, tc.opts)
			c := ctx
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				c, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			cancelled := strings.Contains(tc.name, "cancelled")
			if cancelled {
				var cancel context.CancelFunc
				c, cancel = context.WithCancel(ctx)
				time.AfterFunc(300*time.Millisecond, cancel)
			}
			start := time.Now()
			errs := env.Dir.Apply(c, graphsim.SampleUserAlex, []workflow.Change{
				{Kind: workflow.ChangeGroup, ID: graphsim.SampleGroupPartners},
				{Kind: workflow.ChangeRole, ID: graphsim.RoleGuestInviter},
			})
			for i, err := range errs {
				var tr *workflow.TransientError
				if !errors.As(err, &tr) || tr.RetryAfter != time.Second {
					t.Errorf("change %d: %v, want TransientError with RetryAfter 1s", i, err)
				}
			}
			if n := len(env.Batches()); n != tc.wantBatches {
				t.Errorf("%d $batch requests, want %d", n, tc.wantBatches)
			}
			took := time.Since(start)
			if tc.timeout > 0 && took > 200*time.Millisecond {
				t.Errorf("Apply took %v: it waited although the deadline comes before the Retry-After", took)
			}
			if cancelled && (took < 250*time.Millisecond || took > 700*time.Millisecond) {
				t.Errorf("Apply took %v, want it to wait until the cancellation at 300ms", took)
			}
		})
	}
}
