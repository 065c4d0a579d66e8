package main

// End-to-end tests of the custom handler as `serve` wires it: envelopes in
// the Functions host's exact format are POSTed to the handler, which runs
// the workflow against graphsim through the real msgraph-sdk-go client.
// Scheduled messages are captured so a test can deliver them as Service
// Bus would.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/internal/azurite"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// captured is a Scheduler that keeps what the workflow schedules, dropping
// repeated message ids like Service Bus duplicate detection.
type captured struct {
	mu   sync.Mutex
	msgs []capturedMsg
	seen map[string]bool
}

type capturedMsg struct {
	msg workflow.Message
	at  time.Time
}

func (c *captured) Schedule(_ context.Context, m workflow.Message, at time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if !c.seen[m.ID] {
		c.seen[m.ID] = true
		c.msgs = append(c.msgs, capturedMsg{m, at})
	}
	return nil
}

func (c *captured) find(t *testing.T, idSuffix string) capturedMsg {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if strings.HasSuffix(m.msg.ID, idSuffix) {
			return m
		}
	}
	t.Fatalf("no scheduled message with id ending %q among %d", idSuffix, len(c.msgs))
	return capturedMsg{}
}

type harness struct {
	sim    *graphsim.Server
	url    string // the handler
	sched  *captured
	store  workflow.Store
	memory *store.Memory
}

const partnerSource = "/procurement/partners"

