package graphsim_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
)

func TestAdminEndpoints(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	admin := e.srv.URL + "/_sim"
	id := *invite(t, e, "admin.test@contoso.com", true).GetInvitedUser().GetId()
	addMember(t, e, graphsim.SampleGroupPartners, id)

	st, _, m := do(t, "GET", admin+"/state", nil, nil)
	if st != 200 || m["domain"] != "fabrikam.onmicrosoft.com" {
		t.Fatalf("state: %d %v", st, m["domain"])
	}
	emails := m["emails"].(map[string]any)["admin.test@contoso.com"].([]any)
	if len(emails) != 1 {
		t.Errorf("emails in state = %v", emails)
	}
	st, _, m = do(t, "GET", admin+"/requests", nil, nil)
	counts := m["counts"].(map[string]any)
	if st != 200 || counts["POST /invitations"] != 1.0 || counts["POST /groups/{id}/members/$ref"] != 1.0 {
		t.Errorf("requests: %d %v", st, counts)
	}

	// accept by email, then by id (idempotent); unknown → 404; a member user → 400
	st, _, m = do(t, "POST", admin+"/users/admin.test@contoso.com/accept", nil, nil)
	if st != 200 || m["externalUserState"] != "Accepted" {
		t.Errorf("accept by email: %d %v", st, m)
	}
	if st, _, _ = do(t, "POST", admin+"/users/"+id+"/accept", nil, nil); st != 200 {
		t.Errorf("accept by id: %d", st)
	}
	if st, _, _ = do(t, "POST", admin+"/users/nobody@contoso.com/accept", nil, nil); st != 404 {
		t.Errorf("accept unknown: %d", st)
	}
	if st, _, _ = do(t, "POST", admin+"/users/"+graphsim.SampleUserMegan+"/accept", nil, nil); st != 400 {
		t.Errorf("accept member: %d", st)
	}
	st, _, m = do(t, "GET", admin+"/emails/admin.test@contoso.com", nil, nil)
	if st != 200 || len(m["emails"].([]any)) != 1 {
		t.Errorf("emails: %d %v", st, m)
	}

	// knobs: PATCH merges, PUT replaces, invalid values are refused
	st, _, m = do(t, "PATCH", admin+"/knobs", []byte(`{"latency":"5ms","replicationLag":"2s"}`), nil)
	if st != 200 || m["latency"] != "5ms" || m["inviteLimit"] != 150.0 || m["replicationLag"] != "2s" {
		t.Errorf("patch knobs: %d %v", st, m)
	}
	if k := e.sim.Knobs(); k.Latency != 5*time.Millisecond || k.ReplicationLag != 2*time.Second || k.InviteLimit != 150 {
		t.Errorf("knobs after patch = %+v", k)
	}
	st, _, m = do(t, "PUT", admin+"/knobs", []byte(`{"failureRate":0.25}`), nil)
	if st != 200 || m["inviteLimit"] != 0.0 || m["failureRate"] != 0.25 || m["latency"] != "0s" {
		t.Errorf("put knobs: %d %v", st, m)
	}
	for _, bad := range []string{`{"failureRate":2}`, `{"latency":"soon"}`, `{"nonsense":1}`, `[1]`, `{"inviteLimit":5,"inviteWindow":"0s"}`} {
		if st, _, m = do(t, "PATCH", admin+"/knobs", []byte(bad), nil); st != 400 {
			t.Errorf("knobs %s: %d %v", bad, st, m)
		}
	}
	if e.sim.Knobs().FailureRate != 0.25 {
		t.Errorf("a refused knob change altered the knobs")
	}

	if st, _, _ = do(t, "POST", admin+"/reset", nil, nil); st != 204 {
		t.Errorf("reset: %d", st)
	}
	s := e.sim.State()
	if len(s.Users) != 3 || len(s.Emails) != 0 || len(s.Groups[0].Members) != 1 || e.sim.RequestCount("POST /invitations") != 0 {
		t.Errorf("after reset: %d users, %d emails, partners %v", len(s.Users), len(s.Emails), s.Groups[0].Members)
	}
	if st, _, _ = do(t, "GET", admin+"/nothing", nil, nil); st != 404 {
		t.Errorf("unknown admin endpoint: %d", st)
	}
	if _, err := e.sim.Accept("ghost@contoso.com"); !errors.Is(err, graphsim.ErrNotFound) {
		t.Errorf("Accept unknown = %v", err)
	}
}

func TestSeedFile(t *testing.T) {
	dir := t.TempDir()
	seed := graphsim.Seed{
		Domain: "woodgrove.onmicrosoft.com",
		Users:  []graphsim.SeedUser{{ID: "11111111-0000-4000-8000-000000000001", DisplayName: "Boss", MailNickname: "boss"}},
		Groups: []graphsim.SeedGroup{{ID: "22222222-0000-4000-8000-000000000001", DisplayName: "Vendors", SecurityEnabled: true,
			Members: []string{"11111111-0000-4000-8000-000000000001"}}},
		GroupAddressPatterns: []string{"team-*@*"},
	}
	b, _ := json.Marshal(seed)
	path := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := graphsim.LoadSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, graphsim.Config{Seed: &loaded}, clientOptions{})
	u, ok := e.sim.GetUser("boss@woodgrove.onmicrosoft.com")
	if !ok || u.ID != "11111111-0000-4000-8000-000000000001" {
		t.Fatalf("seeded user by UPN: %v %+v", ok, u)
	}
	if len(e.sim.State().Groups) != 1 {
		t.Errorf("groups = %d", len(e.sim.State().Groups))
	}
	defs, err := e.client.RoleManagement().Directory().RoleDefinitions().Get(ctx(t), nil)
	if err != nil || len(defs.GetValue()) != len(graphsim.BuiltInRoleDefinitions()) {
		t.Errorf("default role definitions missing: %v", err)
	}
	_, err = e.client.Invitations().Post(ctx(t), newInvitation("team-red@contoso.com", false), nil)
	wantODataError(t, err, http.StatusBadRequest, "BadRequest", graphsim.MsgGroupEmail)
	invite(t, e, "dl-partners@contoso.com", false) // default patterns replaced

	bad := []struct{ name, json, msg string }{
		{"unknown field", `{"usres":[]}`, "usres"},
		{"dangling member", `{"groups":[{"id":"g1","displayName":"G","members":["nope"]}]}`, "unknown member"},
		{"duplicate id", `{"users":[{"id":"a","displayName":"A","mailNickname":"a"},{"id":"A","displayName":"B","mailNickname":"b"}]}`, "used by"},
		{"unknown manager", `{"users":[{"id":"a","displayName":"A","mailNickname":"a","managerId":"zz"}]}`, "unknown manager"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".json")
			_ = os.WriteFile(p, []byte(c.json), 0o600)
			if _, err := graphsim.LoadSeed(p); err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("LoadSeed = %v, want an error mentioning %q", err, c.msg)
			}
		})
	}
}
