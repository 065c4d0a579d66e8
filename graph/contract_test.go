package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
	"github.com/b2b-onboarding/onboard/workflow/directorytest"
)

// graph.Directory over graphsim, through the real msgraph-sdk-go client,
// meets the same contract as the workflow's fake (workflow/fakes_test.go);
// graphsim's knobs switch the suite's features. The cases run one after
// another: graph.New (msgraph-sdk-go's NewGraphServiceClient) writes
// kiota's process-wide backing store factory, which the model
// constructors of requests in flight read — a data race under -race when
// Directories are created while others are in use.
func TestDirectoryContract(t *testing.T) {
	directorytest.RunWith(t, func(t *testing.T, tenant directorytest.Tenant, now func() time.Time) directorytest.Target {
		seed := seedOf(tenant)
		// Unpaced: the suite switches the throttle off at once (SetThrottled),
		// which real Graph never does within the Retry-After the pacer's gate
		// would honour for the instance (pacer_test.go tests that gate).
		env := graphtest.Start(t, graphsim.Config{Seed: &seed, Knobs: &graphsim.Knobs{}, Now: now}, graph.Options{InviteLimit: -1})
		sim := env.Sim
		knob := func(set func(*graphsim.Knobs)) {
			k := sim.Knobs()
			set(&k)
			if err := sim.SetKnobs(k); err != nil {
				t.Fatal(err)
			}
		}
		return directorytest.Target{
			Directory: env.Dir,
			Emails:    func(addr string) int { return len(sim.EmailsSent(addr)) },
			Applied:   func(id string, c workflow.Change) bool { return applied(sim, id, c) },
			AccountEnabled: func(id string) bool {
				u, ok := sim.GetUser(id)
				return ok && u.AccountEnabled
			},
			SetReplicationLag: func(d time.Duration) { knob(func(k *graphsim.Knobs) { k.ReplicationLag = d }) },
			SetThrottled: func(on bool) {
				if !on {
					knob(func(k *graphsim.Knobs) { k.InviteLimit = 0 })
					return
				}
				// Graph's throttle is a rate: allow one invitation per hour
				// and spend it, so the next one is refused.
				knob(func(k *graphsim.Knobs) { k.InviteLimit, k.InviteWindow = 1, time.Hour })
				for i := 0; i < 2 && postInvitation(sim, "throttle.filler@contoso.example") != http.StatusTooManyRequests; i++ {
				}
			},
			SetDropAfter: func(on bool) {
				knob(func(k *graphsim.Knobs) {
					k.DropAfterRate = 0
					if on {
						k.DropAfterRate = 1
					}
				})
			},
		}
	}, directorytest.Options{Sequential: true})
}

// seedOf is the graphsim seed of a contract tenant.
func seedOf(tenant directorytest.Tenant) graphsim.Seed {
	seed := graphsim.Seed{Domain: graphsim.DefaultDomain, TenantID: graphsim.SampleTenantID}
	for _, u := range tenant.Users {
		su := graphsim.SeedUser{ID: u.ID, DisplayName: u.DisplayName, Mail: u.Mail, UserPrincipalName: u.UserPrincipalName,
			OtherMails: u.OtherMails, ProxyAddresses: u.ProxyAddresses, UserType: u.UserType, CreationType: u.CreationType,
			ExternalUserState: u.ExternalUserState, CreatedDateTime: u.CreatedAt.UTC().Format(time.RFC3339)}
		if u.SignInEmail != "" {
			su.Identities = []graphsim.SeedIdentity{{SignInType: "emailAddress", Issuer: graphsim.DefaultDomain, IssuerAssignedID: u.SignInEmail}}
		}
		seed.Users = append(seed.Users, su)
	}
	for _, g := range tenant.Groups {
		seed.Groups = append(seed.Groups, graphsim.SeedGroup{ID: g, DisplayName: "Group " + g, SecurityEnabled: true})
	}
	for _, r := range tenant.Roles {
		seed.RoleDefinitions = append(seed.RoleDefinitions, graphsim.SeedRoleDefinition{ID: r, DisplayName: "Role " + r})
	}
	for _, a := range tenant.Apps {
		sp := graphsim.SeedServicePrincipal{ID: a.ID, AppID: a.AppID, DisplayName: "App " + a.ID}
		for _, r := range a.AppRoles {
			sp.AppRoles = append(sp.AppRoles, graphsim.SeedAppRole{ID: r, Value: "Role." + r, DisplayName: "Role " + r})
		}
		seed.ServicePrincipals = append(seed.ServicePrincipals, sp)
	}
	return seed
}

// postInvitation posts an invitation straight to the simulator (not through the
// adapter) and returns the status.
func postInvitation(sim *graphsim.Server, addr string) int {
	body := `{"invitedUserEmailAddress":"` + addr + `","inviteRedirectUrl":"https://myapps.microsoft.com"}`
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1.0/invitations", strings.NewReader(body)))
	return rec.Code
}

// applied reads from the simulated tenant whether change c is in place
// for the user.
func applied(sim *graphsim.Server, id string, c workflow.Change) bool {
	u, ok := sim.GetUser(id)
	if !ok {
		return false
	}
	st := sim.State()
	switch c.Kind {
	case workflow.ChangeProperties:
		var props map[string]string
		b, _ := json.Marshal(c.Properties)
		_ = json.Unmarshal(b, &props)
		for name, want := range props {
			got := u.Properties[name]
			if name == "businessPhone" {
				name, got = "businessPhones", u.Properties["businessPhones"]
				if l, ok := got.([]any); ok && len(l) == 1 {
					got = l[0]
				}
			}
			if got != want {
				return false
			}
		}
		return true
	case workflow.ChangeManager:
		return strings.EqualFold(u.ManagerID, c.ID)
	case workflow.ChangeGroup:
		return slices.ContainsFunc(sim.MembersOf(c.ID), func(m string) bool { return strings.EqualFold(m, id) })
	case workflow.ChangeRole:
		return slices.ContainsFunc(st.RoleAssignments, func(a graphsim.RoleAssignment) bool {
			return strings.EqualFold(a.PrincipalID, id) && strings.EqualFold(a.RoleDefinitionID, c.ID)
		})
	case workflow.ChangeApp:
		role := c.AppRoleID
		if role == "" {
			role = workflow.DefaultAppRoleID
		}
		return slices.ContainsFunc(st.AppRoleAssignments, func(a graphsim.AppRoleAssignment) bool {
			return strings.EqualFold(a.PrincipalID, id) && strings.EqualFold(a.ResourceID, c.ID) && strings.EqualFold(a.AppRoleID, role)
		})
	}
	return false
}
