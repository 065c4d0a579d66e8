package workflow_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

const (
	groupA       = "aaaaaaaa-0000-0000-0000-000000000001"
	groupB       = "aaaaaaaa-0000-0000-0000-000000000002"
	guestInv     = "95e79109-95c0-4d8e-aee3-d01accf2d47b"
	globalAdmin  = "62e90394-69f5-4237-9190-012177145e10"
	globalReader = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	customRole   = "c0570000-0000-4000-8000-000000000001" // not a built-in role
	appA         = "bbbbbbbb-0000-0000-0000-000000000001"
	appB         = "bbbbbbbb-0000-0000-0000-000000000002"
	roleReader   = "cccccccc-0000-0000-0000-000000000001"
	roleAdmin    = "cccccccc-0000-0000-0000-000000000002"
)

func TestPolicyCheck(t *testing.T) {
	base := workflow.Policy{AllowedGroups: []string{groupA}, AllowedRoles: []string{guestInv, globalAdmin}, AllowedApps: []string{appA}}
	spec := func(mut func(*workflow.Spec)) workflow.Spec {
		s := workflow.Spec{Email: "ada@fabrikam.com", UserType: "Guest", RedirectURL: "https://myapps.microsoft.com",
			Groups: []string{groupA}, Roles: []string{guestInv}, Apps: []workflow.AppAssignment{{ServicePrincipalID: appA, AppRoleID: workflow.DefaultAppRoleID}}}
		mut(&s)
		return s
	}
	apps := func(a ...workflow.AppAssignment) func(*workflow.Spec) { return func(s *workflow.Spec) { s.Apps = a } }
	app := func(sp, role string) workflow.AppAssignment {
		return workflow.AppAssignment{ServicePrincipalID: sp, AppRoleID: role}
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

		// privileged roles
		{"privileged refused even when allowed", nil, func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "roles[0]", "Global Administrator) is privileged"},
		{"privileged explicitly allowed", func(p *workflow.Policy) { p.AllowedPrivilegedRoles = []string{globalAdmin} }, func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "", ""},
		{"privileged allowed but not in roles", func(p *workflow.Policy) {
			p.AllowedPrivilegedRoles = []string{globalAdmin}
			p.AllowedRoles = []string{guestInv}
		}, func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "roles[0]", "not in POLICY_ALLOWED_ROLES"},
		{"* in roles never includes Global Reader", func(p *workflow.Policy) { p.AllowedRoles = []string{"*"} },
			func(s *workflow.Spec) { s.Roles = []string{globalReader} }, "roles[0]", "Global Reader) is privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES"},
		{"* in roles still allows a non-privileged role", func(p *workflow.Policy) { p.AllowedRoles = []string{"*"} }, nil, "", ""},
		{"* in privileged roles allows none", func(p *workflow.Policy) {
			p.AllowedRoles, p.AllowedPrivilegedRoles = []string{"*"}, []string{"*"}
		}, func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "roles[0]", "is privileged"},
		{"custom role counts as privileged", func(p *workflow.Policy) { p.AllowedRoles = []string{"*"} },
			func(s *workflow.Spec) { s.Roles = []string{customRole} }, "roles[0]", "custom or unknown roles count as privileged"},
		{"custom role explicitly allowed", func(p *workflow.Policy) {
			p.AllowedRoles, p.AllowedPrivilegedRoles = []string{"*"}, []string{customRole}
		}, func(s *workflow.Spec) { s.Roles = []string{customRole} }, "", ""},
		{"role ids match in any case", func(p *workflow.Policy) { p.AllowedPrivilegedRoles = []string{strings.ToUpper(globalAdmin)} },
			func(s *workflow.Spec) { s.Roles = []string{globalAdmin} }, "", ""},

		// app roles
		{"spId allows Default Access", nil, nil, "", ""},
		{"spId does not allow an app role", nil, apps(app(appA, roleAdmin)), "applications[0].appRoleId", "an entry " + appA + " allows Default Access only"},
		{"spId/appRoleId allows that role", func(p *workflow.Policy) { p.AllowedApps = []string{appA + "/" + roleReader} }, apps(app(appA, roleReader)), "", ""},
		{"spId/appRoleId allows no other role", func(p *workflow.Policy) { p.AllowedApps = []string{appA + "/" + roleReader} }, apps(app(appA, roleAdmin)), "applications[0].appRoleId", "not in POLICY_ALLOWED_APPS"},
		{"spId/appRoleId does not allow Default Access", func(p *workflow.Policy) { p.AllowedApps = []string{appA + "/" + roleReader} }, nil, "applications[0].appRoleId", "not in POLICY_ALLOWED_APPS"},
		{"spId/* allows every role", func(p *workflow.Policy) { p.AllowedApps = []string{appA + "/*"} }, apps(app(appA, roleAdmin), app(appA, workflow.DefaultAppRoleID)), "", ""},
		{"* allows Default Access anywhere", func(p *workflow.Policy) { p.AllowedApps = []string{"*"} }, apps(app(appB, workflow.DefaultAppRoleID)), "", ""},
		{"* allows no app role", func(p *workflow.Policy) { p.AllowedApps = []string{"*"} }, apps(app(appB, roleAdmin)), "applications[0].appRoleId", "not in POLICY_ALLOWED_APPS"},
		{"*/* allows everything", func(p *workflow.Policy) { p.AllowedApps = []string{"*/*"} }, apps(app(appB, roleAdmin)), "", ""},

		// user type
		{"Member refused by default", nil, func(s *workflow.Spec) { s.UserType = "Member" }, "userType", "POLICY_ALLOW_MEMBER_USER_TYPE"},
		{"Member allowed by the setting", func(p *workflow.Policy) { p.AllowMemberUserType = true }, func(s *workflow.Spec) { s.UserType = "Member" }, "", ""},

		// redirect
		{"default redirect hosts", nil, func(s *workflow.Spec) { s.RedirectURL = "https://myaccount.microsoft.com/?tenantId=x" }, "", ""},
		{"redirect host not allowed", nil, func(s *workflow.Spec) { s.RedirectURL = "https://evil.example/phish" }, "redirectUrl", `host "evil.example" is not in POLICY_ALLOWED_REDIRECT_HOSTS`},
		{"redirect look-alike with user info", nil, func(s *workflow.Spec) { s.RedirectURL = "https://myapps.microsoft.com@evil.example/" }, "redirectUrl", "without user info"},
		{"redirect over http", nil, func(s *workflow.Spec) { s.RedirectURL = "http://myapps.microsoft.com" }, "redirectUrl", "https"},
		{"redirect hosts configured", func(p *workflow.Policy) { p.AllowedRedirectHosts = []string{"portal.contoso.com"} }, func(s *workflow.Spec) { s.RedirectURL = "https://portal.contoso.com/start" }, "", ""},
		{"configured hosts replace the defaults", func(p *workflow.Policy) { p.AllowedRedirectHosts = []string{"portal.contoso.com"} }, nil, "redirectUrl", "not in POLICY_ALLOWED_REDIRECT_HOSTS"},
		{"redirect subdomain is another host", nil, func(s *workflow.Spec) { s.RedirectURL = "https://x.myapps.microsoft.com" }, "redirectUrl", "not in POLICY_ALLOWED_REDIRECT_HOSTS"},

		// domains, cc
		{"blocked domain", func(p *workflow.Policy) { p.BlockedDomains = []string{"fabrikam.com"} }, nil, "email", "is blocked"},
		{"blocked parent domain", func(p *workflow.Policy) { p.BlockedDomains = []string{"fabrikam.com"} }, func(s *workflow.Spec) { s.Email = "a@eu.fabrikam.com" }, "email", "is blocked"},
		{"allowed domains miss", func(p *workflow.Policy) { p.AllowedDomains = []string{"contoso.com"} }, nil, "email", "not in POLICY_ALLOWED_DOMAINS"},
		{"allowed domains hit", func(p *workflow.Policy) { p.AllowedDomains = []string{"contoso.com", "fabrikam.com"} }, nil, "", ""},
		{"look-alike domain", func(p *workflow.Policy) { p.AllowedDomains = []string{"fabrikam.com"} }, func(s *workflow.Spec) { s.Email = "a@evilfabrikam.com" }, "email", "not in POLICY_ALLOWED_DOMAINS"},
		{"cc unrestricted without domain rules", nil, func(s *workflow.Spec) { s.CC = "buyer@anywhere.example" }, "", ""},
		{"cc follows the invitee's allowed domains", func(p *workflow.Policy) { p.AllowedDomains = []string{"fabrikam.com"} },
			func(s *workflow.Spec) { s.CC = "thief@evil.example" }, "invitation.cc", "not in POLICY_ALLOWED_DOMAINS (which applies to invitation.cc"},
		{"cc blocked domain", func(p *workflow.Policy) { p.BlockedDomains = []string{"evil.example"} }, func(s *workflow.Spec) { s.CC = "thief@evil.example" }, "invitation.cc", "is blocked"},
		{"cc domains configured", func(p *workflow.Policy) { p.AllowedCCDomains = []string{"contoso.com"} }, func(s *workflow.Spec) { s.CC = "buyer@Contoso.com" }, "", ""},
		{"cc domains configured miss", func(p *workflow.Policy) { p.AllowedCCDomains = []string{"contoso.com"} }, func(s *workflow.Spec) { s.CC = "buyer@fabrikam.com" }, "invitation.cc", "not in POLICY_ALLOWED_CC_DOMAINS"},
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
			if !workflow.IsPermanent(err) {
				t.Fatal("policy errors must be permanent")
			}
		})
	}
}

