package devrun

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/workflow"
)

// devRuntime is what `dev` decided before loading the settings: where
// Graph is, where the handler listens and the time scale.
type devRuntime struct {
	GraphURL         string // Graph base URL, e.g. http://127.0.0.1:PORT/v1.0
	Graphsim         bool   // GraphURL is the embedded graphsim
	HandlerPort      string
	ReminderSchedule string
	ExpireAfter      string
	LogFormat        string // "" keeps LOG_FORMAT
}

// devSettings layers the settings `dev` runs with, highest first:
//
//  1. what dev owns: the handler port, Graph (graphsim, or --graph-url),
//     the in-process scheduler and store (dev replaces both with its
//     queue and data directory), the reminder time scale from its flags;
//  2. the user's settings (environment over local.settings.json), as serve
//     reads them;
//  3. dev defaults for what is still unset: graphsim's sample groups,
//     non-privileged roles and apps allowed, any CloudEvent source, short
//     retry delays, and GRAPH_AUTH=default for a non-loopback --graph-url.
//
// Dev never takes GRAPH_BASE_URL from the settings: a copied
// local.settings.json naming the real Graph must not make a local run
// invite real people. --graph-url says so explicitly.
func devSettings(rt devRuntime, user config.Getenv) config.Getenv {
	forced := map[string]string{}
	for _, o := range devOwned(rt) {
		forced[o.Name] = o.Dev
	}
	defaults := map[string]string{
		"POLICY_ALLOWED_SOURCES": "*",
		"RETRY_INITIAL_DELAY":    "2s",
		"RETRY_MAX_DELAY":        "30s",
		// a few seconds of graphsim lag settle well within this
		"REPLICATION_SETTLE_WINDOW": "30s",
	}
	if rt.Graphsim {
		defaults["POLICY_ALLOWED_GROUPS"] = strings.Join(sampleGroups(), ",")
		defaults["POLICY_ALLOWED_ROLES"] = strings.Join(sampleNonPrivilegedRoles(), ",")
		defaults["POLICY_ALLOWED_APPS"] = strings.Join(sampleApps(), ",")
	} else {
		defaults["GRAPH_AUTH"] = "default"
		if u, err := url.Parse(rt.GraphURL); err == nil && httpx.IsLoopbackHost(u.Hostname()) {
			defaults["GRAPH_AUTH"] = "none"
		}
	}
	return config.Layered(config.FromMap(forced), user, config.FromMap(defaults))
}

// override is a setting dev sets whatever the user's settings say.
type override struct {
	Name  string
	Dev   string // dev's value
	Why   string // the flag or part of dev that decides it
	Yours string // the user's value, when overridden
}

// devOwned is what dev owns (layer 1 of devSettings), with why.
func devOwned(rt devRuntime) []override {
	graph := "--graph-url"
	if rt.Graphsim {
		graph = "the embedded graphsim; --graph-url to choose another Graph"
	}
	out := []override{
		{Name: "GRAPH_BASE_URL", Dev: rt.GraphURL, Why: graph},
		{Name: "SCHEDULER", Dev: "memory", Why: "dev's queue delivers reminders and retries"},
		{Name: "STATE_STORE", Dev: "memory", Why: "dev keeps state in --data-dir"},
		{Name: "FUNCTIONS_CUSTOMHANDLER_PORT", Dev: rt.HandlerPort, Why: "dev's handler listener"},
		{Name: "REMINDER_SCHEDULE", Dev: rt.ReminderSchedule, Why: "--reminder-schedule, dev's time scale"},
		{Name: "REMINDER_EXPIRE_AFTER", Dev: rt.ExpireAfter, Why: "--expire-after, dev's time scale"},
	}
	if rt.LogFormat != "" {
		out = append(out, override{Name: "LOG_FORMAT", Dev: rt.LogFormat, Why: "--log-format"})
	}
	if rt.Graphsim {
		out = append(out, override{Name: "GRAPH_AUTH", Dev: "none", Why: "graphsim takes no token"})
	}
	return out
}

// overrides returns the user's settings dev replaces with its own value,
// so that dev can say so, and refuses the ones whose value is invalid on
// its own (REMINDER_SCHEDULE=abc, GRAPH_AUTH=bogus): the same settings
// would break serve, and an override must not hide the mistake.
func overrides(rt devRuntime, user config.Getenv) ([]override, error) {
	var out []override
	var problems []string
	for _, o := range devOwned(rt) {
		v, ok := user(o.Name)
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			continue
		}
		if rule := config.CheckValue(o.Name, v); rule != "" {
			problems = append(problems, rule+" (dev sets it to "+o.Dev+", but the value is wrong wherever it is read)")
			continue
		}
		if !strings.EqualFold(v, o.Dev) {
			o.Yours = v
			out = append(out, o)
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("invalid settings:\n  " + strings.Join(problems, "\n  "))
	}
	return out, nil
}

// sampleGroups is every group of graphsim's sample tenant that takes
// direct members: not the dynamic, on-premises synced and mail-enabled
// non-Microsoft-365 ones, which Graph refuses member writes to (and which
// `onboard doctor` would flag).
func sampleGroups() []string {
	var out []string
	for _, g := range graphsim.SampleSeed().Groups {
		if slices.Contains(g.GroupTypes, "DynamicMembership") || g.OnPremisesSyncEnabled || (g.MailEnabled && !slices.Contains(g.GroupTypes, "Unified")) {
			continue
		}
		out = append(out, g.ID)
	}
	return out
}

// sampleNonPrivilegedRoles is every role of graphsim's sample tenant that
// neither graphsim nor the workflow's policy counts as privileged.
func sampleNonPrivilegedRoles() []string {
	var out []string
	for _, r := range graphsim.SampleSeed().RoleDefinitions {
		if r.IsPrivileged || workflow.IsPrivilegedRole(r.ID) {
			continue
		}
		out = append(out, r.ID)
	}
	return out
}

// sampleApps allows every app role of every service principal of
// graphsim's sample tenant ("spId/*"), except Microsoft Graph's and the
// onboarding app's own: guests are never granted Graph permissions.
func sampleApps() []string {
	var out []string
	for _, sp := range graphsim.SampleSeed().ServicePrincipals {
		if sp.ID == graphsim.SampleSPMicrosoftGraph || sp.ID == graphsim.SampleSPOnboarding {
			continue
		}
		out = append(out, sp.ID+"/*")
	}
	return out
}

// devInviteSettle is how long a redelivery in dev waits for an unfinished
// invitation's guest to appear before inviting again (60 s in serve); a
// few seconds keep the local lifecycle short.
const devInviteSettle = 3 * time.Second
