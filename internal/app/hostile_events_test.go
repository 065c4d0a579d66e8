package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// hostileCase is one malformed or hostile delivery and the refusal it
// must get: the reason names field and contains rule. ignorable cases
// (forged reminders for onboardings that do not exist) may instead be
// completed as ignored.
type hostileCase struct {
	name        string
	env         []byte
	messageID   string // "" when the envelope carries none
	field, rule string
	ignorable   bool
}

// TestHostileBadInputThroughServe sends several hundred malformed or hostile
// events through serve's handler against graphsim: broken JSON, wrong
// types, huge strings, Unicode tricks, repeated keys, policy violations,
// broken envelopes, bad base64, both data forms, forged and malformed
// reminders, oversized bodies. None may panic, none may write to the
// tenant, and every refusal must name its field and rule. A control event
// at the end shows the same setup does write when the event is valid.
func TestHostileBadInputThroughServe(t *testing.T) {
	h := newHarness(t, "POLICY_ALLOWED_APPS", graphsim.SampleSPWiki+","+graphsim.SampleSPPartnerPortal+"/"+graphsim.SampleAppRolePortalReader,
		"POLICY_ALLOWED_ROLES", graphsim.RoleGuestInviter)
	if _, err := workflow.ParsePartnerApproved([]byte(eveData), "https://myapps.microsoft.com"); err != nil {
		t.Fatalf("the base event must be valid: %v", err)
	}
	cases := hostileCases(t)

	var refused, ignored, panics, unnamed int
	writesBefore := graphWrites(h.sim)
	for _, c := range cases {
		o := h.try(t, c.messageID, c.env)
		switch {
		case strings.Contains(o.logs, "panic") || strings.Contains(o.logs, "internal error"):
			panics++
			t.Errorf("%s: panic: %s", c.name, o.logs)
		case c.ignorable && o.status == http.StatusOK && strings.Contains(o.logs, "ignored"):
			ignored++
		case o.status != http.StatusInternalServerError:
			t.Errorf("%s: status %d, want a refusal: %s", c.name, o.status, o.logs)
		default:
			refused++
			// the reply always carries the reason; the failure log too
			// whenever the message has an id to record it under
			named := strings.Contains(o.logs, c.field+": ") && strings.Contains(o.logs, c.rule)
			if c.messageID != "" {
				named = named && strings.Contains(o.reason, c.field+": ") && strings.Contains(o.reason, c.rule)
			}
			if !named {
				unnamed++
				t.Errorf("%s: refusal does not name field %q and rule %q:\n reason %.400q\n reply %.400q", c.name, c.field, c.rule, o.reason, o.logs)
			}
		}
	}
	writes := graphWrites(h.sim) - writesBefore
	t.Logf("hostile events: %d sent through serve, %d refused naming field and rule, %d forged reminders ignored, %d refusals without field or rule, %d panics, %d Graph writes",
		len(cases), refused, ignored, unnamed, panics, writes)
	if len(cases) < 300 || panics != 0 || writes != 0 || unnamed != 0 || refused+ignored != len(cases) {
		t.Fatalf("want ≥ 300 events, 0 panics, 0 Graph writes, every one refused with field and rule or ignored; Graph requests: %v", h.sim.RequestCounts())
	}

	// control: the same harness writes for the valid base event
	o := h.try(t, "msg-valid", envelope(t, cloudEvent("partner-approved", "ev-valid", eveData), true, "msg-valid", 1, structuredCT, nil))
	if o.status != http.StatusOK || graphWrites(h.sim) == 0 {
		t.Fatalf("the valid base event: status %d, %d writes: %s", o.status, graphWrites(h.sim), o.logs)
	}
}

