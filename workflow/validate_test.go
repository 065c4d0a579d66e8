package workflow_test

import (
	"errors"
	"fmt"
	"reflect"
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
		{"redirect", `{"requestId":"r","email":"a@b.co","redirectUrl":"myapps"}`, "redirectUrl", "absolute https URL"},
		{"redirect over http", `{"requestId":"r","email":"a@b.co","redirectUrl":"http://myapps.microsoft.com"}`, "redirectUrl", "absolute https URL"},
		{"redirect with user info", `{"requestId":"r","email":"a@b.co","redirectUrl":"https://myapps.microsoft.com@evil.example"}`, "redirectUrl", "without user info"},

		// what encoding/json accepts silently
		{"duplicate key", `{"requestId":"r","email":"a@b.co","email":"boss@contoso.com"}`, "email", "duplicate key"},
		{"key in another case", `{"requestId":"r","Email":"a@b.co"}`, "Email", `names are case-sensitive, did you mean "email"?`},
		{"same key in two cases", `{"requestId":"r","email":"a@b.co","EMAIL":"boss@contoso.com"}`, "EMAIL", `duplicates "email" in another case`},
		{"nested duplicate", `{"requestId":"r","email":"a@b.co","job":{"jobTitle":"a","jobTitle":"b"}}`, "job.jobTitle", "duplicate key"},
		{"invalid UTF-8", "{\"requestId\":\"r\",\"email\":\"a@b.co\",\"displayName\":\"\xff\"}", "data", "valid UTF-8"},
		{"deep nesting", `{"requestId":"r","email":"a@b.co","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "x", "unknown field"},
		{"unknown key with a line break", `{"requestId":"r","email":"a@b.co","a\nb":1}`, `"a\nb"`, "unknown field"},

		// text that hides or reorders what a reader sees
		{"control in a name", `{"requestId":"r","email":"a@b.co","displayName":"Ada\u0007"}`, "displayName", "control character U+0007"},
		{"line break in a name", `{"requestId":"r","email":"a@b.co","identity":{"surname":"Love\nlace"}}`, "identity.surname", "control character U+000A"},
		{"C1 control", `{"requestId":"r","email":"a@b.co","job":{"department":"R\u0085D"}}`, "job.department", "control character U+0085"},
		{"bidi override", `{"requestId":"r","email":"a@b.co","displayName":"Ada \u202Egnp.exe"}`, "displayName", "bidirectional control U+202E"},
		{"bidi isolate", `{"requestId":"r","email":"a@b.co","contact":{"city":"\u2067Amsterdam"}}`, "contact.city", "bidirectional control U+2067"},
		{"zero-width space", `{"requestId":"r","email":"a@b.co","job":{"companyName":"Fab\u200Brikam"}}`, "job.companyName", "invisible (zero-width or format) character U+200B"},
		{"BOM", `{"requestId":"\uFEFFr","email":"a@b.co"}`, "requestId", "U+FEFF"},
		{"bidi in the message", `{"requestId":"r","email":"a@b.co","invitation":{"message":"Hi\n\u202Eevil"}}`, "invitation.message", "U+202E"},
		{"line separator", `{"requestId":"r","email":"a@b.co","displayName":"A\u2028B"}`, "displayName", "line separator"},
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

// TestParsePartnerApprovedReportsEveryField: one reply names every invalid
// field with its rule, in document order, and errors.As still works.
func TestParsePartnerApprovedReportsEveryField(t *testing.T) {
	data := `{"requestId":"","email":"ada@@fabrikam.com","userType":"Admin","Groups":[],"redirectUrl":"http://x.example",
	 "job":{"jobTitle":7,"managerId":"bob"},"contact":{"city":"A\u202eB"},"roles":["r1"],"groups":["g1"]}`
	_, err := workflow.ParsePartnerApproved([]byte(data), redirect)
	// "Groups" is unknown (case), "groups" then repeats it in another case;
	// groups[0] is not reported again under a field already refused.
	want := []string{"Groups", "job.jobTitle", "contact.city", "groups", "requestId", "email", "userType", "redirectUrl", "job.managerId", "roles[0]"}
	list, ok := err.(workflow.ErrorList)
	if !ok {
		t.Fatalf("error %T %v, want an ErrorList", err, err)
	}
	var got []string
	for _, e := range list {
		var ve *workflow.ValidationError
		if !errors.As(e, &ve) || ve.Rule == "" {
			t.Fatalf("member %v is not a ValidationError with a rule", e)
		}
		got = append(got, ve.Field)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fields %q\nwant   %q", got, want)
	}
	var ve *workflow.ValidationError
	if !errors.As(err, &ve) || !workflow.IsPermanent(err) {
		t.Error("errors.As must find the first ValidationError, and the list must be permanent")
	}
	if msg := err.Error(); strings.Contains(msg, "ada@@") || strings.Contains(msg, "ada@") || !strings.Contains(msg, `a***@fabrikam.com`) || strings.Contains(msg, "\n") {
		t.Errorf("the reason must mask the invalid address and stay one line: %q", msg)
	}
}

func TestParsePartnerApprovedAcceptsReadableText(t *testing.T) {
	data := `{"requestId":"r","email":"a@b.co","displayName":"Zoë Ørsted-Ñúñez 山田 عائشة","invitation":{"message":"Dear Zoë,\r\n\tWelcome!"}}`
	s, err := workflow.ParsePartnerApproved([]byte(data), redirect)
	if err != nil {
		t.Fatal(err)
	}
	if s.Message != "Dear Zoë,\r\n\tWelcome!" || s.DisplayName != "Zoë Ørsted-Ñúñez 山田 عائشة" {
		t.Errorf("spec = %+v", s)
	}
}

// TestParsePartnerApprovedBoundsTheReason: a hostile event cannot make the
// stored reason huge: values are cut, problems capped.
func TestParsePartnerApprovedBoundsTheReason(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"requestId":"r","email":"a@b.co","userType":"` + strings.Repeat("A", 100000) + `"`)
	for i := range 500 {
		fmt.Fprintf(&b, `,"x%d":1`, i)
	}
	b.WriteString("}")
	_, err := workflow.ParsePartnerApproved([]byte(b.String()), redirect)
	if err == nil || len(err.Error()) > 4000 || !strings.Contains(err.Error(), "more problems not listed") {
		t.Fatalf("reason of %d bytes: %.300s", len(err.Error()), err)
	}
}

