package doctor_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/internal/doctor"
)

// tenant is graphsim behind the real msgraph-sdk-go client (graph.Directory).
func tenant(t *testing.T) (*graphsim.Server, *graph.Directory) {
	t.Helper()
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	d, err := graph.New(context.Background(), graph.Options{BaseURL: srv.URL + "/v1.0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return sim, d
}

func checker(d *graph.Directory, q *devhost.Queue, groups ...string) doctor.Checker {
	return doctor.Checker{
		Tenant: d, Permissions: doctor.AppGrants{Reader: d, SP: graphsim.SampleSPOnboarding}, Queue: doctor.DevQueue{Queue: q},
		Needed: all, Groups: groups, Roles: []string{graphsim.RoleGuestInviter}, Apps: []string{graphsim.SampleSPPartnerPortal + "/*"},
		DuplicateWindowAtLeast: 5 * time.Minute,
	}
}

var all = doctor.NeededPermissions(true, true, true)

func find(t *testing.T, r doctor.Report, check string) doctor.Result {
	t.Helper()
	for _, x := range r.Results {
		if x.Check == check {
			return x
		}
	}
	t.Fatalf("no %q check in %+v", check, r.Results)
	return doctor.Result{}
}

// TestChecksPassAndFail runs each check against a passing tenant and a
// tenant broken in exactly the way the check looks for.
func TestChecksPassAndFail(t *testing.T) {
	goodQueue := func() *devhost.Queue { return devhost.NewQueue("onboarding", devhost.QueueOptions{}) }
	cases := []struct {
		name   string
		check  string
		groups []string
		queue  *devhost.Queue
		breakT func(sim *graphsim.Server)
		detail string // in the failing result's detail
	}{
		{"invitations restricted to admins", "external collaboration", nil, goodQueue(),
			func(s *graphsim.Server) { s.SetAllowInvitesFrom(graphsim.InvitesFromAdminsAndGuestInviters) }, "allowInvitesFrom=adminsAndGuestInviters"},
		{"no privacy URL", "privacy statement", nil, goodQueue(),
			func(s *graphsim.Server) { s.SetPrivacyStatementURL("") }, "no privacy statement URL"},
		{"dynamic group in the policy", "group " + graphsim.SampleGroupDynamic, []string{graphsim.SampleGroupDynamic}, goodQueue(),
			nil, "has dynamic membership"},
		{"synced group in the policy", "group " + graphsim.SampleGroupSynced, []string{graphsim.SampleGroupSynced}, goodQueue(),
			nil, "synced from on-premises AD"},
		{"unknown group in the policy", "group 9f0c0000-0000-4000-8000-0000000000ff", []string{"9f0c0000-0000-4000-8000-0000000000ff"}, goodQueue(),
			nil, "does not exist"},
		{"missing permission", "graph permissions", nil, goodQueue(),
			func(s *graphsim.Server) { s.RevokeGraphPermission(graphsim.SampleSPOnboarding, "User.Invite.All") }, "missing User.Invite.All"},
		{"duplicate detection off on the dev queue", "service bus queue", nil,
			devhost.NewQueue("onboarding", devhost.QueueOptions{DuplicateDetectionWindow: -1}), nil, "duplicate detection is off"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, d := tenant(t)
			groups := append([]string{graphsim.SampleGroupPartners}, tc.groups...)
			// Passing state: the sample tenant with only writable groups.
			if tc.groups == nil && tc.breakT != nil {
				good := checker(d, goodQueue(), groups...).Run(context.Background())
				if r := find(t, good, tc.check); r.Status != doctor.OK {
					t.Fatalf("passing tenant: %+v", r)
				}
				if good.Failed() {
					t.Fatalf("passing tenant failed: %+v", good.Results)
				}
			}
			if tc.breakT != nil {
				tc.breakT(sim)
			}
			rep := checker(d, tc.queue, groups...).Run(context.Background())
			r := find(t, rep, tc.check)
			if r.Status != doctor.Fail || !strings.Contains(r.Detail, tc.detail) || r.Fix == "" {
				t.Fatalf("failing tenant: %+v, want fail with %q and a fix", r, tc.detail)
			}
			if !rep.Failed() {
				t.Fatal("report does not fail")
			}
			if ok := find(t, rep, "group "+graphsim.SampleGroupPartners); ok.Status != doctor.OK {
				t.Errorf("writable group: %+v", ok)
			}
		})
	}
}

func TestPassingTenantAndRendering(t *testing.T) {
	_, d := tenant(t)
	rep := checker(d, devhost.NewQueue("onboarding", devhost.QueueOptions{}), graphsim.SampleGroupPartners, graphsim.SampleGroupApollo).Run(context.Background())
	if rep.Failed() {
		t.Fatalf("sample tenant fails: %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if r.Status != doctor.OK {
			t.Errorf("%+v", r)
		}
	}
	var b bytes.Buffer
	if err := doctor.Render(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "✓ external collaboration") || strings.Contains(b.String(), "✗") ||
		!strings.Contains(b.String(), "doctor: 9 ok, 0 failed, 0 warnings") {
		t.Fatalf("table:\n%s", b.String())
	}
}

func TestRenderFailureWithFixAndJSON(t *testing.T) {
	rep := doctor.Report{Results: []doctor.Result{
		{Check: "privacy statement", Status: doctor.Fail, Detail: "no URL", Fix: "set it"},
		{Check: "graph permissions", Status: doctor.Warn, Detail: "not needed: X", Fix: "remove X"},
		{Check: "state table", Status: doctor.OK, Detail: "fine", Fix: "unused"},
	}}
	var b bytes.Buffer
	_ = doctor.Render(&b, rep)
	want := []string{"✗ privacy statement  no URL", "fix: set it", "! graph permissions", "fix: remove X", "✓ state table", "doctor: 1 ok, 1 failed, 1 warnings"}
	for _, w := range want {
		if !strings.Contains(b.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, b.String())
		}
	}
	if strings.Contains(b.String(), "unused") {
		t.Error("fix shown for a passing check")
	}
	b.Reset()
	if err := doctor.RenderJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Results []doctor.Result
		Failed  int
		Pass    bool
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got.Failed != 1 || got.Pass || len(got.Results) != 3 || got.Results[0].Fix != "set it" {
		t.Fatalf("json %s: %+v %v", b.String(), got, err)
	}
}