func newHarness(t testing.TB, extraEnv ...string) *harness {
	t.Helper()
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	gs := httptest.NewServer(sim)
	t.Cleanup(gs.Close)
	settings := map[string]string{
		"GRAPH_BASE_URL": gs.URL + "/v1.0", "GRAPH_AUTH": "none", "SCHEDULER": "memory", "STATE_STORE": "memory",
		"POLICY_ALLOWED_GROUPS":  graphsim.SampleGroupPartners + "," + graphsim.SampleGroupApollo,
		"POLICY_ALLOWED_ROLES":   graphsim.RoleGuestInviter + "," + graphsim.RoleGlobalAdministrator,
		"POLICY_ALLOWED_APPS":    "*/*",
		"POLICY_ALLOWED_SOURCES": partnerSource,
		"REMINDER_SCHEDULE":      "3d,7d", "REMINDER_EXPIRE_AFTER": "14d",
		"EVENT_TYPE_ALIASES": "com.contoso.procurement.partner-approved=partner-approved",
	}
	for i := 0; i+1 < len(extraEnv); i += 2 {
		settings[extraEnv[i]] = extraEnv[i+1]
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := settings[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{sim: sim, sched: &captured{}}
	over := overrides{scheduler: h.sched}
	if cfg.StateStore == "memory" {
		h.memory = store.NewMemory()
		over.store = h.memory
	}
	log := slog.New(slog.DiscardHandler)
	a, err := buildApp(context.Background(), cfg, log, over)
	if err != nil {
		t.Fatal(err)
	}
	a.engine.Config.InviteSettle = 50 * time.Millisecond
	hs := httptest.NewServer(a.handler)
	t.Cleanup(hs.Close)
	h.url = hs.URL
	h.store = a.store
	return h
}

// envelope builds the host's request body for a Service Bus message:
// binary=true is `"dataType": "binary"` (base64), false the default string
// mode (a JSON string holding a JSON string literal). Metadata strings are
// doubly encoded, DeliveryCount is a string, as in the reference examples.
func envelope(t testing.TB, body []byte, binary bool, messageID string, deliveryCount int, contentType string, props map[string]any) []byte {
	t.Helper()
	var data any = base64.StdEncoding.EncodeToString(body)
	if !binary {
		inner, _ := json.Marshal(string(body))
		data = string(inner)
	}
	dbl := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	if props == nil {
		props = map[string]any{}
	}
	meta := map[string]any{
		"MessageReceiver": map[string]any{}, "MessageSession": map[string]any{}, "MessageActions": map[string]any{},
		"SessionActions": map[string]any{}, "ReceiveActions": map[string]any{},
		"DeliveryCount": fmt.Sprint(deliveryCount), "LockToken": dbl("7ebe3bcf-bae7-455e-99ea-568500a75173"),
		"ExpiresAtUtc": "9999-12-31T23:59:59", "ExpiresAt": "9999-12-31T23:59:59+00:00",
		"EnqueuedTimeUtc": "2026-11-24T12:34:56", "EnqueuedTime": "2026-11-24T12:34:56+00:00",
		"MessageId": dbl(messageID), "SequenceNumber": "17",
		"ApplicationProperties": props, "UserProperties": props,
		"sys": map[string]any{"MethodName": "OnboardingEvents", "UtcNow": "2026-11-24T12:34:57.1234567Z", "RandGuid": "24ad4c06-24ad-4e5b-8294-3da9714877e9"},
	}
	if contentType != "" {
		meta["ContentType"] = dbl(contentType)
	}
	out, err := json.Marshal(map[string]any{"Data": map[string]any{"msg": data}, "Metadata": meta})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const structuredCT = "application/cloudevents+json; charset=utf-8"

// cloudEvent is a structured-mode CloudEvent body.
func cloudEvent(typ, id, data string) []byte {
	return []byte(fmt.Sprintf(`{"specversion":"1.0","type":%q,"source":%q,"id":%q,"time":"2026-11-24T12:34:56Z","datacontenttype":"application/json","data":%s}`,
		typ, partnerSource, id, data))
}

// post delivers an envelope to the events function and returns the status and body.
func (h *harness) post(t testing.TB, env []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/OnboardingEvents", bytes.NewReader(env))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", "5a0c0f0e-2b1e-4a53-9c7e-2f6b8f0d1c11")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("reply Content-Type %q: the host rejects non-JSON replies", ct)
	}
	return resp.StatusCode, string(b)
}

func (h *harness) deliver(t *testing.T, messageID string, deliveryCount int, ev []byte) (int, string) {
	t.Helper()
	return h.post(t, envelope(t, ev, true, messageID, deliveryCount, structuredCT, nil))
}

// deliverScheduled delivers a captured message as Service Bus would, with
// the body servicebus.Encode produces.
func (h *harness) deliverScheduled(t *testing.T, m capturedMsg) (int, string) {
	t.Helper()
	body, ct, err := servicebus.Encode(m.msg)
	if err != nil {
		t.Fatal(err)
	}
	return h.post(t, envelope(t, body, true, m.msg.ID, 1, ct, nil))
}

var adaData = `{"requestId":"PR-2026-0042","email":"Ada.Lovelace+partners@fabrikam.com","displayName":"Ada Lovelace",
 "invitation":{"send":true,"message":"Welcome to Fabrikam","cc":"buyer@contoso.com","language":"nl-NL"},
 "identity":{"givenName":"Ada","surname":"Lovelace"},
 "job":{"jobTitle":"Engineer","department":"R&D","companyName":"Fabrikam","managerId":"` + graphsim.SampleUserMegan + `"},
 "contact":{"mobilePhone":"+31 6 1234 5678","businessPhone":"+31 20 123 4567","streetAddress":"Dam 1","city":"Amsterdam","state":"NH","postalCode":"1012 JS","country":"Netherlands"},
 "parentalControls":{"ageGroup":"Adult","consentProvidedForMinor":"NotRequired"},
 "settings":{"usageLocation":"NL"},
 "groups":["` + graphsim.SampleGroupPartners + `"],"roles":["` + graphsim.RoleGuestInviter + `"],
 "applications":[{"servicePrincipalId":"` + graphsim.SampleSPPartnerPortal + `","appRoleId":"` + graphsim.SampleAppRolePortalReader + `"},{"servicePrincipalId":"` + graphsim.SampleSPWiki + `"}]}`

const ada = "ada.lovelace@fabrikam.com"

// guest returns graphsim's view of the onboarded guest.
func (h *harness) guest(t *testing.T) graphsim.User {
	t.Helper()
	u, ok := h.sim.UserByMail(ada)
	if !ok {
		t.Fatalf("no user %s in graphsim", ada)
	}
	return u
}

func (h *harness) users() int { return len(h.sim.State().Users) }

func TestServeOnboardsFromHostEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) []byte
	}{
		{"binary dataType, structured event", func(t *testing.T) []byte {
			return envelope(t, cloudEvent("partner-approved", "ev-1", adaData), true, "msg-1", 1, structuredCT, nil)
		}},
		{"string dataType, structured event with alias type", func(t *testing.T) []byte {
			return envelope(t, cloudEvent("com.contoso.procurement.partner-approved", "ev-1", adaData), false, "msg-1", 1, structuredCT, nil)
		}},
		{"binary-mode event, cloudEvents_ prefix", func(t *testing.T) []byte {
			return envelope(t, []byte(adaData), true, "msg-1", 1, "application/json", map[string]any{
				"cloudEvents_specversion": "1.0", "cloudEvents_type": "partner-approved", "cloudEvents_source": partnerSource, "cloudEvents_id": "ev-1"})
		}},
		{"binary-mode event, cloudEvents: prefix, string dataType", func(t *testing.T) []byte {
			return envelope(t, []byte(adaData), false, "msg-1", 1, "application/json", map[string]any{
				"cloudEvents:specversion": "1.0", "cloudEvents:type": "partner-approved", "cloudEvents:source": partnerSource, "cloudEvents:id": "ev-1"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			users := h.users()
			if code, body := h.post(t, tc.env(t)); code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			g := h.guest(t)
			if h.users() != users+1 || g.UserType != "Guest" || g.ExternalUserState != "PendingAcceptance" || g.ManagerID != graphsim.SampleUserMegan {
				t.Fatalf("guest = %+v", g)
			}
			for prop, want := range map[string]any{"givenName": "Ada", "jobTitle": "Engineer", "department": "R&D", "city": "Amsterdam",
				"postalCode": "1012 JS", "usageLocation": "NL", "ageGroup": "Adult", "consentProvidedForMinor": "NotRequired", "mobilePhone": "+31 6 1234 5678"} {
				if g.Properties[prop] != want {
					t.Errorf("%s = %v, want %v", prop, g.Properties[prop], want)
				}
			}
			if phones := fmt.Sprint(g.Properties["businessPhones"]); phones != "[+31 20 123 4567]" {
				t.Errorf("businessPhones = %s", phones)
			}
			emails := h.sim.EmailsSent(ada)
			if len(emails) != 1 || !strings.Contains(fmt.Sprintf("%+v", emails[0]), "Welcome to Fabrikam") || !strings.Contains(fmt.Sprintf("%+v", emails[0]), "buyer@contoso.com") {
				t.Fatalf("emails = %+v", emails)
			}
			st := h.sim.State()
			if !contains(h.sim.MembersOf(graphsim.SampleGroupPartners), g.ID) {
				t.Error("guest is not a member of the partners group")
			}
			if n := countRole(st, g.ID, graphsim.RoleGuestInviter); n != 1 {
				t.Errorf("%d Guest Inviter assignments", n)
			}
			if n := countApps(st, g.ID); n != 2 {
				t.Errorf("%d app role assignments, want 2", n)
			}
			rem := h.sched.find(t, "/reminder/1")
			if rem.msg.Event.Type != workflow.TypeReminderDue || time.Until(rem.at) < 71*time.Hour {
				t.Errorf("first reminder %+v at %s", rem.msg, rem.at)
			}
		})
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func countRole(st graphsim.State, principal, role string) int {
	n := 0
	for _, a := range st.RoleAssignments {
		if a.PrincipalID == principal && a.RoleDefinitionID == role {
			n++
		}
	}
	return n
}

func countApps(st graphsim.State, principal string) int {
	n := 0
	for _, a := range st.AppRoleAssignments {
		if a.PrincipalID == principal {
			n++
		}
	}
	return n
}

func TestServeDuplicateAndConcurrentDeliveriesInviteOnce(t *testing.T) {
	h := newHarness(t)
	testDuplicateAndConcurrent(t, h)
}

// TestServeOnTableStorage runs the same flow with STATE_STORE=tables
// against Azurite: real ETag conflicts between the concurrent deliveries.
func TestServeOnTableStorage(t *testing.T) {
	az := azurite.Shared(t)
	h := newHarness(t, "STATE_STORE", "tables", "STATE_TABLE_CONNECTION", az.ConnectionString(), "STATE_TABLE_NAME", "servetest")
	testDuplicateAndConcurrent(t, h)
}

func testDuplicateAndConcurrent(t *testing.T, h *harness) {
	ev := cloudEvent("partner-approved", "ev-1", adaData)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ { // two instances receive the same message at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body := h.deliver(t, "msg-1", 1, ev); code != 200 {
				t.Errorf("concurrent delivery: %d %s", code, body)
			}
		}()
	}
	wg.Wait()
	for dc := 2; dc <= 4; dc++ { // redeliveries after a lost completion
		if code, body := h.deliver(t, "msg-1", dc, ev); code != 200 {
			t.Fatalf("redelivery %d: %d %s", dc, code, body)
		}
	}
	// whatever the interleaving, a delivery that found the invitation in
	// flight scheduled a retry; deliver those too
	time.Sleep(60 * time.Millisecond)
	for _, m := range h.sched.msgs {
		if strings.Contains(m.msg.ID, "/retry/") {
			if code, body := h.deliverScheduled(t, m); code != 200 {
				t.Fatalf("retry: %d %s", code, body)
			}
		}
	}
	if n := len(h.sim.EmailsSent(ada)); n != 1 {
		t.Fatalf("%d invitation emails, want 1", n)
	}
	if n := h.sim.State().Invitations; n != 1 {
		t.Errorf("%d POST /invitations, want 1", n)
	}
	g := h.guest(t)
	if n := countApps(h.sim.State(), g.ID); n != 2 {
		t.Errorf("%d app assignments", n)
	}
	rec, err := h.store.Load(context.Background(), ada)
	if err != nil || rec.Phase != workflow.PhaseProvisioned {
		t.Fatalf("record %+v %v", rec.Phase, err)
	}
}

func TestServeSecondApprovalMergesAssignments(t *testing.T) {
	h := newHarness(t)
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData)); code != 200 {
		t.Fatal(code, body)
	}
	second := `{"requestId":"PR-2026-0077","email":"ada.lovelace@fabrikam.com","groups":["` + graphsim.SampleGroupApollo + `"],"job":{"jobTitle":"Lead Engineer"}}`
	if code, body := h.deliver(t, "msg-2", 1, cloudEvent("partner-approved", "ev-2", second)); code != 200 {
		t.Fatal(code, body)
	}
	g := h.guest(t)
	for _, grp := range []string{graphsim.SampleGroupPartners, graphsim.SampleGroupApollo} {
		if !contains(h.sim.MembersOf(grp), g.ID) {
			t.Errorf("not a member of %s", grp)
		}
	}
	if g.Properties["jobTitle"] != "Lead Engineer" || g.Properties["department"] != "R&D" {
		t.Errorf("properties after merge: jobTitle=%v department=%v", g.Properties["jobTitle"], g.Properties["department"])
	}
	if n := len(h.sim.EmailsSent(ada)); n != 1 {
		t.Errorf("%d emails, want 1", n)
	}
}

