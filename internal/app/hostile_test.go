package app

// Hostile input through `onboard serve`'s handler (issue 11, "Safe by
// default"): envelopes in the Functions host's format are POSTed to the
// handler as serve wires it, against graphsim through the real Graph SDK.
// Every refusal must name its field and rule, and nothing refused may
// write to the tenant.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/handlers"
)

const (
	eve          = "eve@fabrikam.com"
	globalReader = "f2ef992c-3afb-46b9-b7cf-a126ee74c451" // Microsoft labels it PRIVILEGED
	customRole   = "c0570000-0000-4000-8000-000000000001" // no built-in role has this id
)

// eveData is a valid partner-approved for eve that the harness's policy
// allows; the hostile events below differ from it only in what makes them
// hostile.
var eveData = `{"requestId":"PR-1","email":"eve@fabrikam.com","displayName":"Eve Doe","invitation":{"message":"Hi Eve"},
 "identity":{"givenName":"Eve","surname":"Doe"},
 "job":{"jobTitle":"Engineer","department":"R&D","companyName":"Fabrikam","employeeId":"E1","managerId":"` + graphsim.SampleUserMegan + `"},
 "contact":{"mobilePhone":"+31 6 1","businessPhone":"+31 20 1","streetAddress":"Dam 1","city":"Amsterdam","state":"NH","postalCode":"1012","country":"Netherlands"},
 "settings":{"usageLocation":"NL"},"groups":["` + graphsim.SampleGroupPartners + `"],"roles":["` + graphsim.RoleGuestInviter + `"],
 "applications":[{"servicePrincipalId":"` + graphsim.SampleSPWiki + `"}]}`

// graphWrites counts the requests graphsim received that can change the
// tenant ($batch items count under their own routes too).
func graphWrites(sim *graphsim.Server) int {
	n := 0
	for route, c := range sim.RequestCounts() {
		switch method, _, _ := strings.Cut(route, " "); method {
		case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
			n += c
		}
	}
	return n
}

// withField returns eveData with the value at a dotted path ("job.jobTitle",
// "groups.0") replaced by v.
func withField(t testing.TB, path string, v any) string {
	t.Helper()
	var m any
	if err := json.Unmarshal([]byte(eveData), &m); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(path, ".")
	cur := m
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[p] = v
			} else {
				if c[p] == nil {
					c[p] = map[string]any{}
				}
				cur = c[p]
			}
		case []any:
			var idx int
			fmt.Sscan(p, &idx)
			if last {
				c[idx] = v
			} else {
				cur = c[idx]
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replaceOnce edits eveData's text, for what a map cannot express
// (repeated keys, key order).
func replaceOnce(t testing.TB, old, new string) string {
	t.Helper()
	if !strings.Contains(eveData, old) {
		t.Fatalf("eveData has no %q", old)
	}
	return strings.Replace(eveData, old, new, 1)
}

// outcome is what one delivery did.
type outcome struct {
	status int
	logs   string // the reply's Logs, joined with " | "
	reason string // the failure recorded under the MessageId, if any
}

func (h *harness) try(t testing.TB, messageID string, env []byte) outcome {
	t.Helper()
	code, body := h.post(t, env)
	var reply struct{ Logs []string }
	if err := json.Unmarshal([]byte(body), &reply); err != nil {
		t.Fatalf("reply is not the host's JSON: %q", body)
	}
	for _, l := range reply.Logs {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("a reply Logs entry holds a line break: %q", l)
		}
	}
	o := outcome{status: code, logs: strings.Join(reply.Logs, " | ")}
	if f, err := h.store.Failure(context.Background(), messageID); err == nil {
		o.reason = f.Reason
	}
	return o
}

// refused asserts a 500 whose recorded reason and reply name field and rule.
func (o outcome) refused(t testing.TB, field, rule string) {
	t.Helper()
	if o.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 (refused): %s", o.status, o.logs)
	}
	if !strings.Contains(o.reason, field+": ") || !strings.Contains(o.reason, rule) {
		t.Errorf("recorded reason %q, want field %q and rule %q", o.reason, field, rule)
	}
	if !strings.Contains(o.logs, field+": ") || !strings.Contains(o.logs, rule) {
		t.Errorf("reply logs %q, want field %q and rule %q", o.logs, field, rule)
	}
}

