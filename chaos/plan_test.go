package chaos

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/workflow"
)

// policy is the workflow policy dev gets from policySettings.
func policy(t *testing.T) workflow.Policy {
	t.Helper()
	m := map[string]string{"GRAPH_AUTH": "none", "GRAPH_BASE_URL": "http://127.0.0.1:1/v1.0", "SCHEDULER": "memory", "STATE_STORE": "memory"}
	for _, kv := range policySettings() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	cfg, err := config.Load(func(name string) (string, bool) { v, ok := m[name]; return v, ok })
	if err != nil {
		t.Fatalf("config.Load with the chaos policy: %v", err)
	}
	return cfg.Policy
}

// TestPlanEventsMeetThePolicy proves the plan's valid approvals pass the
// workflow's own validation and policy and every poisoned one is refused,
// so that a guest for a poisoned address is a leak and a dead-lettered
// valid approval is the system's doing, not the harness's.
func TestPlanEventsMeetThePolicy(t *testing.T) {
	c := ShortConfig()
	c.Onboardings, c.PoisonRate, c.MergeRate, c.Seed = 300, 0.1, 0.5, 42
	p := newPlan(c, time.Now())
	pol := policy(t)
	kinds := map[sendKind]int{}
	poisoned := map[string]bool{}
	for _, o := range p.Onboardings {
		poisoned[o.Addr] = o.Poison
	}
	for _, s := range p.Sends {
		kinds[s.Kind]++
		var ev struct {
			ID     string          `json:"id"`
			Type   string          `json:"type"`
			Source string          `json:"source"`
			Data   json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(s.Body, &ev); err != nil {
			t.Fatalf("%s: body is not JSON: %v", s.MessageID, err)
		}
		if ev.Type != workflow.TypePartnerApproved || pol.CheckSource(ev.Source) != nil {
			t.Fatalf("%s: type %q source %q", s.MessageID, ev.Type, ev.Source)
		}
		spec, err := workflow.ParsePartnerApproved(ev.Data, "https://myapps.microsoft.com")
		if err != nil {
			t.Fatalf("%s: invalid event data: %v", s.MessageID, err)
		}
		if spec.Email != s.Addr {
			t.Errorf("%s: normalized email %q, plan address %q", s.MessageID, spec.Email, s.Addr)
		}
		err = pol.Check(spec)
		if poisoned[s.Addr] && err == nil {
			t.Errorf("%s: poisoned event passes the policy: %s", s.MessageID, s.Body)
		}
		if !poisoned[s.Addr] && err != nil {
			t.Errorf("%s (%s): valid event refused: %v", s.MessageID, s.Kind, err)
		}
	}
	for _, k := range []sendKind{kindFirst, kindMerge, kindDuplicate, kindRedeliver, kindPoison} {
		if kinds[k] == 0 {
			t.Errorf("no %s message in a plan of %d", k, len(p.Sends))
		}
	}
	if kinds[kindFirst] != c.Onboardings || kinds[kindPoison] != 30 {
		t.Errorf("kinds %v: want %d first approvals and 30 poisoned", kinds, c.Onboardings)
	}
	if !slices.IsSortedFunc(p.Sends, func(a, b *send) int { return int(a.At - b.At) }) {
		t.Error("sends not in time order")
	}
}

// TestPlanMergeIsOrderIndependent: a merge repeats the first approval's
// properties and manager, so the desired end state is the same whichever
// the workflow handles first.
func TestPlanMergeIsOrderIndependent(t *testing.T) {
	c := ShortConfig()
	c.Onboardings, c.MergeRate, c.Seed = 200, 1, 7
	p := newPlan(c, time.Now())
	for _, o := range p.Onboardings {
		if o.Poison {
			continue
		}
		var first, merge workflow.PartnerApproved
		for _, s := range o.Sends {
			switch s.Kind {
			case kindFirst:
				first = s.Data
			case kindMerge:
				merge = s.Data
			}
		}
		if merge.RequestID == "" || merge.RequestID == first.RequestID {
			t.Fatalf("%s: merge request %q, first %q", o.Addr, merge.RequestID, first.RequestID)
		}
		if *merge.Job != *first.Job || *merge.Identity != *first.Identity || *merge.Settings != *first.Settings ||
			merge.Contact.City != first.Contact.City || merge.Contact.PostalCode != first.Contact.PostalCode || first.Contact.MobilePhone != "" {
			t.Fatalf("%s: merge changes a property of the first approval", o.Addr)
		}
		if len(merge.Groups)+len(merge.Roles)+len(merge.Applications) == 0 {
			t.Errorf("%s: merge adds nothing", o.Addr)
		}
	}
}

// TestPlanIsReproducible: the same seed draws the same plan.
func TestPlanIsReproducible(t *testing.T) {
	c := ShortConfig()
	c.Seed = 99
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := newPlan(c, at), newPlan(c, at)
	if len(a.Sends) != len(b.Sends) {
		t.Fatalf("%d vs %d sends", len(a.Sends), len(b.Sends))
	}
	for i := range a.Sends {
		if a.Sends[i].MessageID != b.Sends[i].MessageID || string(a.Sends[i].Body) != string(b.Sends[i].Body) || a.Sends[i].At != b.Sends[i].At {
			t.Fatalf("send %d differs", i)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"CHAOS_ONBOARDINGS": "300", "CHAOS_MIN_KILLS": "5", "CHAOS_KILL_MIN": "2s", "CHAOS_KILL_MAX": "3s",
		"CHAOS_FAILURE_RATE": "0.3", "CHAOS_REMINDERS": "1s,2s", "CHAOS_EXPIRE_AFTER": "3s", "CHAOS_DEV_ENV": "A=1 B=2", "CHAOS_KEEP": "true"}
	c := FullConfig()
	if err := c.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Onboardings != 300 || c.MinKills != 5 || c.KillMin != 2*time.Second || c.KillMax != 3*time.Second || c.FailureRate != 0.3 ||
		c.Reminders != "1s,2s" || c.ExpireAfter != "3s" || !slices.Equal(c.DevEnv, []string{"A=1", "B=2"}) || !c.Keep {
		t.Errorf("config %+v", c)
	}
	for name, v := range map[string]string{
		"CHAOS_ONBOARDINGS": "0", "CHAOS_FAILURE_RATE": "1.5", "CHAOS_KILL_MIN": "20s", "CHAOS_EXPIRE_AFTER": "1s",
		"CHAOS_RATE": "x", "CHAOS_DEV_ENV": "novalue",
	} {
		c := FullConfig()
		err := c.FromEnv(func(k string) string {
			if k == name {
				return v
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: error %v, want one naming the variable", name, v, err)
		}
	}
}
