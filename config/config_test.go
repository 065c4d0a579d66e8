package config

import (
	"strings"
	"testing"
	"time"
)

func env(kv ...string) Getenv {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// base is a valid local configuration; cases add or override settings.
var base = []string{"SCHEDULER", "memory", "STATE_STORE", "memory",
	"GRAPH_BASE_URL", "http://127.0.0.1:9999/v1.0", "GRAPH_AUTH", "none"}

func TestLoadValid(t *testing.T) {
	c, err := Load(env(append(base, "REMINDER_SCHEDULE", "20s,40s,80s", "REMINDER_EXPIRE_AFTER", "100s",
		"POLICY_ALLOWED_GROUPS", " 9f0c0000-0000-4000-8000-000000000001, 9f0c0000-0000-4000-8000-000000000002 ,", "POLICY_ALLOWED_DOMAINS", "Fabrikam.COM",
		"EVENT_TYPE_ALIASES", "com.contoso.procurement.partner-approved=partner-approved")...))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Workflow.ReminderSchedule; len(got) != 3 || got[2] != 80*time.Second {
		t.Errorf("schedule = %v", got)
	}
	if got := c.Policy.AllowedGroups; len(got) != 2 || got[1] != "9f0c0000-0000-4000-8000-000000000002" {
		t.Errorf("groups = %q", got)
	}
	if c.Policy.AllowedDomains[0] != "fabrikam.com" {
		t.Errorf("domains not lower-cased: %q", c.Policy.AllowedDomains)
	}
	if c.Workflow.TypeAliases["com.contoso.procurement.partner-approved"] != "partner-approved" {
		t.Errorf("aliases = %v", c.Workflow.TypeAliases)
	}
	if c.Workflow.ExistingUsers != "adopt-guests" || c.Workflow.SettleWindow != 5*time.Minute {
		t.Errorf("existing users %q, settle window %s: want the safe defaults adopt-guests, 5m", c.Workflow.ExistingUsers, c.Workflow.SettleWindow)
	}
	if c.Queue != "onboarding" || c.Workflow.ExpiryAction != "none" || c.Port != "8080" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestLoadDefaultsNeedAzure(t *testing.T) {
	_, err := Load(env())
	for _, want := range []string{"ServiceBusConnection__fullyQualifiedNamespace: required", "STATE_TABLE_ENDPOINT: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
	if _, err := Load(env("ServiceBusConnection__fullyQualifiedNamespace", "x.servicebus.windows.net",
		"AzureWebJobsStorage", "UseDevelopmentStorage=true")); err != nil {
		t.Errorf("production defaults with namespace and storage: %v", err)
	}
}

func TestLoadInvalid(t *testing.T) {
	cases := []struct {
		name, key, value, want string
	}{
		{"auth none on remote graph", "GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0", "GRAPH_AUTH: `none` is allowed only for a loopback"},
		{"auth none on lookalike host", "GRAPH_BASE_URL", "https://localhost.evil.example/v1.0", "GRAPH_AUTH: `none` is allowed only for a loopback"},
		{"plain http on private address", "GRAPH_BASE_URL", "http://10.0.0.5/v1.0", "GRAPH_BASE_URL: plain http is allowed only for loopback"},
		{"query in graph url", "GRAPH_BASE_URL", "http://127.0.0.1:1/v1.0?x=1", "GRAPH_BASE_URL: must not carry a query"},
		{"unknown auth", "GRAPH_AUTH", "password", "GRAPH_AUTH: must be one of"},
		{"relative graph url", "GRAPH_BASE_URL", "/v1.0", "GRAPH_BASE_URL: must be an absolute"},
		{"bad scheduler", "SCHEDULER", "cron", "SCHEDULER: must be one of servicebus, memory"},
		{"bad store", "STATE_STORE", "sql", "STATE_STORE: must be one of"},
		{"bad port", "FUNCTIONS_CUSTOMHANDLER_PORT", "70000", "FUNCTIONS_CUSTOMHANDLER_PORT: must be a TCP port"},
		{"decreasing schedule", "REMINDER_SCHEDULE", "7d,3d", "REMINDER_SCHEDULE: entry 2 (3d): must be later than entry 1 (7d)"},
		{"schedule not a duration", "REMINDER_SCHEDULE", "abc", `REMINDER_SCHEDULE: entry 1: invalid duration "abc"`},
		{"group not a GUID", "POLICY_ALLOWED_GROUPS", "9f0c0000-0000-4000-8000-000000000001,not-a-guid", `POLICY_ALLOWED_GROUPS: entries must be group object ids (GUIDs) or *, got "not-a-guid"`},
		{"role by name", "POLICY_ALLOWED_ROLES", "Guest Inviter", `POLICY_ALLOWED_ROLES: entries must be role definition ids (GUIDs) or *, got "Guest Inviter"`},
		{"allowed domain not a domain", "POLICY_ALLOWED_DOMAINS", "fabrikam", `POLICY_ALLOWED_DOMAINS: entries must be domain names such as fabrikam.com (no @, scheme or path), got "fabrikam"`},
		{"allowed domain as address", "POLICY_ALLOWED_DOMAINS", "ada@fabrikam.com", `POLICY_ALLOWED_DOMAINS: entries must be domain names`},
		{"allowed domain as URL", "POLICY_ALLOWED_DOMAINS", "https://fabrikam.com", `POLICY_ALLOWED_DOMAINS: entries must be domain names`},
		{"blocked domain *", "POLICY_BLOCKED_DOMAINS", "*", `POLICY_BLOCKED_DOMAINS: entries must be domain names`},
		{"cc domain with port", "POLICY_ALLOWED_CC_DOMAINS", "contoso.com:25", `POLICY_ALLOWED_CC_DOMAINS: entries must be domain names`},
		{"redirect host with path", "POLICY_ALLOWED_REDIRECT_HOSTS", "myapps.microsoft.com/x", "POLICY_ALLOWED_REDIRECT_HOSTS: entries must be host names"},
		{"source with a space", "POLICY_ALLOWED_SOURCES", "/procurement partners", `POLICY_ALLOWED_SOURCES: entries must be CloudEvent sources`},
		{"bad duration", "REMINDER_SCHEDULE", "3 days", "REMINDER_SCHEDULE: entry 1: invalid duration"},
		{"expiry before last reminder", "REMINDER_EXPIRE_AFTER", "10d", "REMINDER_EXPIRE_AFTER: must be later than the last reminder of REMINDER_SCHEDULE (14d), got 10d"},
		{"bad expiry action", "EXPIRY_ACTION", "archive", "EXPIRY_ACTION: must be one of none, disable, delete"},
		{"bad alias", "EVENT_TYPE_ALIASES", "x=approve", "EVENT_TYPE_ALIASES: each entry"},
		{"bad table", "STATE_TABLE_NAME", "on-boarding", "STATE_TABLE_NAME: must be 3-63"},
		{"bad redirect", "INVITE_REDIRECT_URL", "myapps", "INVITE_REDIRECT_URL: must be an absolute https URL"},
		{"http redirect", "INVITE_REDIRECT_URL", "http://myapps.microsoft.com", "INVITE_REDIRECT_URL: must be an absolute https URL"},
		{"redirect host not allowed", "INVITE_REDIRECT_URL", "https://portal.contoso.com", `INVITE_REDIRECT_URL: host "portal.contoso.com" is not in POLICY_ALLOWED_REDIRECT_HOSTS`},
		{"redirect hosts as URLs", "POLICY_ALLOWED_REDIRECT_HOSTS", "https://myapps.microsoft.com", "POLICY_ALLOWED_REDIRECT_HOSTS: entries must be host names"},
		{"wildcard privileged roles", "POLICY_ALLOWED_PRIVILEGED_ROLES", "*", "POLICY_ALLOWED_PRIVILEGED_ROLES: `*` is not allowed"},
		{"privileged role by name", "POLICY_ALLOWED_PRIVILEGED_ROLES", "Global Administrator", "POLICY_ALLOWED_PRIVILEGED_ROLES: entries must be role definition ids"},
		{"app entry", "POLICY_ALLOWED_APPS", "5e7c0000-0000-4000-8000-000000000001/Partner.Admin", "POLICY_ALLOWED_APPS: entries must be spId, spId/appRoleId or spId/*"},
		{"member flag", "POLICY_ALLOW_MEMBER_USER_TYPE", "yes please", "POLICY_ALLOW_MEMBER_USER_TYPE: must be true or false"},
		{"body limit unit", "MAX_INVOCATION_BYTES", "1MB", "MAX_INVOCATION_BYTES: must be a positive number of bytes"},
		{"body limit too small", "MAX_INVOCATION_BYTES", "1KiB", "MAX_INVOCATION_BYTES: must be between 64KiB and 256MiB"},
		{"invite pacing at the tenant limit", "INVITE_RATE_LIMIT", "150", "INVITE_RATE_LIMIT: must be a whole number from 0"},
		{"invite pacing not a number", "INVITE_RATE_LIMIT", "fast", "INVITE_RATE_LIMIT: must be a whole number from 0"},
		{"negative retry", "RETRY_INITIAL_DELAY", "-1s", `RETRY_INITIAL_DELAY: must be positive, got "-1s"`},
		{"topic name ending in a dot", "OUTCOMES_TOPIC", "outcomes.", `OUTCOMES_TOPIC: must be 1 to 260 letters`},
		{"bad existing users", "POLICY_EXISTING_USERS", "take-over", "POLICY_EXISTING_USERS: must be one of adopt-guests, refuse, adopt-all"},
		{"bad settle window", "REPLICATION_SETTLE_WINDOW", "0s", "REPLICATION_SETTLE_WINDOW: must be positive"},
		{"queue with a space", "ONBOARDING_QUEUE", "on boarding", `ONBOARDING_QUEUE: must be 1 to 260 letters, digits`},
		{"topic with a space", "OUTCOMES_TOPIC", "onboarding outcomes", `OUTCOMES_TOPIC: must be 1 to 260 letters, digits`},
		{"topic ending in a slash", "OUTCOMES_TOPIC", "outcomes/", `OUTCOMES_TOPIC: must be 1 to 260 letters, digits`},
		{"topic too long", "OUTCOMES_TOPIC", strings.Repeat("t", 261), `OUTCOMES_TOPIC: must be 1 to 260 letters, digits`},
		{"type prefix with a space", "OUTCOME_TYPE_PREFIX", "com.contoso onboarding.", `OUTCOME_TYPE_PREFIX: must not contain spaces or control characters`},
		{"type prefix with a newline", "OUTCOME_TYPE_PREFIX", "com.contoso.\nx.", `OUTCOME_TYPE_PREFIX: must not contain spaces or control characters`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(append(append([]string{}, base...), tc.key, tc.value)...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%s=%q) error = %v, want it to contain %q", tc.key, tc.value, err, tc.want)
			}
		})
	}
}

// A REMINDER_EXPIRE_AFTER that is not positive is reported once, by that
// rule, not again as earlier than the last reminder.
func TestLoadExpireAfterNotPositiveOnce(t *testing.T) {
	_, err := Load(env(append(append([]string{}, base...), "REMINDER_EXPIRE_AFTER", "-1d")...))
	if err == nil || strings.Count(err.Error(), "REMINDER_EXPIRE_AFTER:") != 1 || !strings.Contains(err.Error(), `REMINDER_EXPIRE_AFTER: must be positive, got "-1d"`) {
		t.Fatalf("error = %v, want REMINDER_EXPIRE_AFTER reported once as not positive", err)
	}
}

// TestLoadPolicyDefaults: an unset policy is the safe one.
// TestLoadValidLists: every list setting accepts what it documents.
func TestLoadValidLists(t *testing.T) {
	for _, kv := range [][2]string{
		{"POLICY_ALLOWED_GROUPS", "*"},
		{"POLICY_ALLOWED_ROLES", "*"},
		{"POLICY_ALLOWED_ROLES", "95e79109-95c0-4d8e-aee3-d01accf2d47b"},
		{"POLICY_ALLOWED_DOMAINS", "fabrikam.com, @contoso.com,*"},
		{"POLICY_BLOCKED_DOMAINS", "evil.example"},
		{"POLICY_ALLOWED_CC_DOMAINS", "Contoso.com"},
		{"POLICY_ALLOWED_SOURCES", "/procurement/partners,urn:contoso:procurement,https://erp.contoso.com/events,*"},
		{"POLICY_ALLOWED_REDIRECT_HOSTS", "myapps.microsoft.com,portal.contoso.com:8443"},
	} {
		if _, err := Load(env(append(append([]string{}, base...), kv[0], kv[1])...)); err != nil {
			t.Errorf("%s=%q: %v", kv[0], kv[1], err)
		}
	}
}

// TestLoadWarnings: valid settings that grant more than they seem to are
// reported as warnings, naming the setting and the role.
func TestLoadWarnings(t *testing.T) {
	const globalAdmin, guestInviter = "62e90394-69f5-4237-9190-012177145e10", "95e79109-95c0-4d8e-aee3-d01accf2d47b"
	for _, tc := range []struct {
		name string
		kv   []string
		want []string // substrings, one per warning
	}{
		{"none", []string{"POLICY_ALLOWED_ROLES", guestInviter}, nil},
		{"privileged role allowed", []string{"POLICY_ALLOWED_ROLES", guestInviter + "," + globalAdmin},
			[]string{"POLICY_ALLOWED_ROLES: " + globalAdmin + " (Global Administrator) is a privileged role; events asking for it are refused unless POLICY_ALLOWED_PRIVILEGED_ROLES"}},
		{"privileged role allowed twice", []string{"POLICY_ALLOWED_ROLES", globalAdmin, "POLICY_ALLOWED_PRIVILEGED_ROLES", globalAdmin},
			[]string{"(Global Administrator) is a privileged role, and POLICY_ALLOWED_PRIVILEGED_ROLES allows it too"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(append(append([]string{}, base...), tc.kv...)...))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Warnings) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", c.Warnings, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(c.Warnings[i], w) {
					t.Errorf("warning %q lacks %q", c.Warnings[i], w)
				}
			}
		})
	}
}

