package app

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
	engine *workflow.Engine
}

const partnerSource = "/procurement/partners"

func newHarness(t testing.TB, extraEnv ...string) *harness {
	t.Helper()
	return newHarnessSim(t, graphsim.Config{}, extraEnv...)
}

// newHarnessSim is newHarness with graphsim built from simCfg (a seed with
// existing users, knobs).
func newHarnessSim(t testing.TB, simCfg graphsim.Config, extraEnv ...string) *harness {
	t.Helper()
	sim, err := graphsim.New(simCfg)
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
	over := Overrides{Scheduler: h.sched}
	if cfg.StateStore == "memory" {
		h.memory = store.NewMemory()
		over.Store = h.memory
	}
	log := slog.New(slog.DiscardHandler)
	a, err := Build(context.Background(), cfg, log, over)
	if err != nil {
		t.Fatal(err)
	}
	a.Engine.Config.InviteSettle = 50 * time.Millisecond
	hs := httptest.NewServer(a.Handler)
	t.Cleanup(hs.Close)
	h.url = hs.URL
	h.store = a.Store
	h.engine = a.Engine
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
// the body servicebus.Encode produces. A reminder is delivered no earlier
// than its scheduled time (the workflow honours it only when due); other
// messages at once, as a faster queue would.
func (h *harness) deliverScheduled(t *testing.T, m capturedMsg) (int, string) {
	t.Helper()
	if m.msg.Event.Type == workflow.TypeReminderDue {
		time.Sleep(time.Until(m.at))
	}
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
	h := newHarness(t, "REMINDER_SCHEDULE", "1s,2s", "REMINDER_EXPIRE_AFTER", "3s")
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
	h := newHarness(t, "EXPIRY_ACTION", "disable", "REMINDER_SCHEDULE", "1s,2s", "REMINDER_EXPIRE_AFTER", "3s")
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
		// unpaced: the test lifts the throttle and delivers the retry at
		// once, long before the Retry-After the pacer's gate would honour
		h := newHarness(t, "INVITE_RATE_LIMIT", "0")
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
		if f, err := h.store.Failure(context.Background(), "msg-1"); err != nil || f.Retry == nil || f.Retry.Attempts != 1 {
			t.Errorf("retry state in the store: %+v %v", f, err)
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

// drainRetries delivers the captured retry messages as the queue would, at
// their scheduled time, until done (given the latest answer, "" at first)
// reports true; it fails the test if nothing is left to deliver before
// the deadline.
func (h *harness) drainRetries(t *testing.T, deadline time.Time, done func(answer string) bool) {
	t.Helper()
	delivered := map[string]bool{}
	var answers []string
	for answer := ""; !done(answer); {
		var next *capturedMsg
		h.sched.mu.Lock()
		for i := range h.sched.msgs {
			m := h.sched.msgs[i]
			if strings.Contains(m.msg.ID, "/retry/") && !delivered[m.msg.ID] && (next == nil || m.at.Before(next.at)) {
				next = &m
			}
		}
		h.sched.mu.Unlock()
		if next == nil || next.at.After(deadline) {
			t.Fatalf("nothing left to deliver before %s; answers so far %q", deadline.Format(time.TimeOnly), answers)
		}
		time.Sleep(time.Until(next.at))
		delivered[next.msg.ID] = true
		code, body := h.deliverScheduled(t, *next)
		answer = fmt.Sprintf("%s: %d %s", next.msg.ID, code, body)
		answers = append(answers, answer)
	}
}

func (h *harness) record(t *testing.T) workflow.Record {
	t.Helper()
	rec, err := h.store.Load(context.Background(), ada)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// Issue 9 acceptance: with Graph's replication lag at 3 s — writes for the
// new guest 404 while reads already see it — a partner is fully
// provisioned (properties, manager, group, role, apps) within the settle
// window, with one email.
func TestServeProvisionsThroughReplicationLag(t *testing.T) {
	const window = 30 * time.Second
	h := newHarnessSim(t, graphsim.Config{Knobs: &graphsim.Knobs{ReplicationLag: 3 * time.Second}},
		"REPLICATION_SETTLE_WINDOW", window.String(), "RETRY_INITIAL_DELAY", "1s", "RETRY_MAX_DELAY", "5s")
	start := time.Now()
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData)); code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if rec := h.record(t); rec.Phase != workflow.PhaseInvited || len(rec.Missing) == 0 {
		t.Fatalf("during the lag: phase %s missing %+v", rec.Phase, rec.Missing)
	}
	h.drainRetries(t, start.Add(window), func(string) bool { return h.record(t).Phase == workflow.PhaseProvisioned })
	took := time.Since(start)
	g := h.guest(t)
	st := h.sim.State()
	if g.Properties["jobTitle"] != "Engineer" || g.Properties["city"] != "Amsterdam" || g.Properties["usageLocation"] != "NL" || g.ManagerID != graphsim.SampleUserMegan ||
		!contains(h.sim.MembersOf(graphsim.SampleGroupPartners), g.ID) || countRole(st, g.ID, graphsim.RoleGuestInviter) != 1 || countApps(st, g.ID) != 2 {
		t.Fatalf("not fully provisioned after %s: %+v", took, g)
	}
	if n := len(h.sim.EmailsSent(ada)); n != 1 || st.Invitations != 1 {
		t.Fatalf("%d emails, %d invitations; want 1 and 1", n, st.Invitations)
	}
	if rec := h.record(t); len(rec.Missing) != 0 || rec.Failure != nil {
		t.Fatalf("record: missing %+v failure %+v", rec.Missing, rec.Failure)
	}
	counts := h.sim.RequestCounts()
	if counts["PATCH /users/{id} (404)"] == 0 || counts["GET /users/{id} (404)"] != 0 {
		t.Errorf("the lag was not exercised as Graph shows it (writes 404, reads succeed): %v", counts)
	}
	t.Logf("fully provisioned %s after the invitation (lag 3s, settle window %s)", took.Round(100*time.Millisecond), window)
}

// existingUser is a user in the tenant before any onboarding, under the
// address adaData names.
func existingUser(id, userType, state string) graphsim.Config {
	seed := graphsim.SampleSeed()
	u := graphsim.SeedUser{ID: id, DisplayName: "Existing User", Mail: ada, JobTitle: "Chief Financial Officer", UserType: userType}
	if userType == "Guest" {
		u.UserPrincipalName = "ada.lovelace_fabrikam.com#EXT#@fabrikam.onmicrosoft.com"
		u.CreationType, u.ExternalUserState, u.CreatedDateTime = "Invitation", state, "2025-06-01T10:00:00Z"
	}
	seed.Users = append(seed.Users, u)
	return graphsim.Config{Seed: &seed}
}

const existingID = "5a1e0000-0000-4000-8000-0000000000e1"

// Issue 11: an approval naming an existing member's address must not take
// the member over — no rename, no job fields, no group, role or app role,
// no reminders that could expire (and delete) it.
func TestServeRefusesAnExistingMember(t *testing.T) {
	h := newHarnessSim(t, existingUser(existingID, "Member", ""), "EXPIRY_ACTION", "delete")
	code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData))
	if code != 500 || !strings.Contains(body, "existing member") || !strings.Contains(body, "POLICY_EXISTING_USERS") {
		t.Fatalf("status %d: %s; want a permanent refusal naming POLICY_EXISTING_USERS", code, body)
	}
	u, ok := h.sim.GetUser(existingID)
	st := h.sim.State()
	if !ok || u.DisplayName != "Existing User" || u.Properties["jobTitle"] != "Chief Financial Officer" || u.ManagerID != "" ||
		contains(h.sim.MembersOf(graphsim.SampleGroupPartners), existingID) || countRole(st, existingID, graphsim.RoleGuestInviter) != 0 || countApps(st, existingID) != 0 {
		t.Fatalf("the member was changed: %+v", u)
	}
	if len(h.sim.EmailsSent(ada)) != 0 || len(h.sched.msgs) != 0 {
		t.Fatalf("emails %d, scheduled %d: nothing may follow a refusal", len(h.sim.EmailsSent(ada)), len(h.sched.msgs))
	}
}