// TestPolicyCheckReportsEveryViolation: one refusal lists all of them.
func TestPolicyCheckReportsEveryViolation(t *testing.T) {
	p := workflow.Policy{AllowedRoles: []string{"*"}, AllowedDomains: []string{"fabrikam.com"}}
	s := workflow.Spec{Email: "ada@fabrikam.com", UserType: "Member", RedirectURL: "http://evil.example", CC: "x@evil.example",
		Groups: []string{groupA}, Roles: []string{globalReader, guestInv, customRole}, Apps: []workflow.AppAssignment{{ServicePrincipalID: appA}}}
	err := p.Check(s)
	want := []string{"userType", "redirectUrl", "invitation.cc", "groups[0]", "roles[0]", "roles[2]", "applications[0].servicePrincipalId"}
	var got []string
	for _, e := range err.(workflow.ErrorList) {
		var pe *workflow.PolicyError
		if !errors.As(e, &pe) {
			t.Fatalf("member %v is not a PolicyError", e)
		}
		got = append(got, pe.Field)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields %q, want %q (error %v)", got, want, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("the reason must stay one line: %q", err)
	}
}

func TestPolicyCheckChange(t *testing.T) {
	p := workflow.Policy{AllowedGroups: []string{groupA}, AllowedRoles: []string{"*"}, AllowedApps: []string{appA + "/" + roleReader}}
	cases := []struct {
		c     workflow.Change
		field string // "" = allowed
		rule  string
	}{
		{workflow.Change{Kind: workflow.ChangeGroup, ID: groupA}, "", ""},
		{workflow.Change{Kind: workflow.ChangeGroup, ID: groupB}, "group:" + groupB, "not in POLICY_ALLOWED_GROUPS"},
		{workflow.Change{Kind: workflow.ChangeRole, ID: guestInv}, "", ""},
		{workflow.Change{Kind: workflow.ChangeRole, ID: globalReader}, "role:" + globalReader, "Global Reader) is privileged"},
		{workflow.Change{Kind: workflow.ChangeApp, ID: appA, AppRoleID: roleReader}, "", ""},
		{workflow.Change{Kind: workflow.ChangeApp, ID: appA, AppRoleID: roleAdmin}, "app:" + appA + "/" + roleAdmin, "not in POLICY_ALLOWED_APPS"},
		{workflow.Change{Kind: workflow.ChangeApp, ID: appB, AppRoleID: workflow.DefaultAppRoleID}, "app:" + appB + "/" + workflow.DefaultAppRoleID, "application " + appB + " is not in POLICY_ALLOWED_APPS"},
		{workflow.Change{Kind: workflow.ChangeProperties}, "", ""},
		{workflow.Change{Kind: workflow.ChangeManager, ID: groupB}, "", ""},
		{workflow.Change{Kind: "sponsor-ish", ID: groupB}, "sponsor-ish:" + groupB, "unknown kind of change"},
	}
	for _, tc := range cases {
		err := p.CheckChange(tc.c)
		if tc.field == "" {
			if err != nil {
				t.Errorf("CheckChange(%s) = %v, want allowed", tc.c.Key(), err)
			}
			continue
		}
		var pe *workflow.PolicyError
		if !errors.As(err, &pe) || pe.Field != tc.field || !strings.Contains(pe.Rule, tc.rule) {
			t.Errorf("CheckChange(%s) = %v, want field %q rule containing %q", tc.c.Key(), err, tc.field, tc.rule)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := workflow.Policy{AllowedPrivilegedRoles: []string{globalAdmin}, AllowedApps: []string{appA, appA + "/" + roleReader, appB + "/*", "*", "*/*"},
		AllowedRedirectHosts: []string{"myapps.microsoft.com", "portal.contoso.com:8443", "*"}}
	if errs := ok.Validate(); len(errs) != 0 {
		t.Fatalf("Validate = %v", errs)
	}
	bad := workflow.Policy{AllowedPrivilegedRoles: []string{"*", "Global Administrator"},
		AllowedApps:          []string{"wiki", appA + "/reader", appA + "/"},
		AllowedRedirectHosts: []string{"https://myapps.microsoft.com", "localhost"}}
	want := []string{"POLICY_ALLOWED_PRIVILEGED_ROLES: `*` is not allowed", "POLICY_ALLOWED_PRIVILEGED_ROLES: entries must be role definition ids",
		`POLICY_ALLOWED_APPS: entries must be spId, spId/appRoleId or spId/* (ids are GUIDs, spId may be *), got "wiki"`, "/reader", appA + `/"`,
		"POLICY_ALLOWED_REDIRECT_HOSTS: entries must be host names", `"localhost"`}
	errs := bad.Validate()
	if len(errs) != 7 {
		t.Fatalf("Validate = %d problems, want 7: %v", len(errs), errs)
	}
	all := workflow.JoinErrors(errs...).Error()
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("problems %q lack %q", all, w)
		}
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
	if err := p.CheckSource("/x\n[forged]"); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("CheckSource must quote the source: %q", err)
	}
	if err := (workflow.Policy{}).CheckSource("/procurement/partners"); err == nil {
		t.Error("unset allow-list must allow no source")
	}
}
