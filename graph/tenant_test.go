package graph_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// read is one hand-decoded read, its answer printed for comparison.
type read func(d *graph.Directory) (string, error)

func groupKind(id string) read {
	return func(d *graph.Directory) (string, error) {
		k, err := d.GroupKind(ctx, id)
		return string(k), err
	}
}

func allowInvitesFrom(d *graph.Directory) (string, error) { return d.AllowInvitesFrom(ctx) }

func privacyURL(d *graph.Directory) (string, error) { return d.PrivacyStatementURL(ctx) }

func granted(d *graph.Directory) (string, error) {
	p, err := d.GrantedPermissions(ctx, graphsim.SampleSPOnboarding)
	slices.Sort(p)
	return strings.Join(p, ","), err
}

func servicePrincipal(id string) read {
	return func(d *graph.Directory) (string, error) {
		sp, err := d.ServicePrincipal(ctx, id)
		roles := make([]string, 0, len(sp.AppRoles))
		for r, on := range sp.AppRoles {
			roles = append(roles, fmt.Sprintf("%s=%t", r, on))
		}
		slices.Sort(roles)
		return fmt.Sprintf("enabled=%t %s", sp.AccountEnabled, strings.Join(roles, " ")), err
	}
}

func defaultInbound(d *graph.Directory) (string, error) {
	access, all, err := d.DefaultInboundB2B(ctx)
	return fmt.Sprintf("%s allUsers=%t", access, all), err
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestTenantReadsThroughGraphsim: every field the tenant reads decode by
// hand is read from graphsim's answer, in the state the sample tenant
// starts in and after an administrator changed it.
func TestTenantReadsThroughGraphsim(t *testing.T) {
	portal := servicePrincipal(graphsim.SampleSPPartnerPortal)
	cases := []struct {
		name   string
		change func(s *graphsim.Server)
		read   read
		want   string
	}{
		{name: "security group takes members", read: groupKind(graphsim.SampleGroupPartners), want: string(workflow.GroupAssigned)},
		{name: "Microsoft 365 group takes members though mail-enabled", read: groupKind(graphsim.SampleGroupApollo), want: string(workflow.GroupAssigned)},
		{name: "distribution list", read: groupKind(graphsim.SampleGroupSales), want: string(workflow.GroupMailEnabled)},
		{name: "dynamic group", read: groupKind(graphsim.SampleGroupDynamic), want: string(workflow.GroupDynamic)},
		{name: "synced group", read: groupKind(graphsim.SampleGroupSynced), want: string(workflow.GroupOnPremises)},
		{name: "invitations from everyone", read: allowInvitesFrom, want: graphsim.InvitesFromEveryone},
		{name: "invitations from members", change: func(s *graphsim.Server) { s.SetAllowInvitesFrom(graphsim.InvitesFromAdminsGuestInvitersAll) },
			read: allowInvitesFrom, want: graphsim.InvitesFromAdminsGuestInvitersAll},
		{name: "invitations from admins", change: func(s *graphsim.Server) { s.SetAllowInvitesFrom(graphsim.InvitesFromAdminsAndGuestInviters) },
			read: allowInvitesFrom, want: graphsim.InvitesFromAdminsAndGuestInviters},
		{name: "invitations from nobody", change: func(s *graphsim.Server) { s.SetAllowInvitesFrom(graphsim.InvitesFromNone) },
			read: allowInvitesFrom, want: graphsim.InvitesFromNone},
		{name: "privacy statement", read: privacyURL, want: graphsim.SamplePrivacyStatementURL},
		{name: "privacy statement changed", change: func(s *graphsim.Server) { s.SetPrivacyStatementURL("https://fabrikam.example/p2") },
			read: privacyURL, want: "https://fabrikam.example/p2"},
		{name: "privacy statement cleared", change: func(s *graphsim.Server) { s.SetPrivacyStatementURL("") }, read: privacyURL, want: ""},
		{name: "granted permissions", read: granted, want: strings.Join(sorted(graphsim.SampleOnboardingPermissions), ",")},
		{name: "granted permissions after a revocation",
			change: func(s *graphsim.Server) { s.RevokeGraphPermission(graphsim.SampleSPOnboarding, "User.Invite.All") },
			read:   granted, want: strings.Join(slices.DeleteFunc(sorted(graphsim.SampleOnboardingPermissions), func(p string) bool { return p == "User.Invite.All" }), ",")},
		{name: "service principal", read: portal,
			want: "enabled=true " + graphsim.SampleAppRolePortalReader + "=true " + graphsim.SampleAppRolePortalAdmin + "=true"},
		{name: "service principal disabled", change: func(s *graphsim.Server) { s.SetServicePrincipalEnabled(graphsim.SampleSPPartnerPortal, false) },
			read: portal, want: "enabled=false " + graphsim.SampleAppRolePortalReader + "=true " + graphsim.SampleAppRolePortalAdmin + "=true"},
		{name: "app role disabled",
			change: func(s *graphsim.Server) {
				s.SetAppRoleEnabled(graphsim.SampleSPPartnerPortal, graphsim.SampleAppRolePortalAdmin, false)
			},
			read: portal, want: "enabled=true " + graphsim.SampleAppRolePortalReader + "=true " + graphsim.SampleAppRolePortalAdmin + "=false"},
		{name: "service principal without app roles", read: servicePrincipal(graphsim.SampleSPWiki), want: "enabled=true "},
		{name: "inbound B2B allowed", read: defaultInbound, want: "allowed allUsers=true"},
		{name: "inbound B2B blocked", change: func(s *graphsim.Server) { s.SetDefaultB2BInbound(false) },
			read: defaultInbound, want: "blocked allUsers=true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh tenant and Directory per case: GroupKind caches per
			// Directory.
			env := graphtest.Start(t, graphsim.Config{}, graph.Options{})
			if tc.change != nil {
				tc.change(env.Sim)
			}
			got, err := tc.read(env.Dir)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestTenantReadsDecodeGraphsAnswers: answers graphsim does not give
// (nulls, missing objects, values it never sends) are read as Graph
// documents them, and failures keep their classification.
func TestTenantReadsDecodeGraphsAnswers(t *testing.T) {
	notFound := `{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`
	isNotFound := func(err error) bool { return errors.As(err, new(*workflow.NotFoundError)) }
	isTransient := func(err error) bool { return errors.As(err, new(*workflow.TransientError)) }
	isPlain := func(err error) bool { return err != nil && !isNotFound(err) && !isTransient(err) }
	cases := []struct {
		name   string
		code   int
		answer string            // for every path
		paths  map[string]string // or by path (each 200)
		read   read
		want   string
		check  func(error) bool
	}{
		{name: "group with null properties takes members", code: 200,
			answer: `{"id":"g","groupTypes":[],"mailEnabled":null,"onPremisesSyncEnabled":null}`, read: groupKind("g"), want: string(workflow.GroupAssigned)},
		{name: "group synced once, now cloud-managed", code: 200,
			answer: `{"id":"g","groupTypes":[],"mailEnabled":false,"onPremisesSyncEnabled":false}`, read: groupKind("g"), want: string(workflow.GroupAssigned)},
		{name: "mail-enabled security group", code: 200,
			answer: `{"id":"g","groupTypes":[],"mailEnabled":true,"securityEnabled":true}`, read: groupKind("g"), want: string(workflow.GroupMailEnabled)},
		{name: "dynamic Microsoft 365 group", code: 200,
			answer: `{"id":"g","groupTypes":["Unified","DynamicMembership"],"mailEnabled":true}`, read: groupKind("g"), want: string(workflow.GroupDynamic)},
		{name: "group not found", code: 404, answer: notFound, read: groupKind("g"), check: isNotFound},
		{name: "allowInvitesFrom a value added later", code: 200,
			answer: `{"id":"authorizationPolicy","allowInvitesFrom":"unknownFutureValue"}`, read: allowInvitesFrom, want: "unknownFutureValue"},
		{name: "allowInvitesFrom null", code: 200, answer: `{"id":"authorizationPolicy","allowInvitesFrom":null}`, read: allowInvitesFrom, want: ""},
		{name: "policy read refused", code: 403, answer: `{"error":{"code":"Authorization_RequestDenied","message":"no"}}`, read: allowInvitesFrom,
			check: func(err error) bool { return errors.As(err, new(*workflow.PermanentError)) }},
		{name: "privacy profile null", code: 200, answer: `{"value":[{"id":"t","privacyProfile":null}]}`, read: privacyURL, want: ""},
		{name: "statementUrl null", code: 200, answer: `{"value":[{"id":"t","privacyProfile":{"contactEmail":null,"statementUrl":null}}]}`, read: privacyURL, want: ""},
		{name: "no organization", code: 200, answer: `{"value":[]}`, read: privacyURL, check: isPlain},
		{name: "organization throttled", code: 429, answer: `{"error":{"code":"TooManyRequests","message":"slow down"}}`, read: privacyURL, check: isTransient},
		{name: "service principal with nulls is enabled", code: 200,
			answer: `{"id":"sp","accountEnabled":null,"appRoles":[{"id":"A5501E00-0000-4000-8000-0000000000AA","isEnabled":null,"value":"X"},{"id":"a5501e00-0000-4000-8000-0000000000bb","isEnabled":false}]}`,
			read:   servicePrincipal("sp"), want: "enabled=true a5501e00-0000-4000-8000-0000000000aa=true a5501e00-0000-4000-8000-0000000000bb=false"},
		{name: "service principal not found", code: 404, answer: notFound, read: servicePrincipal("sp"), check: isNotFound},
		{name: "cross-tenant default without inbound settings", code: 200, answer: `{"isServiceDefault":true}`, read: defaultInbound, want: "allowed allUsers=true"},
		{name: "cross-tenant default without an accessType", code: 200,
			answer: `{"b2bCollaborationInbound":{"usersAndGroups":{"accessType":null,"targets":[]}}}`, read: defaultInbound, want: "allowed allUsers=true"},
		{name: "cross-tenant default blocking some groups", code: 200,
			answer: `{"b2bCollaborationInbound":{"usersAndGroups":{"accessType":"blocked","targets":[{"target":"g1","targetType":"group"}]}}}`,
			read:   defaultInbound, want: "blocked allUsers=false"},
		{name: "grants on Graph only, ids in any case",
			paths: map[string]string{
				"/v1.0/servicePrincipals": `{"value":[{"id":"GRAPH-SP","appRoles":[{"id":"09850681-111B-4A89-9BED-3F2CAE46D706","value":"User.Invite.All"},{"id":"df021288-bdef-4463-88db-98f22de89214","value":"User.Read.All"}]}]}`,
				"/v1.0/servicePrincipals/" + graphsim.SampleSPOnboarding + "/appRoleAssignments": `{"value":[` +
					`{"resourceId":"graph-sp","appRoleId":"09850681-111b-4a89-9bed-3f2cae46d706"},` +
					`{"resourceId":"other-sp","appRoleId":"df021288-bdef-4463-88db-98f22de89214"},` +
					`{"resourceId":"graph-sp","appRoleId":"00000000-0000-0000-0000-000000000000"}]}`},
			read: granted, want: "User.Invite.All"},
		{name: "Graph's service principal missing",
			paths: map[string]string{"/v1.0/servicePrincipals": `{"value":[]}`}, read: granted, check: isPlain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d *graph.Directory
			if tc.paths != nil {
				d = pathDirectory(t, tc.paths)
			} else {
				d, _ = serveDirectory(t, tc.code, tc.answer)
			}
			got, err := tc.read(d)
			if tc.check != nil {
				if !tc.check(err) {
					t.Fatalf("got %q, %v: wrong error class", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// pathDirectory is a Directory for a server answering 200 with answers[path]
// and 404 for any other path.
func pathDirectory(t *testing.T, answers map[string]string) *graph.Directory {
	t.Helper()
	return directoryFor(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		a, ok := answers[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"Request_ResourceNotFound","message":"no such path"}}`)
			return
		}
		_, _ = io.WriteString(w, a)
	}))
}