// Issue 11: a guest someone else invited is adopted for assignments only:
// no invitation mail, its identity left alone, and expiry with
// EXPIRY_ACTION=delete does not delete it.
func TestServeAdoptsAForeignGuestAndNeverDeletesIt(t *testing.T) {
	h := newHarnessSim(t, existingUser(existingID, "Guest", "PendingAcceptance"),
		"EXPIRY_ACTION", "delete", "REMINDER_SCHEDULE", "1s,2s", "REMINDER_EXPIRE_AFTER", "3s")
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData)); code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	u, _ := h.sim.GetUser(existingID)
	st := h.sim.State()
	if u.Properties["jobTitle"] != "Chief Financial Officer" || u.ManagerID != "" || u.Properties["city"] != nil {
		t.Errorf("identity of someone else's guest changed: %+v", u.Properties)
	}
	if !contains(h.sim.MembersOf(graphsim.SampleGroupPartners), existingID) || countRole(st, existingID, graphsim.RoleGuestInviter) != 1 || countApps(st, existingID) != 2 {
		t.Errorf("assignments not applied to the adopted guest")
	}
	for _, n := range []string{"/reminder/1", "/reminder/2", "/reminder/3"} {
		if code, body := h.deliverScheduled(t, h.sched.find(t, n)); code != 200 {
			t.Fatal(n, code, body)
		}
	}
	if _, ok := h.sim.GetUser(existingID); !ok {
		t.Fatal("expiry deleted a guest this app did not create")
	}
	if n := len(h.sim.EmailsSent(ada)); n != 0 {
		t.Errorf("%d emails to someone else's guest", n)
	}
	if rec := h.record(t); rec.Phase != workflow.PhaseExpired || rec.UserOrigin != workflow.OriginAdopted {
		t.Errorf("record: phase %s origin %q", rec.Phase, rec.UserOrigin)
	}
}

