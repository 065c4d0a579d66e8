package devrun

import (
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
	forced := map[string]string{
		"GRAPH_BASE_URL":               rt.GraphURL,
		"SCHEDULER":                    "memory",
		"STATE_STORE":                  "memory",
		"FUNCTIONS_CUSTOMHANDLER_PORT": rt.HandlerPort,
		"REMINDER_SCHEDULE":            rt.ReminderSchedule,
		"REMINDER_EXPIRE_AFTER":        rt.ExpireAfter,
	}
	if rt.LogFormat != "" {
		forced["LOG_FORMAT"] = rt.LogFormat
	}
	defaults := map[string]string{
		"POLICY_ALLOWED_SOURCES": "*",
		"RETRY_INITIAL_DELAY":    "2s",
		"RETRY_MAX_DELAY":        "30s",
		// a few seconds of graphsim lag settle well within this
		"REPLICATION_SETTLE_WINDOW": "30s",
	}
	if rt.Graphsim {
		forced["GRAPH_AUTH"] = "none"
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