// TestHostilePolicyThroughServe: each policy gap of issue 11 is closed for
// an approval arriving through serve, and what the policy refuses never
// reaches Graph.
func TestHostilePolicyThroughServe(t *testing.T) {
	portal := graphsim.SampleSPPartnerPortal
	admin, reader := graphsim.SampleAppRolePortalAdmin, graphsim.SampleAppRolePortalReader
	apps := func(role string) string {
		return withField(t, "applications", []any{map[string]any{"servicePrincipalId": portal, "appRoleId": role}})
	}
	cases := []struct {
		name        string
		env         []string
		data        string
		field, rule string                                          // "" = accepted
		check       func(t *testing.T, g graphsim.User, h *harness) // after an accepted event
	}{
		{"Global Reader with POLICY_ALLOWED_ROLES=*", []string{"POLICY_ALLOWED_ROLES", "*"}, withField(t, "roles", []any{globalReader}),
			"roles[0]", "(Global Reader) is privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES", nil},
		{"custom role with POLICY_ALLOWED_ROLES=*", []string{"POLICY_ALLOWED_ROLES", "*"}, withField(t, "roles", []any{customRole}),
			"roles[0]", "custom or unknown roles count as privileged", nil},
		{"* in POLICY_ALLOWED_ROLES still allows Guest Inviter", []string{"POLICY_ALLOWED_ROLES", "*"}, eveData, "", "",
			func(t *testing.T, g graphsim.User, h *harness) {
				if n := countRole(h.sim.State(), g.ID, graphsim.RoleGuestInviter); n != 1 {
					t.Errorf("%d Guest Inviter assignments", n)
				}
			}},
		{"userType Member refused by default", nil, withField(t, "userType", "Member"),
			"userType", "Member is refused (POLICY_ALLOW_MEMBER_USER_TYPE is false)", nil},
		{"userType Member with POLICY_ALLOW_MEMBER_USER_TYPE=true", []string{"POLICY_ALLOW_MEMBER_USER_TYPE", "true"}, withField(t, "userType", "Member"), "", "",
			func(t *testing.T, g graphsim.User, _ *harness) {
				if g.UserType != "Member" {
					t.Errorf("userType %q", g.UserType)
				}
			}},
		{"admin app role with an spId entry (Default Access only)", []string{"POLICY_ALLOWED_APPS", portal}, apps(admin),
			"applications[0].appRoleId", "allows Default Access only", nil},
		{"another app role than spId/appRoleId names", []string{"POLICY_ALLOWED_APPS", portal + "/" + reader}, apps(admin),
			"applications[0].appRoleId", "not in POLICY_ALLOWED_APPS", nil},
		{"the app role spId/appRoleId names", []string{"POLICY_ALLOWED_APPS", portal + "/" + reader}, apps(reader), "", "",
			func(t *testing.T, g graphsim.User, h *harness) { wantAppRoles(t, h, g, reader) }},
		{"any app role with spId/*", []string{"POLICY_ALLOWED_APPS", portal + "/*"}, apps(admin), "", "",
			func(t *testing.T, g graphsim.User, h *harness) { wantAppRoles(t, h, g, admin) }},
		{"plain http redirect", nil, withField(t, "redirectUrl", "http://myapps.microsoft.com"),
			"redirectUrl", "must be an absolute https URL", nil},
		{"redirect to another host", nil, withField(t, "redirectUrl", "https://myapps.microsoft.com.evil.example/login"),
			"redirectUrl", `host "myapps.microsoft.com.evil.example" is not in POLICY_ALLOWED_REDIRECT_HOSTS`, nil},
		{"cc outside POLICY_ALLOWED_CC_DOMAINS", []string{"POLICY_ALLOWED_CC_DOMAINS", "contoso.com"}, withField(t, "invitation.cc", "thief@evil.example"),
			"invitation.cc", `domain "evil.example" is not in POLICY_ALLOWED_CC_DOMAINS`, nil},
		{"cc outside the invitee's allowed domains", []string{"POLICY_ALLOWED_DOMAINS", "fabrikam.com"}, withField(t, "invitation.cc", "thief@evil.example"),
			"invitation.cc", "not in POLICY_ALLOWED_DOMAINS", nil},
		{"cc inside POLICY_ALLOWED_CC_DOMAINS", []string{"POLICY_ALLOWED_CC_DOMAINS", "contoso.com"}, withField(t, "invitation.cc", "buyer@contoso.com"), "", "",
			func(t *testing.T, _ graphsim.User, h *harness) {
				if emails := h.sim.EmailsSent(eve); len(emails) != 1 || !strings.Contains(fmt.Sprint(emails[0]), "buyer@contoso.com") {
					t.Errorf("emails %+v", emails)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.env...)
			o := h.try(t, "msg-1", envelope(t, cloudEvent("partner-approved", "ev-1", tc.data), true, "msg-1", 1, structuredCT, nil))
			if tc.field == "" {
				if o.status != http.StatusOK {
					t.Fatalf("status %d: %s", o.status, o.logs)
				}
				g, ok := h.sim.UserByMail(eve)
				if !ok {
					t.Fatal("no guest")
				}
				tc.check(t, g, h)
				return
			}
			o.refused(t, tc.field, tc.rule)
			if n := graphWrites(h.sim); n != 0 {
				t.Errorf("%d Graph writes for a refused approval: %v", n, h.sim.RequestCounts())
			}
			if _, ok := h.sim.UserByMail(eve); ok {
				t.Error("a guest was created")
			}
		})
	}
}

