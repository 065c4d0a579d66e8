package graphsim

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	entity := map[string]any{
		"mail": "O'Brien@Contoso.com", "userType": "Guest", "displayName": "Ana Silva",
		"otherMails": []any{"alias@contoso.com", "ana@example.org"}, "accountEnabled": true, "jobTitle": nil,
		"proxyAddresses": []any{"SMTP:ana@contoso.com", "smtp:ana.silva@contoso.com"},
		"identities": []any{
			map[string]any{"signInType": "userPrincipalName", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": "ana_example.org#EXT#@contoso.onmicrosoft.com"},
			map[string]any{"signInType": "emailAddress", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": "ana@example.org"},
			map[string]any{"signInType": "userName", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": "ana.silva"},
			map[string]any{"signInType": "federated", "issuer": "mail", "issuerAssignedId": "ana.private@example.org"},
		},
	}
	get := func(name string) (any, bool) {
		for k, v := range entity {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	cases := []struct {
		filter   string
		want     bool
		advanced bool
	}{
		{"mail eq 'o''brien@contoso.com'", true, false},
		{"MAIL eq 'O''BRIEN@CONTOSO.COM'", true, false},
		{"mail eq 'obrien@contoso.com'", false, false},
		{"otherMails/any(x:x eq 'ALIAS@contoso.com')", true, false},
		{"otherMails/any(m: m eq 'nobody@contoso.com')", false, false},
		{"otherMails/any(x:startsWith(x,'ana@'))", true, false},
		{"mail eq 'x@y.com' or otherMails/any(x:x eq 'alias@contoso.com')", true, false},
		{"userType eq 'Guest' and (mail eq 'x@y.com' or displayName eq 'ana silva')", true, false},
		{"userType in ('Member','Guest')", true, false},
		{"accountEnabled eq true and jobTitle eq null", true, false},
		{"startswith(displayName,'an')", true, false},
		{"endsWith(mail,'contoso.com')", true, true},
		{"mail ne 'x@y.com'", true, true},
		{"not (userType eq 'Member')", true, true},
		{"proxyAddresses/any(x:x eq 'smtp:ana.silva@contoso.com')", true, false},
		{"proxyAddresses/any(x:x eq 'SMTP:ana.silva@contoso.com') or proxyAddresses/any(x:x eq 'smtp:nobody@contoso.com')", true, false},
		{"identities/any(c:c/issuerAssignedId eq 'ana@example.org' and c/issuer eq 'contoso.onmicrosoft.com')", true, false},
		// objectIdentity, "Filtering": for emailAddress and userName
		// entries the issuer is required but ignored; userPrincipalName
		// entries cannot be filtered on; federated ones need both to match.
		{"identities/any(c:c/issuerAssignedId eq 'ana@example.org' and c/issuer eq 'other.com')", true, false},
		{"identities/any(c:c/issuerAssignedId eq 'ana.silva' and c/issuer eq 'example.org')", true, false},
		{"identities/any(c:c/issuerAssignedId eq 'ana_example.org#EXT#@contoso.onmicrosoft.com' and c/issuer eq 'contoso.onmicrosoft.com')", false, false},
		{"identities/any(c:c/issuerAssignedId eq 'ana.private@example.org' and c/issuer eq 'mail')", true, false},
		{"identities/any(c:c/issuerAssignedId eq 'ana.private@example.org' and c/issuer eq 'example.org')", false, false},
		{"userPrincipalName eq 'a@b.c' or identities/any(c:c/issuerAssignedId eq 'nobody@x.org' and c/issuer eq 'contoso.onmicrosoft.com')", false, false},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			fs, err := parseFilter(c.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := fs.expr.eval(get); got != c.want {
				t.Errorf("eval = %v, want %v", got, c.want)
			}
			if fs.advanced != c.advanced {
				t.Errorf("advanced = %v, want %v", fs.advanced, c.advanced)
			}
		})
	}
	for _, bad := range []string{"mail eq 'open", "mail eq", "mail gt 'a'", "(mail eq 'a'", "otherMails/any(x:y eq 'a')", "identities/any(c:c/issuerAssignedId eq 'a')", "otherMails/any(x:otherMails/any(y:y eq 'a'))", "mail eq 'a' extra", "mail ~ 'a'", ""} {
		if _, err := parseFilter(bad); err == nil {
			t.Errorf("parseFilter(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseAddress(t *testing.T) {
	good := []string{"a@contoso.com", "first.last@contoso.co.uk", "first_last@sub.contoso.com", "a-b@contoso.com", "O'Brien@contoso.com"}
	for _, g := range good {
		if _, err := parseAddress(g); err != nil {
			t.Errorf("parseAddress(%q) = %v", g, err)
		}
	}
	bad := map[string]string{
		"":                  "empty",
		"a b@contoso.com":   "white space",
		"contoso.com":       "local@domain",
		"a@":                "local@domain",
		"a@b@contoso.com":   "more than one",
		"a+tag@contoso.com": "'+'",
		".a@contoso.com":    "'.'",
		"a.@contoso.com":    "'.'",
		"-a@contoso.com":    "'-'",
		"a..b@contoso.com":  "'..'",
		"a@contoso":         "valid domain",
		"a@contoso..com":    "valid domain",
		"a@con;toso.com":    "';'",
		"a\"b@contoso.com":  "'\"'",
		"a(b)@contoso.com":  "'('",
		"a[b]@contoso.com":  "'['",
		"a|b@contoso.com":   "'|'",
		"a?b@contoso.com":   "'?'",
		"a\\b@contoso.com":  "'\\'",
		"a/b@contoso.com":   "'/'",
		"a{b}@contoso.com":  "'{'",
		"a%b@contoso.com":   "'%'",
		"a~b@contoso.com":   "'~'",
		"a=b@contoso.com":   "'='",
		"a<b>@contoso.com":  "'<'",
		"a!b@contoso.com":   "'!'",
		"a^b@contoso.com":   "'^'",
		"a*b@contoso.com":   "'*'",
		"a&b@contoso.com":   "'&'",
		"a$b@contoso.com":   "'$'",
		"a:b@contoso.com":   "':'",
		"a,b@contoso.com":   "','",
		"a#b@contoso.com":   "'#'",
	}
	for in, want := range bad {
		_, err := parseAddress(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseAddress(%q) = %v, want an error mentioning %s", in, err, want)
		}
	}
}

func TestKnobsJSONRoundTrip(t *testing.T) {
	k := Knobs{Latency: 1500000, FailureRate: 0.5, InviteLimit: 3, InviteWindow: 2e9, ShuffleBatch: true, RetryAfter: 2}
	b, err := k.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Knobs
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, k) {
		t.Errorf("round trip: %+v != %+v (%s)", back, k, b)
	}
	if !strings.Contains(string(b), `"latency":"1.5ms"`) || !strings.Contains(string(b), `"inviteWindow":"2s"`) {
		t.Errorf("durations are not Go duration strings: %s", b)
	}
}