func TestCheckJSONReminderData(t *testing.T) {
	typ := reflect.TypeFor[workflow.ReminderData]()
	for data, want := range map[string]string{
		`{"key":"a@b.co","number":1,"cycle":0,"requestId":"r"}`: "",
		`{"key":"a@b.co","number":1.5}`:                         "number: must be an integer",
		`{"key":"a@b.co","number":99999999999999999999}`:        "number: must be an integer",
		`{"key":"a@b.co","number":"1"}`:                         "number: must be an integer, got a string",
		`{"key":"a@b.co","number":1,"number":4}`:                "number: duplicate key",
		`{"key":"a@b.co\nforged","number":1}`:                   "key: must not contain the control character U+000A",
		`{"key":"a@b.co","Number":1}`:                           `Number: unknown field: names are case-sensitive, did you mean "number"?`,
		`{"key":"a@b.co","number":1,"attempt":9}`:               "attempt: unknown field",
		`[1]`:                     "data: must be an object, got an array",
		`{"key":"a"} {"key":"b"}`: "data: must be a single JSON object",
		`{"key":`:                 "data: invalid JSON",
		`{"key":"a","deep":` + strings.Repeat("[", 40) + `1` + strings.Repeat("]", 40) + `}`: "deep: unknown field",
	} {
		problems, _ := workflow.CheckJSON([]byte(data), typ)
		got := fmt.Sprint(workflow.JoinErrors(problems...))
		if want == "" && len(problems) > 0 || want != "" && !strings.Contains(got, want) {
			t.Errorf("CheckJSON(%.60q) = %s, want %q", data, got, want)
		}
	}
	// without a type only keys are checked, at any depth within the bound
	if p, _ := workflow.CheckJSON([]byte(`{"a":{"b":1,"B":2},"c":[{"d":1,"d":2}]}`), nil); len(p) != 2 {
		t.Errorf("untyped CheckJSON = %v, want the two repeated keys", p)
	}
	if p, ok := workflow.CheckJSON([]byte(strings.Repeat("[", 100)+strings.Repeat("]", 100)), nil); ok || !strings.Contains(fmt.Sprint(p), "nested deeper than 32 levels") {
		t.Errorf("deep untyped document: %v %v", p, ok)
	}
}