// TestCheckValue: the settings dev overrides are still checked on their own.
func TestCheckValue(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"REMINDER_SCHEDULE", "3d,7d,14d", ""},
		{"REMINDER_SCHEDULE", "abc", `REMINDER_SCHEDULE: entry 1: invalid duration "abc"`},
		{"REMINDER_EXPIRE_AFTER", "0s", "REMINDER_EXPIRE_AFTER: must be positive"},
		{"GRAPH_AUTH", "bogus", "GRAPH_AUTH: must be one of managedidentity, default, none"},
		{"GRAPH_AUTH", "none", ""},
		{"GRAPH_BASE_URL", "graph", "GRAPH_BASE_URL: must be an absolute http(s) URL"},
		{"STATE_STORE", "sql", "STATE_STORE: must be one of tables, memory"},
		{"SCHEDULER", "memory", ""},
		{"LOG_FORMAT", "xml", "LOG_FORMAT: must be one of text, json"},
		{"FUNCTIONS_CUSTOMHANDLER_PORT", "x", "FUNCTIONS_CUSTOMHANDLER_PORT: must be a TCP port"},
	} {
		if got := CheckValue(tc.name, tc.value); (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("CheckValue(%s, %q) = %q, want %q…", tc.name, tc.value, got, tc.want)
		}
	}
}