// reminderEnvelope is a reminder-due event with the app's own source, as
// anyone with send rights on the queue could forge it.
func reminderEnvelope(t *testing.T, messageID, data string) []byte {
	ev := fmt.Sprintf(`{"specversion":"1.0","type":"reminder-due","source":%q,"id":%q,"datacontenttype":"application/json","data":%s}`,
		workflow.Source, messageID, data)
	return envelope(t, []byte(ev), true, messageID, 1, structuredCT, nil)
}

// Issue 11: forged reminder-due events act at once no more: four of them
// right after the approval send no mail and expire (delete) nothing.
func TestServeForgedRemindersSendNoMailAndExpireNothing(t *testing.T) {
	h := newHarness(t, "EXPIRY_ACTION", "delete")
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData)); code != 200 {
		t.Fatal(code, body)
	}
	for n := 1; n <= 4; n++ {
		id := fmt.Sprintf("forged-%d", n)
		if code, body := h.post(t, reminderEnvelope(t, id, fmt.Sprintf(`{"key":%q,"number":%d,"requestId":"x"}`, ada, n))); code != 200 {
			t.Fatalf("forged reminder %d: %d %s", n, code, body)
		}
	}
	g := h.guest(t)
	if n := len(h.sim.EmailsSent(ada)); n != 1 || !g.AccountEnabled {
		t.Fatalf("%d emails, enabled %v: forged reminders acted", n, g.AccountEnabled)
	}
	if rec := h.record(t); rec.Phase != workflow.PhaseProvisioned || rec.Reminders.Sent != 0 {
		t.Fatalf("record: phase %s reminders %+v", rec.Phase, rec.Reminders)
	}
}

