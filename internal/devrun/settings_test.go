package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/infra"
)

func TestParseLocalSettings(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      map[string]string
		wantErr   string
	}{
		{"strings, numbers, booleans and null", `{"IsEncrypted": false, "Values": {"A": "x", "N": 3, "B": true, "Z": null, "E": ""}}`,
			map[string]string{"A": "x", "N": "3", "B": "true", "Z": "", "E": ""}, ""},
		{"no Values", `{"Host": {"LocalHttpPort": 7072}}`, map[string]string{}, ""},
		{"encrypted", `{"IsEncrypted": true, "Values": {"A": "x"}}`, nil, "IsEncrypted is true"},
		{"object value", `{"Values": {"A": {"b": 1}}}`, nil, "Values.A: must be a string"},
		{"not JSON", `{"Values": `, nil, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLocalSettings("local.settings.json", []byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "local.settings.json") {
					t.Fatalf("err = %v, want one naming the file and containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestReadLocalSettingsMissingFileIsEmpty(t *testing.T) {
	got, err := readLocalSettings(filepath.Join(t.TempDir(), "local.settings.json"))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no settings and no error", got, err)
	}
}

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
	get := devSettings(rt, layered(fromMap(env), fromMap(file)))
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
		{"https://graph.microsoft.com/v1.0", "managedidentity", map[string]string{"GRAPH_AUTH": "managedidentity", "POLICY_ALLOWED_GROUPS": "g1"}, []string{"g1"}},
	} {
		rt := devRuntime{GraphURL: tc.url, HandlerPort: "4001", ReminderSchedule: "20s", ExpireAfter: "100s"}
		cfg, err := config.Load(devSettings(rt, fromMap(tc.env)))
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

func TestSettingsMapFillsConfigDefaults(t *testing.T) {
	m := settingsMap(fromMap(map[string]string{"GRAPH_AUTH": "none"}), map[string]string{"CUSTOM": ""})
	if m["ONBOARDING_QUEUE"] != "onboarding" || m["GRAPH_AUTH"] != "none" {
		t.Errorf("ONBOARDING_QUEUE %q GRAPH_AUTH %q: want the config default and the given value", m["ONBOARDING_QUEUE"], m["GRAPH_AUTH"])
	}
	if _, ok := m["CUSTOM"]; ok {
		t.Error("a blank extra setting must stay unset (function.json %NAME% then names it)")
	}
}

func TestDevAppRootPrefersWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	root, source, cleanup, err := devAppRoot()
	if err != nil {
		t.Fatal(err)
	}
	if source != "built-in copy" {
		t.Errorf("empty directory: source %q, want the built-in copy", source)
	}
	for _, f := range []string{"host.json", "functions/OnboardingEvents/function.json", "functions/OnboardingStatus/function.json"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("built-in copy lacks %s: %v", f, err)
		}
	}
	cleanup()
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s", root)
	}

	if err := os.MkdirAll("functions/X", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("host.json", []byte(`{"version":"2.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	root, _, cleanup, err = devAppRoot()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if root != "." {
		t.Errorf("with ./host.json and ./functions: root %q, want .", root)
	}
}

// TestDevQueueHasTheDeployedQueueProperties: dev's queue takes every
// property of infra/queue.json (which main.bicep deploys), and the two
// flags override theirs.
func TestDevQueueHasTheDeployedQueueProperties(t *testing.T) {
	p, err := infra.Queue()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseDevFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.maxDelivery != p.MaxDeliveryCount || f.lockDuration != p.LockDuration {
		t.Fatalf("flag defaults %d / %s, want queue.json's %d / %s", f.maxDelivery, f.lockDuration, p.MaxDeliveryCount, p.LockDuration)
	}
	got := devQueueOptions(f.queue, f.maxDelivery, f.lockDuration, nil)
	want := devhost.QueueOptions{MaxDeliveryCount: 10, LockDuration: 5 * time.Minute,
		DuplicateDetectionWindow: 48 * time.Hour, DefaultTTL: 14 * 24 * time.Hour}
	if got.MaxDeliveryCount != want.MaxDeliveryCount || got.LockDuration != want.LockDuration ||
		got.DuplicateDetectionWindow != want.DuplicateDetectionWindow || got.DefaultTTL != want.DefaultTTL || got.DiscardExpired {
		t.Fatalf("dev queue options = %+v, want %+v", got, want)
	}

	f, err = parseDevFlags([]string{"--max-delivery-count", "3", "--lock-duration", "2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o := devQueueOptions(f.queue, f.maxDelivery, f.lockDuration, nil); o.MaxDeliveryCount != 3 || o.LockDuration != 2*time.Second || o.DefaultTTL != p.DefaultMessageTimeToLive {
		t.Fatalf("with overrides: %+v", o)
	}
	off := p
	off.RequiresDuplicateDetection, off.DeadLetteringOnMessageExpiration = false, false
	if o := devQueueOptions(off, 1, time.Second, nil); o.DuplicateDetectionWindow >= 0 || !o.DiscardExpired {
		t.Fatalf("duplicate detection and dead-lettering on expiry off: %+v", o)
	}
	for _, bad := range []string{"0s", "6m", "-1s"} {
		if _, err := parseDevFlags([]string{"--lock-duration", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "--lock-duration") {
			t.Errorf("--lock-duration %s: err = %v", bad, err)
		}
	}
}
