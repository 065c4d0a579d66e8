package devrun

import (
	"fmt"
	"io"
	"strings"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/workflow"
)

// banner is what `dev` prints once everything runs: what it started and
// where, and what to try next.
type banner struct {
	DevURL        string
	Graph         string
	Graphsim      string // graphsim root URL; empty with --graph-url
	Tenant        string // where graphsim's tenant comes from and is kept
	Handler       string
	Queue         string
	MaxDelivery   int
	DataDir       string
	AppRoot       string
	Reminders     string
	Expire        string
	Policy        workflow.Policy
	LocalSettings bool
	// NotOnPath: no `onboard` on PATH, so the try: lines would not run as
	// written; the banner says how to install it (README: make install).
	NotOnPath bool
}

func (b banner) write(w io.Writer) {
	var s strings.Builder
	row := func(k, format string, args ...any) { fmt.Fprintf(&s, "  %-11s %s\n", k, fmt.Sprintf(format, args...)) }
	s.WriteString("\nonboard dev is ready\n\n")
	row("dev url", "%s  (HTTP functions under /api, ops API under /_dev)", b.DevURL)
	if b.Graphsim != "" {
		row("graphsim", "%s  (Graph at %s; admin: %s/_sim/state)", b.Graphsim, b.Graph, b.Graphsim)
		row("tenant", "%s", b.Tenant)
	} else {
		row("graph", "%s  (--graph-url)", b.Graph)
	}
	row("queue", "%s  (max delivery count %d)", b.Queue, b.MaxDelivery)
	row("data dir", "%s", b.DataDir)
	row("handler", "http://%s  (custom handler, same code as serve)", b.Handler)
	row("functions", "%s", b.AppRoot)
	row("reminders", "%s, expire after %s", b.Reminders, b.Expire)
	row("policy", "groups %s, roles %s, privileged roles %s, apps %s, sources %s",
		allowList(b.Policy.AllowedGroups), allowList(b.Policy.AllowedRoles), allowList(b.Policy.AllowedPrivilegedRoles),
		allowList(b.Policy.AllowedApps), allowList(b.Policy.AllowedSources))
	if b.LocalSettings {
		row("settings", "environment + %s", config.LocalSettingsFile)
	} else {
		row("settings", "environment (no %s here)", config.LocalSettingsFile)
	}
	devFlag := ""
	if b.DevURL != devhost.DefaultDevURL {
		devFlag = " --dev-url " + b.DevURL
	}
	s.WriteString("\ntry:\n")
	fmt.Fprintf(&s, "  onboard send%s examples/partner-approved.json\n", devFlag)
	fmt.Fprintf(&s, "  onboard status%s grace.hopper@contoso.com\n", devFlag)
	if b.Graphsim != "" {
		fmt.Fprintf(&s, "  curl -X POST %s/_sim/users/grace.hopper@contoso.com/accept\n", b.Graphsim)
	}
	fmt.Fprintf(&s, "  onboard dlq list%s\n", devFlag)
	if b.NotOnPath {
		s.WriteString("(onboard is not on PATH: run `make install` in the checkout, see README.md, or type `go run ./cmd/onboard` for `onboard`)\n")
	}
	s.WriteString("Ctrl-C stops.\n\n")
	io.WriteString(w, s.String())
}

// allowList summarizes an allow-list for the banner.
func allowList(l []string) string {
	switch {
	case len(l) == 0:
		return "none"
	case len(l) == 1 && l[0] == "*":
		return "any"
	case len(l) == 1:
		return l[0]
	}
	return fmt.Sprintf("%d allowed", len(l))
}
