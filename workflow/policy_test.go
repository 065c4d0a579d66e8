package workflow_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

const (
	groupA      = "aaaaaaaa-0000-0000-0000-000000000001"
	groupB      = "aaaaaaaa-0000-0000-0000-000000000002"
	guestInv    = "95e79109-95c0-4d8e-aee3-d01accf2d47b"
	globalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	appA        = "bbbbbbbb-0000-0000-0000-000000000001"
)

func TestPolicyCheck(t *testing.T) {
	base := workflow.Policy{AllowedGroups: []string{groupA}, AllowedRoles: []string{guestInv, globalAdmin}, AllowedApps: []string{appA}}
	spec := func(mut func(*workflow.Spec)) workflow.Spec {
		s := workflow.Spec{Email: "ada@fabrikam.com", Groups: []string{groupA}, Roles: []string{guestInv}, Apps: []workflow.AppAssignment{{ServicePrincipalID: appA}}}
		mut(&s)
		return s
	}
	cases := []struct {
		name   string
		policy func(*workflow.Policy)
		spec   func(*workflow.Spec)
		field  string // "" = allowed
		rule   string
	}{
		{"allowed", nil, nil, "", ""},
		{"group not allowed", nil, func(s *workflow.Spec) { s.Groups = append(s.Groups, groupB) }, "groups[1]", "not in POLICY_ALLOWED_GROUPS"},
		{"wildcard groups", func(p *workflow.Policy) { p.AllowedGroups = []string{"*"} }, func(s *workflow.Spec) { s.Groups = []string{groupB} }, "", ""},
		{"empty list allows nothing", func(p *workflow.Policy) { p.AllowedApps = nil }, nil, "applications[0].servicePrincipalId", "not in POLICY_ALLOWED_APPS"},
		{"privileged refused even when allowed", nil, func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "roles[0]", "Global Administrator) is privileged"},
		{"privileged explicitly allowed", func(p *workflow.Policy) { p.AllowedPrivilegedRoles = []string{globalAdmin} }, func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "", ""},
		{"privileged allowed but not in roles", func(p *workflow.Policy) {
			p.AllowedPrivilegedRoles = []string{globalAdmin}
			p.AllowedRoles = []string{guestInv}
		}, func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "roles[0]", "not in POLICY_ALLOWED_ROLES"},
		{"blocked domain", func(p *workflow.Policy) { p.BlockedDomains = []string{"fabrikam.com"} }, nil, "email", "is blocked"},
		{"blocked parent domain", func(p *workflow.Policy) { p.BlockedDomains = []string{"fabrikam.com"} }, func(s *workflow.Spec) { s.Email = "a@eu.fabrikam.com" }, "email", "is blocked"},
		{"allowed domains miss", func(p *workflow.Policy) { p.AllowedDomains = []string{"contoso.com"} }, nil, "email", "not in POLICY_ALLOWED_DOMAINS"},
		{"allowed domains hit", func(p *workflow.Policy) { p.AllowedDomains = []string{"contoso.com", "fabrikam.com"} }, nil, "", ""},
		{"look-alike domain", func(p *workflow.Policy) { p.AllowedDomains = []string{"fabrikam.com"} }, func(s *workflow.Spec) { s.Email = "a@evilfabrikam.com" }, "email", "not in POLICY_ALLOWED_DOMAINS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			if tc.policy != nil {
				tc.policy(&p)
			}
			s := spec(func(*workflow.Spec) {})
			if tc.spec != nil {
				tc.spec(&s)
			}
			err := p.Check(s)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Check = %v, want allowed", err)
				}
				return
			}
			var pe *workflow.PolicyError
			if !errors.As(err, &pe) || pe.Field != tc.field || !strings.Contains(pe.Rule, tc.rule) {
				t.Fatalf("Check = %v, want field %q rule containing %q", err, tc.field, tc.rule)
			}
		})
	}
}

func TestPolicySources(t *testing.T) {
	p := workflow.Policy{AllowedSources: []string{"/procurement/partners"}}
	if err := p.CheckSource("/procurement/partners"); err != nil {
		t.Error(err)
	}
	if err := p.CheckSource("/elsewhere"); err == nil || !strings.Contains(err.Error(), "POLICY_ALLOWED_SOURCES") {
		t.Errorf("CheckSource(/elsewhere) = %v", err)
	}
	if err := (workflow.Policy{}).CheckSource("/procurement/partners"); err == nil {
		t.Error("unset allow-list must allow no source")
	}
}