// A tenant where the app cannot read its own grants is "cannot tell", not
// "missing".
func TestPermissionsCannotTell(t *testing.T) {
	sim, d := tenant(t)
	if err := sim.SetKnobs(graphsim.Knobs{Deny: []string{"GET /servicePrincipals/{id}/appRoleAssignments"}}); err != nil {
		t.Fatal(err)
	}
	rep := doctor.Checker{Permissions: doctor.AppGrants{Reader: d, SP: graphsim.SampleSPOnboarding}, Needed: all}.Run(context.Background())
	if r := find(t, rep, "graph permissions"); r.Status != doctor.Warn || !strings.Contains(r.Detail, "cannot tell") {
		t.Fatalf("%+v", r)
	}
}

type tokenCred string

func (c tokenCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(c), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestAppSPFromToken(t *testing.T) {
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"oid":"` + graphsim.SampleSPOnboarding + `","roles":["User.Invite.All"]}`))
	sp, err := doctor.AppSPFromToken(context.Background(), tokenCred("e30."+claims+".sig"))
	if err != nil || sp != graphsim.SampleSPOnboarding {
		t.Fatalf("sp %q, %v", sp, err)
	}
	if _, err := doctor.AppSPFromToken(context.Background(), tokenCred("opaque")); err == nil {
		t.Fatal("a token that is not a JWT gave an oid")
	}
}

func TestLogPermissionsWarnsWithoutFailing(t *testing.T) {
	sim, d := tenant(t)
	sim.RevokeGraphPermission(graphsim.SampleSPOnboarding, "GroupMember.ReadWrite.All")
	var b bytes.Buffer
	doctor.LogPermissions(context.Background(), slog.New(slog.NewJSONHandler(&b, nil)), d, graphsim.SampleSPOnboarding, all)
	if !strings.Contains(b.String(), `"level":"WARN"`) || !strings.Contains(b.String(), "missing GroupMember.ReadWrite.All") {
		t.Fatalf("log: %s", b.String())
	}
}

func TestRolesExistAndPrivileged(t *testing.T) {
	_, d := tenant(t)
	rep := doctor.Checker{Tenant: d, Roles: []string{graphsim.RoleGlobalAdministrator, graphsim.RoleGuestInviter, "c0570000-0000-4000-8000-000000000001"}}.Run(context.Background())
	if r := find(t, rep, "role "+graphsim.RoleGlobalAdministrator); r.Status != doctor.OK || !strings.Contains(r.Detail, "privileged") {
		t.Errorf("%+v", r)
	}
	if r := find(t, rep, "role "+graphsim.RoleGuestInviter); r.Status != doctor.OK || strings.Contains(r.Detail, "privileged") {
		t.Errorf("%+v", r)
	}
	if r := find(t, rep, "role c0570000-0000-4000-8000-000000000001"); r.Status != doctor.Fail || r.Fix == "" {
		t.Errorf("%+v", r)
	}
}

type probe struct{ err error }

func (p probe) Probe(context.Context) error { return p.err }

// The state table check reports the probe's outcome (no production Table
// source is wired yet: see the closing note).
func TestTableProbe(t *testing.T) {
	if r := find(t, doctor.Checker{Table: probe{}}.Run(context.Background()), "state table"); r.Status != doctor.OK {
		t.Errorf("%+v", r)
	}
	r := find(t, doctor.Checker{Table: probe{errors.New("403 AuthorizationPermissionMismatch")}}.Run(context.Background()), "state table")
	if r.Status != doctor.Fail || !strings.Contains(r.Detail, "AuthorizationPermissionMismatch") || r.Fix == "" {
		t.Errorf("%+v", r)
	}
}

// serve's start-up check reads the app's grants through the client and
// credential it is given: the service principal comes from the token.
func TestStartupCheckUsesGivenClientAndCredential(t *testing.T) {
	sim, d := tenant(t)
	sim.RevokeGraphPermission(graphsim.SampleSPOnboarding, "User.Invite.All")
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"oid":"` + graphsim.SampleSPOnboarding + `"}`))
	var b bytes.Buffer
	doctor.StartupCheck(context.Background(), config.Config{}, d, tokenCred("e30."+claims+".sig"), slog.New(slog.NewJSONHandler(&b, nil)))
	if !strings.Contains(b.String(), `"level":"WARN"`) || !strings.Contains(b.String(), "missing User.Invite.All") {
		t.Fatalf("log: %s", b.String())
	}
	b.Reset()
	doctor.StartupCheck(context.Background(), config.Config{}, d, tokenCred("opaque"), slog.New(slog.NewJSONHandler(&b, nil)))
	if !strings.Contains(b.String(), "doctor: graph access failed") {
		t.Fatalf("log: %s", b.String())
	}
}
