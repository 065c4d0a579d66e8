package graphsim_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// TestStateFileKeepsTheTenantAcrossRestarts: every write through the real
// SDK and the admin API is in the tenant file before it is answered; a new
// Server on the same file (another random seed, as `onboard dev` uses per
// run) has the same tenant, serves the guest invited before and keeps
// changing it; a restart without the file starts from the seed.
func TestStateFileKeepsTheTenantAcrossRestarts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "graphsim.json")
	e := newEnv(t, graphsim.Config{StateFile: file, RandSeed: 1}, clientOptions{})
	if e.sim.Restored() {
		t.Fatal("a new tenant file reports a restored tenant")
	}
	id := *invite(t, e, "kept@contoso.com", true).GetInvitedUser().GetId()
	addMember(t, e, graphsim.SampleGroupPartners, id)
	if st, _, _ := do(t, "POST", e.srv.URL+"/_sim/users/kept@contoso.com/accept", nil, nil); st != 200 {
		t.Fatalf("accept: %d", st)
	}
	before := e.sim.State()
	// what Graph answers about groups and apps, which State does not show
	listings := func(e *env) string {
		var out strings.Builder
		for _, path := range []string{"/v1.0/groups", "/v1.0/servicePrincipals", "/v1.0/users/" + id + "/memberOf"} {
			st, _, m := do(t, "GET", e.srv.URL+path, nil, nil)
			fmt.Fprintf(&out, "%s %d %s\n", path, st, jsonOf(t, m["value"]))
		}
		return out.String()
	}
	graphBefore := listings(e)
	onDisk := readState(t, file)
	if !strings.Contains(onDisk, id) || !strings.Contains(onDisk, `"externalUserState":"Accepted"`) {
		t.Fatalf("the tenant file lacks the guest or its acceptance:\n%.400s", onDisk)
	}

	e2 := newEnv(t, graphsim.Config{StateFile: file, RandSeed: 2}, clientOptions{})
	if !e2.sim.Restored() {
		t.Error("Restored() is false on an existing tenant file")
	}
	if after := e2.sim.State(); !reflect.DeepEqual(jsonOf(t, after), jsonOf(t, before)) {
		t.Errorf("tenant after the restart differs:\nbefore %s\nafter  %s", jsonOf(t, before), jsonOf(t, after))
	}
	if got := listings(e2); got != graphBefore {
		t.Errorf("Graph listings differ after the restart:\nbefore %s\nafter  %s", graphBefore, got)
	}
	if u, err := e2.client.Users().ByUserId(id).Get(ctx(t), nil); err != nil || *u.GetId() != id {
		t.Fatalf("GET the guest after the restart: %v", err)
	}
	if u, _ := e2.sim.GetUser(id); u.ExternalUserState != "Accepted" {
		t.Errorf("the guest's externalUserState after the restart: %q, want Accepted", u.ExternalUserState)
	}
	if m := e2.sim.MembersOf(graphsim.SampleGroupPartners); !containsFold(m, id) {
		t.Errorf("Partners members after the restart: %v", m)
	}
	// the restarted tenant keeps changing, and a new guest gets a new id
	id2 := *invite(t, e2, "second@contoso.com", true).GetInvitedUser().GetId()
	if id2 == id {
		t.Errorf("the second guest reuses the first one's id %s", id)
	}
	e3 := newEnv(t, graphsim.Config{StateFile: file, RandSeed: 3}, clientOptions{})
	if _, ok := e3.sim.GetUser(id2); !ok {
		t.Error("the guest invited after the first restart is gone after the second")
	}
	if n := len(e3.sim.State().Emails); n != 2 {
		t.Errorf("%d addresses with emails after two restarts, want 2", n)
	}
	// reset is a change too: the seed, saved
	if st, _, _ := do(t, "POST", e3.srv.URL+"/_sim/reset", nil, nil); st != 204 {
		t.Fatalf("reset: %d", st)
	}
	e4 := newEnv(t, graphsim.Config{StateFile: file, RandSeed: 4}, clientOptions{})
	if _, ok := e4.sim.GetUser(id); ok {
		t.Error("a reset tenant still has the guest after a restart")
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".graphsim.json.*")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

// TestStateFileRefusals: a tenant file graphsim cannot read stops New with
// the file's name rather than starting an empty tenant over it; a change
// that cannot be saved is answered 500, not taken as done.
func TestStateFileRefusals(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"not JSON", "{", "delete it to start from the seed"},
		{"another version", `{"version":99}`, "format version 99"},
		{"user without id", `{"version":1,"users":[{"props":{}}]}`, "users[0]: no id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "graphsim.json")
			if err := os.WriteFile(file, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := graphsim.New(graphsim.Config{StateFile: file})
			if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v; want an error naming %s and %q", err, file, tc.want)
			}
		})
	}
	t.Run("unwritable", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, graphsim.Config{StateFile: filepath.Join(dir, "graphsim.json")}, clientOptions{})
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"invitedUserEmailAddress":"lost@contoso.com","inviteRedirectUrl":"https://myapps.microsoft.com"}`)
		st, _, m := do(t, "POST", e.srv.URL+"/v1.0/invitations", body, map[string]string{"Content-Type": "application/json"})
		if st != 500 || !strings.Contains(jsonOf(t, m), "save tenant") {
			t.Errorf("invitation that cannot be saved: %d %v; want 500 naming the save", st, m)
		}
		if st, _, _ := do(t, "POST", e.srv.URL+"/_sim/users/lost@contoso.com/accept", nil, nil); st != 500 {
			t.Errorf("acceptance that cannot be saved: %d, want 500", st)
		}
	})
}

func readState(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// TestStateFileKeepsSponsors: a sponsor added through Graph is in the
// tenant file and listed by GET /users/{id}/sponsors after a restart.
func TestStateFileKeepsSponsors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "graphsim.json")
	e := newEnv(t, graphsim.Config{StateFile: file, RandSeed: 1}, clientOptions{})
	ref := []byte(`{"@odata.id":"` + e.srv.URL + `/v1.0/users/` + graphsim.SampleUserMegan + `"}`)
	if st, _, m := do(t, "POST", e.srv.URL+"/v1.0/users/"+graphsim.SampleUserAlex+"/sponsors/$ref", ref,
		map[string]string{"Content-Type": "application/json"}); st != 204 {
		t.Fatalf("add sponsor: %d %v", st, m)
	}
	e2 := newEnv(t, graphsim.Config{StateFile: file, RandSeed: 2}, clientOptions{})
	st, _, m := do(t, "GET", e2.srv.URL+"/v1.0/users/"+graphsim.SampleUserAlex+"/sponsors", nil, nil)
	if got := jsonOf(t, m["value"]); st != 200 || !strings.Contains(got, graphsim.SampleUserMegan) {
		t.Errorf("sponsors after the restart: %d %s, want %s", st, got, graphsim.SampleUserMegan)
	}
}