func TestServeRemindersResendUntilAccepted(t *testing.T) {
	h := newHarness(t)
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData)); code != 200 {
		t.Fatal(code, body)
	}
	first := h.sched.find(t, "/reminder/1")
	if code, body := h.deliverScheduled(t, first); code != 200 || strings.Contains(body, "ada.lovelace@") {
		t.Fatalf("%d %s (the reply's Logs go to Application Insights: no full address)", code, body)
	}
	if n := len(h.sim.EmailsSent(ada)); n != 2 {
		t.Fatalf("%d emails after the first reminder, want 2", n)
	}
	// duplicate of the same reminder: ignored, no mail
	if code, body := h.deliverScheduled(t, first); code != 200 {
		t.Fatal(code, body)
	}
	second := h.sched.find(t, "/reminder/2")
	if n := len(h.sim.EmailsSent(ada)); n != 2 || !second.at.After(first.at) {
		t.Fatalf("%d emails after a duplicate reminder; second due %s", n, second.at)
	}
	if _, err := h.sim.Accept(ada); err != nil {
		t.Fatal(err)
	}
	if code, body := h.deliverScheduled(t, second); code != 200 {
		t.Fatal(code, body)
	}
	rec, _ := h.store.Load(context.Background(), ada)
	if rec.Phase != workflow.PhaseCompleted || len(h.sim.EmailsSent(ada)) != 2 {
		t.Fatalf("phase %s, %d emails: acceptance must complete without mail", rec.Phase, len(h.sim.EmailsSent(ada)))
	}
	for _, m := range h.sched.msgs {
		if strings.HasSuffix(m.msg.ID, "/reminder/3") {
			t.Error("a follow-up was scheduled after acceptance")
		}
	}
}

