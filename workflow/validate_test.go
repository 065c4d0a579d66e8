package workflow_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

const redirect = "https://myapps.microsoft.com"

func TestParsePartnerApprovedFull(t *testing.T) {
	data := `{"requestId":"PR-2026-0042","email":" Ada.Lovelace+partners@Fabrikam.com ","displayName":"Ada Lovelace",
	 "userType":"Guest","redirectUrl":"https://myapps.microsoft.com",
	 "invitation":{"send":true,"message":"Welcome","cc":"buyer@contoso.com","language":"nl-NL"},
	 "identity":{"givenName":"Ada","surname":"Lovelace"},
	 "job":{"jobTitle":"Engineer","department":"R&D","companyName":"Fabrikam","managerId":"11111111-1111-1111-1111-111111111111"},
	 "contact":{"mobilePhone":"+31 6 1234 5678","businessPhone":"+31 20 123 4567","streetAddress":"Dam 1",
	            "city":"Amsterdam","state":"NH","postalCode":"1012 JS","country":"Netherlands"},
	 "parentalControls":{"ageGroup":"Adult","consentProvidedForMinor":"NotRequired"},
	 "settings":{"usageLocation":"nl"},
	 "groups":["AAAAAAAA-0000-0000-0000-000000000001","aaaaaaaa-0000-0000-0000-000000000001"],
	 "roles":["95e79109-95c0-4d8e-aee3-d01accf2d47b"],
	 "applications":[{"servicePrincipalId":"bbbbbbbb-0000-0000-0000-000000000001"}]}`
	s, err := workflow.ParsePartnerApproved([]byte(data), redirect)
	if err != nil {
		t.Fatal(err)
	}
	if s.Email != "ada.lovelace@fabrikam.com" || s.OriginalEmail != "Ada.Lovelace+partners@Fabrikam.com" {
		t.Errorf("email = %q (original %q), want +tag removed and lower-cased", s.Email, s.OriginalEmail)
	}
	if s.Properties.UsageLocation != "NL" || s.Properties.BusinessPhone != "+31 20 123 4567" || s.Properties.DisplayName != "Ada Lovelace" {
		t.Errorf("properties = %+v", s.Properties)
	}
	if len(s.Groups) != 1 || s.Groups[0] != "aaaaaaaa-0000-0000-0000-000000000001" {
		t.Errorf("groups = %q, want one lower-cased id", s.Groups)
	}
	if len(s.Apps) != 1 || s.Apps[0].AppRoleID != workflow.DefaultAppRoleID {
		t.Errorf("apps = %+v, want default access role", s.Apps)
	}
	if !s.SendMessage || s.CC != "buyer@contoso.com" || s.Language != "nl-NL" || s.RequestID != "PR-2026-0042" {
		t.Errorf("invitation = %+v", s)
	}
}

func TestParsePartnerApprovedDefaults(t *testing.T) {
	s, err := workflow.ParsePartnerApproved([]byte(`{"requestId":"r","email":"a@b.co"}`), redirect)
	if err != nil {
		t.Fatal(err)
	}
	if s.UserType != "Guest" || s.RedirectURL != redirect || !s.SendMessage || !s.Properties.IsZero() {
		t.Errorf("defaults = %+v", s)
	}
}

