package devrun

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/infra"
)

// TestDevSettingsLayers checks the precedence dev promises in docs/dev.md:
// what dev owns, then environment, then local.settings.json, then dev
// defaults, then config defaults.
func TestDevSettingsLayers(t *testing.T) {
	rt := devRuntime{GraphURL: "http://127.0.0.1:4000/v1.0", Graphsim: true, HandlerPort: "4001",
		ReminderSchedule: "2s,4s", ExpireAfter: "6s"}
	env := map[string]string{
		"POLICY_ALLOWED_ROLES":   graphsim.RoleGlobalAdministrator, // env wins over the file and the dev default
		"GRAPH_BASE_URL":         "https://graph.microsoft.com/v1.0",
		"REMINDER_SCHEDULE":      "3d,7d",
		"POLICY_ALLOWED_SOURCES": "  ", // blank counts as unset
	}
	file := map[string]string{
		"POLICY_ALLOWED_ROLES":  "from-file",
		"POLICY_ALLOWED_GROUPS": "", // blank in the file: dev default applies
		"POLICY_ALLOWED_APPS":   graphsim.SampleSPWiki,
		"ONBOARDING_QUEUE":      "partners",
		"GRAPH_AUTH":            "default",
		"RETRY_INITIAL_DELAY":   "5s",
	}
	get := devSettings(rt, config.Layered(config.FromMap(env), config.FromMap(file)))
	cfg, err := config.Load(get)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  any
		want any
	}{
		{"GRAPH_BASE_URL is dev's", cfg.GraphBaseURL, rt.GraphURL},
		{"GRAPH_AUTH is none for graphsim", cfg.GraphAuth, "none"},
		{"port is dev's", cfg.Port, "4001"},
		{"scheduler is replaced", cfg.Scheduler, "memory"},
		{"store is replaced", cfg.StateStore, "memory"},
		{"reminders from the flag", cfg.Workflow.ReminderSchedule, []time.Duration{2 * time.Second, 4 * time.Second}},
		{"expiry from the flag", cfg.Workflow.ExpireAfter, 6 * time.Second},
		{"env over file", cfg.Policy.AllowedRoles, []string{graphsim.RoleGlobalAdministrator}},
		{"file over dev default", cfg.Policy.AllowedApps, []string{graphsim.SampleSPWiki}},
		{"blank file value: dev default", cfg.Policy.AllowedGroups, sampleGroups()},
		{"blank env value: dev default", cfg.Policy.AllowedSources, []string{"*"}},
		{"file setting", cfg.Queue, "partners"},
		{"file over dev retry default", cfg.Workflow.RetryInitial, 5 * time.Second},
		{"dev retry default", cfg.Workflow.RetryMax, 30 * time.Second},
		{"config default", cfg.Workflow.ExpiryAction, "none"},
	} {
		if !equalAny(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func equalAny(a, b any) bool {
	switch x := a.(type) {
	case []string:
		return slices.Equal(x, b.([]string))
	case []time.Duration:
		return slices.Equal(x, b.([]time.Duration))
	}
	return a == b
}

func TestDevSettingsWithGraphURL(t *testing.T) {
	for _, tc := range []struct {
		url, wantAuth string
		env           map[string]string
		wantGroups    []string
	}{
		{"https://graph.microsoft.com/v1.0", "default", nil, nil},
		{"http://127.0.0.1:9999/v1.0", "none", nil, nil},
		{"https://graph.microsoft.com/v1.0", "managedidentity", map[string]string{"GRAPH_AUTH": "managedidentity", "POLICY_ALLOWED_GROUPS": "9f0c0000-0000-4000-8000-00000000000a"}, []string{"9f0c0000-0000-4000-8000-00000000000a"}},
	} {
		rt := devRuntime{GraphURL: tc.url, HandlerPort: "4001", ReminderSchedule: "20s", ExpireAfter: "100s"}
		cfg, err := config.Load(devSettings(rt, config.FromMap(tc.env)))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.GraphAuth != tc.wantAuth {
			t.Errorf("%s: GRAPH_AUTH %q, want %q", tc.url, cfg.GraphAuth, tc.wantAuth)
		}
		// a real tenant does not have graphsim's sample ids: no sample policy
		if !slices.Equal(cfg.Policy.AllowedGroups, tc.wantGroups) || len(cfg.Policy.AllowedApps) != 0 {
			t.Errorf("%s: policy %+v; want no graphsim sample defaults", tc.url, cfg.Policy)
		}
	}
}

func TestSampleRolesExcludePrivileged(t *testing.T) {
	roles := sampleNonPrivilegedRoles()
	if !slices.Contains(roles, graphsim.RoleGuestInviter) || !slices.Contains(roles, graphsim.RoleDirectoryReaders) {
		t.Errorf("roles %v: want Guest Inviter and Directory Readers", roles)
	}
	for _, r := range []string{graphsim.RoleGlobalAdministrator, graphsim.RolePrivilegedRoleAdministrator, graphsim.RoleUserAdministrator,
		graphsim.RoleHelpdeskAdministrator, graphsim.RoleApplicationAdministrator} {
		if slices.Contains(roles, r) {
			t.Errorf("privileged role %s in the dev default %v", r, roles)
		}
	}
}

// TestDevQueueHasTheDeployedQueueProperties: dev's queue takes every
// property of infra/queue.json (which main.bicep deploys), and the two
// flags override theirs.

// TestOptionsDefaultToTheDeployedQueue: dev's queue takes the deployed
// queue's delivery count and lock duration unless the flags say
// otherwise, and bad flag values are refused by name.
func TestOptionsDefaultToTheDeployedQueue(t *testing.T) {
	p, err := infra.Queue()
	if err != nil {
		t.Fatal(err)
	}
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.MaxDelivery != p.MaxDeliveryCount || o.LockDuration != p.LockDuration || o.Validate() != nil {
		t.Fatalf("defaults %d / %s (%v), want queue.json's %d / %s", o.MaxDelivery, o.LockDuration, o.Validate(), p.MaxDeliveryCount, p.LockDuration)
	}
	for _, tc := range []struct {
		change func(*Options)
		flag   string
	}{
		{func(o *Options) { o.LockDuration = 0 }, "--lock-duration"},
		{func(o *Options) { o.LockDuration = 6 * time.Minute }, "--lock-duration"},
		{func(o *Options) { o.LockDuration = -time.Second }, "--lock-duration"},
		{func(o *Options) { o.MaxDelivery = 0 }, "--max-delivery-count"},
		{func(o *Options) { o.Addr = "0.0.0.0:7071" }, "must be a loopback address"},
		{func(o *Options) { o.Addr = "nonsense" }, "--addr"},
		{func(o *Options) { o.ReminderSchedule = "4s,2s" }, "--reminder-schedule"},
		{func(o *Options) { o.ExpireAfter = "soon" }, "--expire-after"},
		{func(o *Options) { o.LogFormat = "xml" }, "--log-format"},
		{func(o *Options) { o.DataDir = " " }, "--data-dir"},
		{func(o *Options) { o.GraphsimAddr = "0.0.0.0:5081" }, "--graphsim-addr \"0.0.0.0:5081\": must be a loopback address"},
		{func(o *Options) { o.GraphsimAddr = "5081" }, "--graphsim-addr \"5081\": must be host:port"},
		{func(o *Options) { o.Addr = "127.0.0.1:99999" }, "--addr \"127.0.0.1:99999\": must be host:port with a port from 0 to 65535"},
		{func(o *Options) { o.GraphsimAddr = "localhost:http" }, "--graphsim-addr \"localhost:http\": must be host:port with a port from 0 to 65535"},
		{func(o *Options) { o.GraphsimAddr, o.GraphURL = "127.0.0.1:5081", "http://127.0.0.1:9/v1.0" }, "not with --graph-url"},
	} {
		bad := o
		tc.change(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%+v: err = %v, want it to name %s", bad, err, tc.flag)
		}
	}
}

// TestDevOverrides: dev names each of your settings it replaces (and
// not those it leaves alone or that already agree), and refuses a value
// that is invalid on its own instead of hiding it behind the override.
func TestDevOverrides(t *testing.T) {
	rt := devRuntime{GraphURL: "http://127.0.0.1:4000/v1.0", Graphsim: true, HandlerPort: "4001",
		ReminderSchedule: "20s,40s,80s", ExpireAfter: "100s"}
	for _, tc := range []struct {
		name    string
		user    map[string]string
		want    []string // "NAME=yours→dev"
		wantErr []string // substrings
	}{
		{"nothing set", nil, nil, nil},
		{"not dev's settings", map[string]string{"POLICY_ALLOWED_GROUPS": "*", "ONBOARDING_QUEUE": "q"}, nil, nil},
		{"same value", map[string]string{"SCHEDULER": "Memory", "REMINDER_SCHEDULE": "20s,40s,80s"}, nil, nil},
		{"sample settings", map[string]string{"GRAPH_BASE_URL": "https://graph.microsoft.com/v1.0", "GRAPH_AUTH": "default",
			"STATE_STORE": "tables", "SCHEDULER": "servicebus", "REMINDER_SCHEDULE": "3d,7d,14d", "REMINDER_EXPIRE_AFTER": "30d"},
			[]string{"GRAPH_BASE_URL=https://graph.microsoft.com/v1.0→http://127.0.0.1:4000/v1.0", "SCHEDULER=servicebus→memory",
				"STATE_STORE=tables→memory", "REMINDER_SCHEDULE=3d,7d,14d→20s,40s,80s", "REMINDER_EXPIRE_AFTER=30d→100s", "GRAPH_AUTH=default→none"}, nil},
		{"invalid values", map[string]string{"REMINDER_SCHEDULE": "abc", "GRAPH_AUTH": "bogus", "STATE_STORE": "tables"}, nil,
			[]string{`REMINDER_SCHEDULE: entry 1: invalid duration "abc"`, `GRAPH_AUTH: must be one of managedidentity, default, none, got "bogus"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := overrides(rt, config.FromMap(tc.user))
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range got {
				if o.Why == "" {
					t.Errorf("%s: no reason given", o.Name)
				}
				names = append(names, o.Name+"="+o.Yours+"→"+o.Dev)
			}
			if strings.Join(names, " ") != strings.Join(tc.want, " ") {
				t.Errorf("overrides %q, want %q", names, tc.want)
			}
		})
	}
}