func TestServeExpiresAfterLastReminder(t *testing.T) {
	h := newHarness(t, "EXPIRY_ACTION", "disable")
	h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData))
	for _, n := range []string{"/reminder/1", "/reminder/2", "/reminder/3"} {
		if code, body := h.deliverScheduled(t, h.sched.find(t, n)); code != 200 {
			t.Fatal(n, code, body)
		}
	}
	rec, _ := h.store.Load(context.Background(), ada)
	if rec.Phase != workflow.PhaseExpired || h.guest(t).AccountEnabled {
		t.Fatalf("phase %s enabled %v", rec.Phase, h.guest(t).AccountEnabled)
	}
	if n := len(h.sim.EmailsSent(ada)); n != 3 {
		t.Errorf("%d emails, want invitation + 2 reminders", n)
	}
	// approved again: sign-in allowed again and a new invitation
	again := `{"requestId":"PR-2027-0001","email":"ada.lovelace@fabrikam.com"}`
	if code, body := h.deliver(t, "msg-2", 1, cloudEvent("partner-approved", "ev-2", again)); code != 200 {
		t.Fatal(code, body)
	}
	if !h.guest(t).AccountEnabled || len(h.sim.EmailsSent(ada)) != 4 {
		t.Fatalf("after re-approval: enabled %v, %d emails", h.guest(t).AccountEnabled, len(h.sim.EmailsSent(ada)))
	}
	h.sched.find(t, "/c1/reminder/1")
}