func TestParsePartnerApprovedInvalid(t *testing.T) {
	ids := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"aaaaaaaa-0000-0000-0000-0000000000` + string(rune('a'+i/10)) + string(rune('0'+i%10)) + `"`)
		}
		return b.String()
	}
	cases := []struct {
		name, data, field, rule string
	}{
		{"empty", ``, "data", "required"},
		{"not json", `{"email":`, "data", "invalid JSON"},
		{"array", `[]`, "data", "must be an object"},
		{"two objects", `{"requestId":"r","email":"a@b.co"}{}`, "data", "single JSON object"},
		{"unknown field", `{"requestId":"r","email":"a@b.co","mail":"x"}`, "mail", "unknown field"},
		{"missing request", `{"email":"a@b.co"}`, "requestId", "required"},
		{"missing email", `{"requestId":"r"}`, "email", "required"},
		{"email type", `{"requestId":"r","email":5}`, "email", "must be a string"},
		{"no at", `{"requestId":"r","email":"ada.fabrikam.com"}`, "email", "exactly one @"},
		{"two at", `{"requestId":"r","email":"a@b@c.com"}`, "email", "exactly one @"},
		{"forbidden char", `{"requestId":"r","email":"ada!x@b.com"}`, "email", `must not contain '!'`},
		{"hash", `{"requestId":"r","email":"a#b@c.com"}`, "email", `must not contain '#'`},
		{"leading dot", `{"requestId":"r","email":".ada@b.com"}`, "email", "must not start or end with . or -"},
		{"trailing dash", `{"requestId":"r","email":"ada-@b.com"}`, "email", "must not start or end"},
		{"only tag", `{"requestId":"r","email":"+tag@b.com"}`, "email", "1 to 64 characters"},
		{"single label domain", `{"requestId":"r","email":"a@localhost"}`, "email", "at least two labels"},
		{"bad domain", `{"requestId":"r","email":"a@-x.com"}`, "email", "not a valid host name"},
		{"user type", `{"requestId":"r","email":"a@b.co","userType":"Admin"}`, "userType", "must be Guest or Member"},
		{"redirect", `{"requestId":"r","email":"a@b.co","redirectUrl":"myapps"}`, "redirectUrl", "absolute http(s) URL"},
		{"cc", `{"requestId":"r","email":"a@b.co","invitation":{"cc":"buyer"}}`, "invitation.cc", "exactly one @"},
		{"cc list", `{"requestId":"r","email":"a@b.co","invitation":{"cc":["a@b.co"]}}`, "invitation.cc", "must be a string"},
		{"language", `{"requestId":"r","email":"a@b.co","invitation":{"language":"Dutch!"}}`, "invitation.language", "language tag"},
		{"message length", `{"requestId":"r","email":"a@b.co","invitation":{"message":"` + strings.Repeat("x", 4001) + `"}}`, "invitation.message", "at most 4000"},
		{"given name", `{"requestId":"r","email":"a@b.co","identity":{"givenName":"` + strings.Repeat("é", 65) + `"}}`, "identity.givenName", "at most 64 characters, got 65"},
		{"job title", `{"requestId":"r","email":"a@b.co","job":{"jobTitle":"` + strings.Repeat("x", 129) + `"}}`, "job.jobTitle", "at most 128"},
		{"employee id", `{"requestId":"r","email":"a@b.co","job":{"employeeId":"12345678901234567"}}`, "job.employeeId", "at most 16"},
		{"manager id", `{"requestId":"r","email":"a@b.co","job":{"managerId":"bob"}}`, "job.managerId", "GUID"},
		{"postal code", `{"requestId":"r","email":"a@b.co","contact":{"postalCode":"` + strings.Repeat("1", 41) + `"}}`, "contact.postalCode", "at most 40"},
		{"street", `{"requestId":"r","email":"a@b.co","contact":{"streetAddress":"` + strings.Repeat("s", 1025) + `"}}`, "contact.streetAddress", "at most 1024"},
		{"age group", `{"requestId":"r","email":"a@b.co","parentalControls":{"ageGroup":"Child"}}`, "parentalControls.ageGroup", "Minor, NotAdult, Adult"},
		{"consent", `{"requestId":"r","email":"a@b.co","parentalControls":{"consentProvidedForMinor":"Yes"}}`, "parentalControls.consentProvidedForMinor", "Granted, Denied, NotRequired"},
		{"usage location", `{"requestId":"r","email":"a@b.co","settings":{"usageLocation":"NLD"}}`, "settings.usageLocation", "two-letter"},
		{"group id", `{"requestId":"r","email":"a@b.co","groups":["sales"]}`, "groups[0]", "GUID"},
		{"21 groups", `{"requestId":"r","email":"a@b.co","groups":[` + ids(21) + `]}`, "groups", "at most 20 entries, got 21"},
		{"21 roles", `{"requestId":"r","email":"a@b.co","roles":[` + ids(21) + `]}`, "roles", "at most 20 entries, got 21"},
		{"app without sp", `{"requestId":"r","email":"a@b.co","applications":[{"appRoleId":"00000000-0000-0000-0000-000000000000"}]}`, "applications[0].servicePrincipalId", "required"},
		{"app role id", `{"requestId":"r","email":"a@b.co","applications":[{"servicePrincipalId":"bbbbbbbb-0000-0000-0000-000000000001","appRoleId":"reader"}]}`, "applications[0].appRoleId", "GUID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := workflow.ParsePartnerApproved([]byte(tc.data), redirect)
			var ve *workflow.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want a ValidationError", err)
			}
			if ve.Field != tc.field || !strings.Contains(ve.Rule, tc.rule) {
				t.Fatalf("got field %q rule %q, want field %q rule containing %q", ve.Field, ve.Rule, tc.field, tc.rule)
			}
			if !workflow.IsPermanent(err) {
				t.Fatal("validation errors must be permanent")
			}
		})
	}
}