func wantAppRoles(t *testing.T, h *harness, g graphsim.User, roles ...string) {
	t.Helper()
	var got []string
	for _, a := range h.sim.State().AppRoleAssignments {
		if a.PrincipalID == g.ID && a.ResourceID == graphsim.SampleSPPartnerPortal {
			got = append(got, a.AppRoleID)
		}
	}
	if strings.Join(got, ",") != strings.Join(roles, ",") {
		t.Errorf("portal app roles %q, want %q", got, roles)
	}
}

// TestHostileInputThroughServe: the input findings of issue 11, one by one.
func TestHostileInputThroughServe(t *testing.T) {
	structured := func(data string) []byte { return cloudEvent("partner-approved", "ev-1", data) }
	withBase64 := func(t *testing.T) []byte {
		var m map[string]any
		_ = json.Unmarshal(structured(eveData), &m)
		m["data_base64"] = base64.StdEncoding.EncodeToString([]byte(withField(t, "roles", []any{graphsim.RoleGlobalAdministrator})))
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name        string
		env         func(t *testing.T) []byte
		field, rule string
		absent      []string // must appear neither in the reason nor in the reply
	}{
		{"data together with data_base64", func(t *testing.T) []byte {
			return envelope(t, withBase64(t), true, "msg-1", 1, structuredCT, nil)
		}, "cloudevent.data_base64", "must not be present together with data", nil},
		{"a key given twice", func(t *testing.T) []byte {
			return envelope(t, structured(replaceOnce(t, `"email":`, `"email":"megan@contoso.com","email":`)), true, "msg-1", 1, structuredCT, nil)
		}, "email", "duplicate key", nil},
		{"a key in another case", func(t *testing.T) []byte {
			return envelope(t, structured(replaceOnce(t, `"email":`, `"Email":`)), true, "msg-1", 1, structuredCT, nil)
		}, "Email", `unknown field: names are case-sensitive, did you mean "email"?`, nil},
		{"a key twice, in two cases", func(t *testing.T) []byte {
			return envelope(t, structured(replaceOnce(t, `"displayName":`, `"DisplayName":"Admin","displayName":`)), true, "msg-1", 1, structuredCT, nil)
		}, "cloudevent.data.displayName", `duplicates "DisplayName" in another case`, nil},
		{"a bidi override in a name", func(t *testing.T) []byte {
			return envelope(t, structured(withField(t, "displayName", "Eve \u202Egnp.exe")), true, "msg-1", 1, structuredCT, nil)
		}, "displayName", "must not contain the bidirectional control U+202E", nil},
		{"a zero-width space in a name", func(t *testing.T) []byte {
			return envelope(t, structured(withField(t, "identity.surname", "D\u200Boe")), true, "msg-1", 1, structuredCT, nil)
		}, "identity.surname", "must not contain the invisible (zero-width or format) character U+200B", nil},
		{"a control character in a name", func(t *testing.T) []byte {
			return envelope(t, structured(withField(t, "job.jobTitle", "Eng\u001b[31mineer")), false, "msg-1", 1, structuredCT, nil)
		}, "job.jobTitle", "must not contain the control character U+001B", nil},
		{"an address with @@ is not echoed", func(t *testing.T) []byte {
			return envelope(t, structured(withField(t, "email", "eve@@fabrikam.com")), true, "msg-1", 1, structuredCT, nil)
		}, "email", `must contain exactly one @, got "e***@fabrikam.com"`, []string{"eve@@", "eve@"}},
		{"a line break in the MessageId", func(t *testing.T) []byte {
			return envelope(t, structured(withField(t, "userType", "Admin")), true, "msg-1\nlevel=INFO msg=\"onboarding completed\"", 1, structuredCT, nil)
		}, "userType", `must be Guest or Member, got "Admin"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			env := tc.env(t)
			var meta struct{ Metadata struct{ MessageId string } }
			_ = json.Unmarshal(env, &meta)
			var id string
			_ = json.Unmarshal([]byte(meta.Metadata.MessageId), &id)
			o := h.try(t, id, env)
			o.refused(t, tc.field, tc.rule)
			for _, a := range tc.absent {
				if strings.Contains(o.reason, a) || strings.Contains(o.logs, a) {
					t.Errorf("%q echoed: reason %q, reply %q", a, o.reason, o.logs)
				}
			}
			if n := graphWrites(h.sim); n != 0 {
				t.Errorf("%d Graph writes: %v", n, h.sim.RequestCounts())
			}
		})
	}

	t.Run("every invalid field at once", func(t *testing.T) {
		h := newHarness(t)
		data := `{"requestId":"","email":"eve@@fabrikam.com","userType":"Admin","redirectUrl":"http://x.example",
		 "identity":{"givenName":"E\u202ev"},"job":{"managerId":"bob"},"settings":{"usageLocation":"Holland"},"groups":["sales"],"roles":[1]}`
		o := h.try(t, "msg-1", envelope(t, structured(data), true, "msg-1", 1, structuredCT, nil))
		for _, f := range []string{"identity.givenName: ", "roles[0]: ", "requestId: ", "email: ", "userType: ", "redirectUrl: ",
			"job.managerId: ", "settings.usageLocation: ", "groups[0]: "} {
			o.refused(t, strings.TrimSuffix(f, ": "), "")
		}
		if strings.Count(o.reason, "; ") != 8 {
			t.Errorf("reason %q, want 9 problems", o.reason)
		}
	})

	t.Run("a line break in the MessageId of an accepted event", func(t *testing.T) {
		h := newHarness(t)
		o := h.try(t, "msg-1\nforged", envelope(t, structured(eveData), true, "msg-1\nforged", 1, structuredCT, nil))
		if o.status != http.StatusOK || !strings.Contains(o.logs, `message "msg-1\nforged"`) {
			t.Errorf("status %d, logs %q", o.status, o.logs)
		}
	})

	t.Run("bodies above MAX_INVOCATION_BYTES", func(t *testing.T) {
		for _, tc := range []struct {
			env   []string
			size  int
			limit string
		}{{nil, 2 << 20, "1048576"}, {[]string{"MAX_INVOCATION_BYTES", "128KiB"}, 200 << 10, "131072"}} {
			h := newHarness(t, tc.env...)
			big := structured(withField(t, "displayName", strings.Repeat("x", tc.size)))
			start := time.Now()
			o := h.try(t, "msg-1", envelope(t, big, true, "msg-1", 1, structuredCT, nil))
			if o.status != http.StatusInternalServerError || !strings.Contains(o.logs, "envelope: the invocation body is larger than "+tc.limit+" bytes (MAX_INVOCATION_BYTES)") {
				t.Errorf("%d-byte body: status %d, logs %.300q", tc.size, o.status, o.logs)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("refusing took %s", el)
			}
			if n := graphWrites(h.sim); n != 0 {
				t.Errorf("%d Graph writes", n)
			}
		}
	})
}

// TestHostileServerTimeouts: the server serve runs cuts off a peer that
// trickles its request or idles, and sets the documented limits.
func TestHostileServerTimeouts(t *testing.T) {
	if HTTPLimits.ReadHeader != 10*time.Second || HTTPLimits.Read != 30*time.Second || HTTPLimits.Idle != 2*time.Minute || HTTPLimits.MaxHeaderBytes != 64<<10 {
		t.Fatalf("limits %+v differ from the documented ones", HTTPLimits)
	}
	saved := HTTPLimits
	t.Cleanup(func() { HTTPLimits = saved })
	HTTPLimits.ReadHeader, HTTPLimits.Read, HTTPLimits.Idle = 200*time.Millisecond, 400*time.Millisecond, 300*time.Millisecond

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ServeHTTP(ctx, ln, handlers.New(handlers.Options{Logger: slog.New(slog.DiscardHandler)}), slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { cancel(); <-done })

	for _, tc := range []struct {
		name string
		send string // what the peer sends before going quiet
	}{
		{"headers trickle", "POST /OnboardingEvents HTTP/1.1\r\nHost: x\r\n"},
		{"body trickles", "POST /OnboardingEvents HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"Data\":"},
		{"idle keep-alive", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			if _, err := c.Write([]byte(tc.send)); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			for { // read whatever the server answers until it closes
				if _, err := r.ReadByte(); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatalf("connection still open after %s", time.Since(start))
					}
					break
				}
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("closed after %s", el)
			}
		})
	}
}