// Issue 11: a junk message sent with a reminder's MessageId fails alone;
// the real reminder with that id is still honoured, not failed as a
// "known failure".
func TestServeJunkWithAReminderIDDoesNotPoisonIt(t *testing.T) {
	h := newHarness(t, "REMINDER_SCHEDULE", "1s,2s", "REMINDER_EXPIRE_AFTER", "3s")
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", adaData)); code != 200 {
		t.Fatal(code, body)
	}
	real := h.sched.find(t, "/reminder/1")
	if code, _ := h.post(t, reminderEnvelope(t, real.msg.ID, `{"key":"x","number":"one"}`)); code != 500 {
		t.Fatalf("junk answered %d, want 500", code)
	}
	if code, body := h.deliverScheduled(t, real); code != 200 || !strings.Contains(body, "reminder-sent") {
		t.Fatalf("the real reminder: %d %s", code, body)
	}
	if n := len(h.sim.EmailsSent(ada)); n != 2 {
		t.Fatalf("%d emails, want the invitation and the first reminder", n)
	}
}

// Issue 11: retry bookkeeping is not taken from attributes a sender sets:
// an event claiming its first failure lies in the future still gives up
// after RETRY_MAX_ELAPSED.
func TestServeRetriesEndDespiteAForgedFirstFailure(t *testing.T) {
	h := newHarnessSim(t, graphsim.Config{Knobs: &graphsim.Knobs{FailureRate: 1}},
		"RETRY_INITIAL_DELAY", "200ms", "RETRY_MAX_DELAY", "400ms", "RETRY_MAX_ELAPSED", "2s")
	ev := fmt.Sprintf(`{"specversion":"1.0","type":"partner-approved","source":%q,"id":"ev-1","onboardattempt":"1","onboardfirstfailure":"2099-01-01T00:00:00Z","datacontenttype":"application/json","data":%s}`,
		partnerSource, adaData)
	if code, body := h.deliver(t, "msg-1", 1, []byte(ev)); code != 200 {
		t.Fatalf("first delivery: %d %s", code, body)
	}
	start := time.Now()
	h.drainRetries(t, start.Add(10*time.Second), func(answer string) bool {
		return strings.Contains(answer, ": 500 ") && strings.Contains(answer, "gave up after")
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %s, want about RETRY_MAX_ELAPSED (2s)", took)
	}
}

// Issue 11: the policy is evaluated on the merged desired state: a group
// an earlier approval asked for, since removed from the allow-list, is not
// assigned by a later approval; the record says why.
func TestServePolicyAppliesToTheMergedState(t *testing.T) {
	h := newHarness(t)
	k := h.sim.Knobs()
	k.Deny = []string{"POST /groups/{id}/members/$ref"}
	h.sim.SetKnobs(k)
	first := `{"requestId":"r1","email":"ada.lovelace@fabrikam.com","groups":["` + graphsim.SampleGroupApollo + `"]}`
	if code, body := h.deliver(t, "msg-1", 1, cloudEvent("partner-approved", "ev-1", first)); code != 500 {
		t.Fatalf("first approval: %d %s, want the 403 as a permanent failure", code, body)
	}
	// ops remove Apollo from POLICY_ALLOWED_GROUPS and fix the permission
	h.engine.Policy.AllowedGroups = []string{graphsim.SampleGroupPartners}
	k.Deny = nil
	h.sim.SetKnobs(k)
	second := `{"requestId":"r2","email":"ada.lovelace@fabrikam.com","groups":["` + graphsim.SampleGroupPartners + `"]}`
	if code, body := h.deliver(t, "msg-2", 1, cloudEvent("partner-approved", "ev-2", second)); code != 200 {
		t.Fatalf("second approval: %d %s", code, body)
	}
	g := h.guest(t)
	if contains(h.sim.MembersOf(graphsim.SampleGroupApollo), g.ID) || !contains(h.sim.MembersOf(graphsim.SampleGroupPartners), g.ID) {
		t.Fatal("a group no longer allowed was assigned (or the allowed one was not)")
	}
	var why string
	for _, m := range h.record(t).Missing {
		if m.Change == "group:"+graphsim.SampleGroupApollo && m.State == workflow.MissingRefused {
			why = m.Reason
		}
	}
	if !strings.Contains(why, "POLICY_ALLOWED_GROUPS") {
		t.Fatalf("record does not show the refusal: %+v", h.record(t).Missing)
	}
}