func TestServeRejectsPermanentlyAndFailsFast(t *testing.T) {
	cases := []struct {
		name, data, reason string
		deny               string // a route graphsim answers 403
	}{
		{"invalid email", `{"requestId":"r1","email":"ada@@fabrikam.com"}`, "email: must contain exactly one @", ""},
		{"unknown field", `{"requestId":"r1","email":"ada@fabrikam.com","manager":"x"}`, "manager: unknown field", ""},
		{"privileged role", `{"requestId":"r1","email":"ada@fabrikam.com","roles":["` + graphsim.RoleGlobalAdministrator + `"]}`, "Global Administrator) is privileged", ""},
		{"group not allowed", `{"requestId":"r1","email":"ada@fabrikam.com","groups":["` + graphsim.SampleGroupSales + `"]}`, "not in POLICY_ALLOWED_GROUPS", ""},
		{"graph 400: group mailbox", `{"requestId":"r1","email":"sales@fabrikam.com"}`, "Group email address is not supported", ""},
		{"graph 404 after invite: unknown manager", `{"requestId":"r1","email":"ada@fabrikam.com","job":{"managerId":"5a1e0000-0000-4000-8000-0000000000ff"}}`, "manager 5a1e0000-0000-4000-8000-0000000000ff does not exist", ""},
		{"graph 403: app role assignment without permission", `{"requestId":"r1","email":"ada@fabrikam.com","applications":[{"servicePrincipalId":"` + graphsim.SampleSPWiki + `"}]}`,
			"Graph 403 Authorization_RequestDenied", "POST /servicePrincipals/{id}/appRoleAssignedTo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.deny != "" {
				k := h.sim.Knobs()
				k.Deny = []string{tc.deny}
				h.sim.SetKnobs(k)
			}
			ev := cloudEvent("partner-approved", "ev-1", tc.data)
			code, body := h.deliver(t, "msg-bad", 1, ev)
			if code != 500 {
				t.Fatalf("status %d, want 500 so the host abandons: %s", code, body)
			}
			f, err := h.store.Failure(context.Background(), "msg-bad")
			if err != nil || !strings.Contains(f.Reason, tc.reason) {
				t.Fatalf("recorded failure %+v %v, want reason containing %q", f, err, tc.reason)
			}
			before := h.sim.RequestCounts()
			for dc := 2; dc <= 10; dc++ {
				if code, _ := h.deliver(t, "msg-bad", dc, ev); code != 500 {
					t.Fatalf("redelivery %d answered %d", dc, code)
				}
			}
			if after := h.sim.RequestCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("Graph was called again for a known-permanent failure: %v → %v", before, after)
			}
		})
	}
}