func TestLoadPolicyDefaults(t *testing.T) {
	c, err := Load(env(base...))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy
	if p.AllowMemberUserType || len(p.AllowedRoles)+len(p.AllowedPrivilegedRoles)+len(p.AllowedApps)+len(p.AllowedGroups)+len(p.AllowedSources) != 0 {
		t.Errorf("unset policy allows something: %+v", p)
	}
	if strings.Join(p.AllowedRedirectHosts, ",") != "myapps.microsoft.com,myapplications.microsoft.com,myaccount.microsoft.com" {
		t.Errorf("redirect hosts %q", p.AllowedRedirectHosts)
	}
	if c.MaxInvocationBytes != 1<<20 {
		t.Errorf("MAX_INVOCATION_BYTES default = %d, want 1 MiB", c.MaxInvocationBytes)
	}
	if c.InviteRateLimit != 145 {
		t.Errorf("INVITE_RATE_LIMIT default = %d, want 145", c.InviteRateLimit)
	}
	for in, want := range map[string]int{"70": 70, "0": -1} {
		if c, err := Load(env(append(base, "INVITE_RATE_LIMIT", in)...)); err != nil || c.InviteRateLimit != want {
			t.Errorf("INVITE_RATE_LIMIT=%s: %d, %v; want %d", in, c.InviteRateLimit, err, want)
		}
	}
	c, err = Load(env(append(base, "POLICY_ALLOW_MEMBER_USER_TYPE", "TRUE", "POLICY_ALLOWED_CC_DOMAINS", "Contoso.com",
		"POLICY_ALLOWED_REDIRECT_HOSTS", "portal.contoso.com", "INVITE_REDIRECT_URL", "https://portal.contoso.com/welcome",
		"MAX_INVOCATION_BYTES", "512KiB")...))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Policy.AllowMemberUserType || c.Policy.AllowedCCDomains[0] != "contoso.com" || c.MaxInvocationBytes != 512<<10 {
		t.Errorf("settings not applied: %+v, %d bytes", c.Policy, c.MaxInvocationBytes)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "1MiB": 1 << 20, "512KiB": 512 << 10, " 2 MiB ": 2 << 20} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1MB", "-1", "0", "1.5MiB", "MiB", "99999999999999MiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) succeeded", in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"3d": 72 * time.Hour, "1d12h": 36 * time.Hour, "90s": 90 * time.Second, "0.5d": 12 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "xd", "3dd", "abc", "NaNd", "Infd", "-Infd", "1e10d", "106751d23h59m"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", in)
		}
	}
}

// A day count too large for a time.Duration names the limit, instead of
// wrapping into a negative duration reported as "must be positive".
func TestParseDurationTooLong(t *testing.T) {
	for _, in := range []string{"1e10d", "Infd", "106751d23h59m"} {
		if _, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), "too long: at most 106751d") {
			t.Errorf("ParseDuration(%q) = %v, want too long", in, err)
		}
	}
}

func TestSettingsRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		if seen[s.Name] || s.Doc == "" {
			t.Errorf("setting %q duplicated or undocumented", s.Name)
		}
		seen[s.Name] = true
	}
}