// hostileCases builds the events of TestHostileBadInputThroughServe.
func hostileCases(t *testing.T) []hostileCase {
	var cases []hostileCase
	add := func(name string, env func(id string) []byte, field, rule string) {
		id := fmt.Sprintf("hostile-%03d", len(cases))
		cases = append(cases, hostileCase{name: name, env: env(id), messageID: id, field: field, rule: rule})
	}
	event := func(data string) func(id string) []byte {
		return func(id string) []byte {
			return envelope(t, cloudEvent("partner-approved", "ev-"+id, data), true, id, 1, structuredCT, nil)
		}
	}
	body := func(b []byte, binary bool, ct string, props map[string]any) func(id string) []byte {
		return func(id string) []byte { return envelope(t, b, binary, id, 1, ct, props) }
	}

	// Unicode tricks in every text field: controls (C0, C1, DEL), bidi
	// controls, zero-width and other invisible characters, separators,
	// noncharacters. The invitation message may hold tab, CR and LF only.
	textFields := []string{"requestId", "displayName", "identity.givenName", "identity.surname", "job.jobTitle", "job.department",
		"job.companyName", "job.employeeId", "contact.mobilePhone", "contact.businessPhone", "contact.streetAddress", "contact.city",
		"contact.state", "contact.postalCode", "contact.country", "invitation.message"}
	badRunes := []rune{0x00, 0x07, 0x0A, 0x1B, 0x7F, 0x85, 0x9B, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD,
		0x202A, 0x202E, 0x2066, 0x2069, 0x200F, 0x061C, 0x2028, 0xFFFF}
	for _, f := range textFields {
		for _, r := range badRunes {
			if f == "invitation.message" && r == 0x0A {
				continue
			}
			add(fmt.Sprintf("%s with %U", f, r), event(withField(t, f, "E"+string(r)+"1")), f, fmt.Sprintf("%U", r))
		}
	}

	// wrong JSON types
	for _, w := range []struct {
		path  string
		value any
		field string
		rule  string
	}{
		{"requestId", 42, "requestId", "must be a string, got a number"},
		{"email", []any{"eve@fabrikam.com"}, "email", "must be a string, got an array"},
		{"displayName", map[string]any{"first": "Eve"}, "displayName", "must be a string, got an object"},
		{"userType", true, "userType", "must be a string, got a boolean"},
		{"redirectUrl", 1.5, "redirectUrl", "must be a string, got a number"},
		{"invitation", "send it", "invitation", "must be an object, got a string"},
		{"invitation.send", "yes", "invitation.send", "must be a boolean, got a string"},
		{"invitation.cc", []any{"a@b.co", "c@d.co"}, "invitation.cc", "must be a string, got an array"},
		{"identity", 7, "identity", "must be an object, got a number"},
		{"job.managerId", 5, "job.managerId", "must be a string, got a number"},
		{"contact", []any{}, "contact", "must be an object, got an array"},
		{"settings.usageLocation", []any{"NL"}, "settings.usageLocation", "must be a string, got an array"},
		{"groups", graphsim.SampleGroupPartners, "groups", "must be an array, got a string"},
		{"groups.0", 5, "groups[0]", "must be a string, got a number"},
		{"roles", map[string]any{"0": graphsim.RoleGuestInviter}, "roles", "must be an array, got an object"},
		{"applications", "wiki", "applications", "must be an array, got a string"},
		{"applications.0", graphsim.SampleSPWiki, "applications[0]", "must be an object, got a string"},
		{"applications.0.servicePrincipalId", true, "applications[0].servicePrincipalId", "must be a string, got a boolean"},
		{"parentalControls", "Adult", "parentalControls", "must be an object, got a string"},
	} {
		add("type of "+w.path, event(withField(t, w.path, w.value)), w.field, w.rule)
	}

	// huge strings, and lengths one past Graph's limits
	for _, l := range []struct {
		path string
		n    int
		rule string
	}{
		{"displayName", 257, "at most 256 characters, got 257"},
		{"displayName", 300 << 10, "at most 256 characters, got 307200"},
		{"requestId", 100 << 10, "at most 256 characters"},
		{"identity.givenName", 65, "at most 64 characters"},
		{"job.jobTitle", 129, "at most 128 characters"},
		{"job.employeeId", 17, "at most 16 characters"},
		{"contact.postalCode", 41, "at most 40 characters"},
		{"contact.streetAddress", 1025, "at most 1024 characters"},
		{"invitation.message", 4001, "at most 4000 characters"},
		{"invitation.message", 200 << 10, "at most 4000 characters"},
	} {
		add(fmt.Sprintf("%s of %d characters", l.path, l.n), event(withField(t, l.path, strings.Repeat("é", l.n))), l.path, l.rule)
	}
	add("a name of 300 combining marks", event(withField(t, "displayName", "E"+strings.Repeat("\u0301", 300))), "displayName", "at most 256 characters")
	add("400 groups", event(withField(t, "groups", manyIDs(400))), "groups", "at most 20 entries, got 400")
	add("21 applications", event(withField(t, "applications", manyApps(21))), "applications", "at most 20 entries, got 21")

	// addresses
	for _, e := range []struct{ email, rule string }{
		{"eve@@fabrikam.com", `must contain exactly one @, got "e***@fabrikam.com"`},
		{"eve\uff20fabrikam.com", "must contain exactly one @"},
		{"eve@f\u0430brikam.com", "is not a valid host name"}, // Cyrillic а
		{"eve@fabrikam.com\u0000", "must not contain the control character U+0000"},
		{"e ve@fabrikam.com", "must not contain ' '"},
		{"<script>@fabrikam.com", "must not contain '<'"},
		{"eve@localhost", "must have at least two labels"},
		{".eve@fabrikam.com", "must not start or end with . or -"},
		{strings.Repeat("e", 65) + "@fabrikam.com", "1 to 64 characters"},
		{"", "required"},
	} {
		add("email "+e.email, event(withField(t, "email", e.email)), "email", e.rule)
	}
	add("cc without @", event(withField(t, "invitation.cc", "buyer")), "invitation.cc", "exactly one @")
	add("manager not a GUID", event(withField(t, "job.managerId", "megan")), "job.managerId", "must be an object id (GUID)")
	add("group not a GUID", event(withField(t, "groups", []any{"Partners"})), "groups[0]", "must be an object id (GUID)")
	add("bad language tag", event(withField(t, "invitation.language", "en-US; DROP")), "invitation.language", "must be a language tag")
	add("bad usage location", event(withField(t, "settings.usageLocation", "Netherlands")), "settings.usageLocation", "two-letter")
	add("bad age group", event(withField(t, "parentalControls", map[string]any{"ageGroup": "Toddler"})), "parentalControls.ageGroup", "must be one of Minor, NotAdult, Adult")

	// repeated keys, keys in another case, unknown keys (the handler checks
	// the whole CloudEvent, so keys inside data are named under it)
	for _, k := range []string{"requestId", "email", "displayName", "groups", "roles", "applications"} {
		add(k+" twice", event(replaceOnce(t, `"`+k+`":`, `"`+k+`":null,"`+k+`":`)), "cloudevent.data."+k, "duplicate key")
		up := strings.ToUpper(k[:1]) + k[1:]
		add(k+" twice in two cases", event(replaceOnce(t, `"`+k+`":`, `"`+up+`":null,"`+k+`":`)), "cloudevent.data."+k, `duplicates "`+up+`" in another case`)
	}
	add("jobTitle twice", event(replaceOnce(t, `"jobTitle":`, `"jobTitle":"CEO","jobTitle":`)), "cloudevent.data.job.jobTitle", "duplicate key")
	add("EMAIL instead of email", event(replaceOnce(t, `"email":`, `"EMAIL":`)), "EMAIL", `names are case-sensitive, did you mean "email"?`)
	for _, k := range []struct{ key, field string }{
		{"isAdmin", "isAdmin"}, {"__proto__", "__proto__"}, {"mail", "mail"},
		{"roles ", `"roles "`}, {"e\u0301mail", "\"e\u0301mail\""}, {"\u202eliame", `"\u202eliame"`},
	} {
		add("unknown key "+k.key, event(replaceOnce(t, `"email":`, `"`+k.key+`":true,"email":`)), k.field, "unknown field")
	}

	// well-formed events the policy refuses
	for _, p := range []struct {
		path        string
		value       any
		field, rule string
	}{
		{"roles", []any{graphsim.RoleGlobalAdministrator}, "roles[0]", "(Global Administrator) is privileged"},
		{"roles", []any{globalReader}, "roles[0]", "(Global Reader) is privileged"},
		{"roles", []any{customRole}, "roles[0]", "custom or unknown roles count as privileged"},
		{"roles", []any{graphsim.RoleDirectoryReaders}, "roles[0]", "(Directory Readers) is not in POLICY_ALLOWED_ROLES"},
		{"groups", []any{graphsim.SampleGroupSales}, "groups[0]", "not in POLICY_ALLOWED_GROUPS"},
		{"applications", []any{map[string]any{"servicePrincipalId": graphsim.SampleSPPartnerPortal, "appRoleId": graphsim.SampleAppRolePortalAdmin}}, "applications[0].appRoleId", "not in POLICY_ALLOWED_APPS"},
		{"applications", []any{map[string]any{"servicePrincipalId": graphsim.SampleSPExpenses}}, "applications[0].servicePrincipalId", "not in POLICY_ALLOWED_APPS"},
		{"userType", "Member", "userType", "POLICY_ALLOW_MEMBER_USER_TYPE"},
		{"redirectUrl", "http://myapps.microsoft.com", "redirectUrl", "absolute https URL"},
		{"redirectUrl", "https://evil.example/login", "redirectUrl", "not in POLICY_ALLOWED_REDIRECT_HOSTS"},
		{"redirectUrl", "https://myapps.microsoft.com@evil.example", "redirectUrl", "without user info"},
		{"redirectUrl", "javascript:alert(1)", "redirectUrl", "absolute https URL"},
	} {
		add(fmt.Sprintf("policy: %s=%v", p.path, p.value), event(withField(t, p.path, p.value)), p.field, p.rule)
	}
	add("source not allowed", func(id string) []byte {
		b := strings.Replace(string(cloudEvent("partner-approved", "ev-"+id, eveData)), partnerSource, "/evil", 1)
		return envelope(t, []byte(b), true, id, 1, structuredCT, nil)
	}, "policy: source", `CloudEvent source "/evil" is not in POLICY_ALLOWED_SOURCES`)
	add("unknown event type", func(id string) []byte {
		return envelope(t, cloudEvent("partner-deleted", "ev-"+id, eveData), true, id, 1, structuredCT, nil)
	}, "type", `unsupported event type "partner-deleted"`)

	// broken JSON: the valid event cut short at many places
	full := cloudEvent("partner-approved", "ev-cut", eveData)
	for i := 1; i <= 24; i++ {
		add(fmt.Sprintf("event cut at %d/25", i), body(full[:len(full)*i/25], true, structuredCT, nil), "cloudevent", "not a valid CloudEvent JSON object")
	}
	for _, b := range []struct{ body, rule string }{
		{`{"specversion":"1.0",}`, "not a valid CloudEvent JSON object"},
		{`{"specversion":"1.0"`, "not a valid CloudEvent JSON object"},
		{`{'specversion':'1.0'}`, "not a valid CloudEvent JSON object"},
		{"{\"specversion\":\"1.0\",\"id\":\"\xff\xfe\"}", "must be valid UTF-8"},
	} {
		add("broken structured "+b.body, body([]byte(b.body), true, structuredCT, nil), "cloudevent", b.rule)
	}
	add("an array of events", body([]byte(`[{"specversion":"1.0"}]`), true, structuredCT, nil), "cloudevent.specversion", "no specversion")

	// the CloudEvent envelope
	ce := func(mutate func(m map[string]any)) func(id string) []byte {
		return func(id string) []byte {
			var m map[string]any
			_ = json.Unmarshal(cloudEvent("partner-approved", "ev-"+id, eveData), &m)
			mutate(m)
			b, _ := json.Marshal(m)
			return envelope(t, b, true, id, 1, structuredCT, nil)
		}
	}
	add("data and data_base64", ce(func(m map[string]any) { m["data_base64"] = "eyJlbWFpbCI6Im1hbGxvcnlAZXZpbC5leGFtcGxlIn0=" }), "cloudevent.data_base64", "mutually exclusive")
	add("data_base64 only, not JSON", ce(func(m map[string]any) { delete(m, "data"); m["data_base64"] = "bm90IGpzb24=" }), "cloudevent.data", "must be JSON")
	add("data_base64 not base64", ce(func(m map[string]any) { delete(m, "data"); m["data_base64"] = "!!!" }), "cloudevent", "")
	add("data a JSON string", ce(func(m map[string]any) { m["data"] = eveData }), "data", "must be an object, got a string")
	add("data an array", ce(func(m map[string]any) { m["data"] = []any{eveData} }), "data", "must be an object, got an array")
	add("data null", ce(func(m map[string]any) { m["data"] = nil }), "data", "must be an object, got null")
	add("no id", ce(func(m map[string]any) { delete(m, "id") }), "cloudevent.id", "")
	add("empty id", ce(func(m map[string]any) { m["id"] = "" }), "cloudevent.id", "")
	add("id with a line break", ce(func(m map[string]any) { m["id"] = "e\nlevel=INFO msg=forged" }), "cloudevent.id", "control character U+000A")
	add("type with a bidi override", ce(func(m map[string]any) { m["type"] = "partner-\u202eapproved" }), "cloudevent.type", "U+202E")
	add("subject with a zero-width joiner", ce(func(m map[string]any) { m["subject"] = "P\u200d1" }), "cloudevent.subject", "U+200D")
	add("extension with a control", ce(func(m map[string]any) { m["onboardattempt"] = "1\u0007" }), "cloudevent.onboardattempt", "U+0007")
	add("specversion 2.0", ce(func(m map[string]any) { m["specversion"] = "2.0" }), "cloudevent.specversion", "")
	add("specversion a number", ce(func(m map[string]any) { m["specversion"] = 1.0 }), "cloudevent.specversion", "unknown value")
	add("time not a time", ce(func(m map[string]any) { m["time"] = "yesterday" }), "cloudevent", "")
	add("text data", ce(func(m map[string]any) { m["datacontenttype"] = "text/plain"; m["data"] = "hello" }), "cloudevent.data", "must be JSON")
	add("deep nesting", ce(func(m map[string]any) {
		var v any = 1
		for range 100 {
			v = []any{v}
		}
		m["data"].(map[string]any)["x"] = v
	}), "cloudevent.data.x"+strings.Repeat("[0]", 30), "nested deeper than 32 levels")
	add("type twice", body([]byte(strings.Replace(string(cloudEvent("partner-approved", "ev-2", eveData)), `"type":`, `"type":"reminder-due","type":`, 1)), true, structuredCT, nil), "cloudevent.type", "duplicate key")
	add("Type and type", body([]byte(strings.Replace(string(cloudEvent("partner-approved", "ev-2", eveData)), `"type":`, `"Type":"reminder-due","type":`, 1)), true, structuredCT, nil), "cloudevent.type", "in another case")
	add("batch", body([]byte(`[`+string(cloudEvent("partner-approved", "ev-3", eveData))+`]`), true, "application/cloudevents-batch+json", nil), "ContentType", "batched CloudEvents")
	add("not a CloudEvent", body([]byte(eveData), true, "application/json", nil), "ContentType", "not a CloudEvent")
	add("string dataType, structured", body(cloudEvent("partner-approved", "ev-4", withField(t, "displayName", "\u202e")), false, structuredCT, nil), "displayName", "U+202E")

	// binary mode
	attrs := func(kv ...string) map[string]any {
		m := map[string]any{"cloudEvents_specversion": "1.0", "cloudEvents_type": "partner-approved", "cloudEvents_source": partnerSource, "cloudEvents_id": "ev-b"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	add("binary: no specversion", body([]byte(eveData), true, "application/json", attrs("cloudEvents_specversion", "")), "ApplicationProperties.cloudEvents_specversion", "REQUIRED")
	add("binary: mixed prefixes", body([]byte(eveData), true, "application/json", attrs("cloudEvents:subject", "x")), "ApplicationProperties", "mixes")
	add("binary: id twice in two cases", body([]byte(eveData), true, "application/json", attrs("cloudEvents_ID", "ev-c")), "ApplicationProperties.cloudEvents_id", "duplicates")
	add("binary: id with a line break", body([]byte(eveData), true, "application/json", attrs("cloudEvents_id", "a\nb")), "ApplicationProperties.cloudEvents_id", "U+000A")
	add("binary: bad time", body([]byte(eveData), true, "application/json", attrs("cloudEvents_time", "soon")), "ApplicationProperties.cloudEvents_time", "RFC 3339")
	add("binary: text body", body([]byte("hello"), true, "text/plain", attrs()), "body", "must be JSON")
	add("binary: duplicate key in data", body([]byte(replaceOnce(t, `"email":`, `"email":"x@y.co","email":`)), true, "application/json", attrs()), "email", "duplicate key")

	// the host's envelope
	rawCase := func(name, env, field, rule string) {
		cases = append(cases, hostileCase{name: name, env: []byte(env), field: field, rule: rule})
	}
	rawCase("envelope not JSON", `{"Data":`, "envelope", "must be a JSON object")
	rawCase("envelope an array", `[]`, "envelope", "must be a JSON object")
	rawCase("envelope without Data", `{"Metadata":{}}`, "Data.msg", "missing")
	rawCase("body a number", `{"Data":{"msg":5},"Metadata":{}}`, "Data.msg", "must be a base64 string")
	for _, b64 := range []string{"!!!!", "ZXZl=", "eyJzcGVjdmVyc2lvbiI6IjEuMCJ9====", "e\u00e9=="} {
		rawCase("bad base64 "+b64, `{"Data":{"msg":"`+b64+`"},"Metadata":{}}`, "Data.msg", "not valid base64")
	}
	rawCase("broken string-mode literal", `{"Data":{"msg":"\"{\\\"specversion\\\":"},"Metadata":{}}`, "Data.msg", "string literal")
	rawCase("MessageId an object", `{"Data":{"msg":"e30="},"Metadata":{"MessageId":{}}}`, "Metadata.MessageId", "must be a JSON string")
	add("DeliveryCount not a number", func(id string) []byte {
		return []byte(strings.Replace(string(envelope(t, cloudEvent("partner-approved", "ev-5", eveData), true, id, 1, structuredCT, nil)), `"DeliveryCount":"1"`, `"DeliveryCount":"x"`, 1))
	}, "Metadata.DeliveryCount", "integer")
	add("DeliveryCount negative", func(id string) []byte {
		return []byte(strings.Replace(string(envelope(t, cloudEvent("partner-approved", "ev-5", eveData), true, id, 1, structuredCT, nil)), `"DeliveryCount":"1"`, `"DeliveryCount":"-1"`, 1))
	}, "Metadata.DeliveryCount", "must not be negative")

	// oversized bodies (the default limit is 1 MiB)
	for _, n := range []int{1 << 20, 3 << 20} {
		rawCase(fmt.Sprintf("body of %d bytes", n), `{"Data":{"msg":"`+strings.Repeat("A", n)+`"},"Metadata":{}}`, "envelope", "larger than 1048576 bytes (MAX_INVOCATION_BYTES)")
	}

	// reminders: forged ones for onboardings that do not exist are ignored;
	// malformed ones are refused
	reminder := func(data, source string) func(id string) []byte {
		return func(id string) []byte {
			b := fmt.Sprintf(`{"specversion":"1.0","type":"reminder-due","source":%q,"id":"rem-%s","datacontenttype":"application/json","data":%s}`, source, id, data)
			return envelope(t, []byte(b), true, id, 1, structuredCT, nil)
		}
	}
	for n := 1; n <= 4; n++ {
		for cycle := 0; cycle <= 1; cycle++ {
			for _, src := range []string{workflow.Source, partnerSource} {
				add(fmt.Sprintf("forged reminder %d cycle %d from %s", n, cycle, src),
					reminder(fmt.Sprintf(`{"key":%q,"number":%d,"cycle":%d,"requestId":"PR-1"}`, eve, n, cycle), src), "", "")
				cases[len(cases)-1].ignorable = true
			}
		}
	}
	for _, r := range []struct{ data, field, rule string }{
		{`{"key":"eve@fabrikam.com","number":"1"}`, "number", "must be an integer, got a string"},
		{`{"key":"eve@fabrikam.com","number":1.5}`, "number", "must be an integer"},
		{`{"key":"eve@fabrikam.com","number":1e30}`, "number", "must be an integer"},
		{`{"key":"eve@fabrikam.com","number":0}`, "key/number", "needs key and a number ≥ 1"},
		{`{"key":"eve@fabrikam.com\nforged","number":1}`, "key", "U+000A"},
		{`{"key":"eve@fabrikam.com","number":1,"attempt":9}`, "attempt", "unknown field"},
		{`{"key":"eve@fabrikam.com","Number":1}`, "Number", `did you mean "number"?`},
		{`[{"key":"eve@fabrikam.com","number":1}]`, "data", "must be an object, got an array"},
		{`{"key":"eve@fabrikam.com","number":1,"number":2}`, "cloudevent.data.number", "duplicate key"},
	} {
		add("reminder "+r.data, reminder(r.data, workflow.Source), r.field, r.rule)
	}
	add("reminder from a source not allowed", reminder(`{"key":"eve@fabrikam.com","number":1}`, "/evil"), "policy: source", "not in POLICY_ALLOWED_SOURCES")
	return cases
}

func manyIDs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("9f0c0000-0000-4000-8000-%012d", i)
	}
	return out
}

func manyApps(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"servicePrincipalId": fmt.Sprintf("5e7c0000-0000-4000-8000-%012d", i)}
	}
	return out
}