func TestServeTransientFailuresAreRescheduled(t *testing.T) {
	t.Run("invitation throttled: 429 with Retry-After", func(t *testing.T) {
		h := newHarness(t)
		k := h.sim.Knobs()
		k.InviteLimit, k.InviteWindow = 1, time.Hour
		h.sim.SetKnobs(k)
		h.deliver(t, "msg-0", 1, cloudEvent("partner-approved", "ev-0", `{"requestId":"r0","email":"first@contoso.com"}`))
		code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData))
		if code != 200 {
			t.Fatalf("status %d: a transient failure is rescheduled and completed: %s", code, body)
		}
		retry := h.sched.find(t, "msg-1/retry/1")
		if wait := time.Until(retry.at); wait < 30*time.Minute {
			t.Errorf("retry in %s, want at least the throttle's Retry-After (~1h)", wait)
		}
		if _, ok := h.sim.UserByMail(ada); ok {
			t.Error("guest created despite 429")
		}
		// the retry, once the throttle is lifted, onboards the partner
		k.InviteLimit = 0
		h.sim.SetKnobs(k)
		time.Sleep(60 * time.Millisecond) // past InviteSettle
		if code, body := h.deliverScheduled(t, retry); code != 200 {
			t.Fatal(code, body)
		}
		if n := len(h.sim.EmailsSent(ada)); n != 1 {
			t.Errorf("%d emails", n)
		}
	})
	t.Run("503 on every request", func(t *testing.T) {
		h := newHarness(t)
		k := h.sim.Knobs()
		k.FailureRate, k.RetryAfter = 1, 2
		h.sim.SetKnobs(k)
		code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData))
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		h.sched.find(t, "msg-1/retry/1")
		rec, _ := h.store.Load(context.Background(), ada)
		if !strings.Contains(rec.LastError, "transient") {
			t.Errorf("last error %q", rec.LastError)
		}
	})
	t.Run("replication lag after the invitation", func(t *testing.T) {
		h := newHarness(t)
		k := h.sim.Knobs()
		k.ReplicationLag = 300 * time.Millisecond
		h.sim.SetKnobs(k)
		code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData))
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		retry := h.sched.find(t, "msg-1/retry/1")
		if !strings.Contains(retry.msg.Event.Extensions[workflow.ExtAttempt], "1") {
			t.Errorf("retry extensions %v", retry.msg.Event.Extensions)
		}
		rec, _ := h.store.Load(context.Background(), ada)
		if !strings.Contains(rec.LastError, "replication lag") || rec.Phase != workflow.PhaseInvited {
			t.Fatalf("record: phase %s last error %q", rec.Phase, rec.LastError)
		}
		time.Sleep(350 * time.Millisecond)
		if code, body := h.deliverScheduled(t, retry); code != 200 {
			t.Fatal(code, body)
		}
		rec, _ = h.store.Load(context.Background(), ada)
		if rec.Phase != workflow.PhaseProvisioned || len(h.sim.EmailsSent(ada)) != 1 {
			t.Fatalf("after lag: phase %s, %d emails", rec.Phase, len(h.sim.EmailsSent(ada)))
		}
	})
}
