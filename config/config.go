package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Config is the validated configuration of `onboard serve` and `onboard dev`.
type Config struct {
	Port string

	GraphBaseURL  string
	GraphAuth     string // managedidentity | default | none
	AzureClientID string
	// Identity is the Azure identity the app uses for the state table and
	// Service Bus, and for Graph unless GRAPH_CLIENT_ID names another.
	Identity Identity
	// GraphIdentity is the identity Graph authenticates with: Identity,
	// or the managed identity GRAPH_CLIENT_ID names (GRAPH_AUTH=managedidentity).
	GraphIdentity Identity

	Scheduler string // servicebus | memory
	Queue     string
	// OutcomesTopic is the topic outcome events are published to.
	OutcomesTopic string
	// ServiceBus is the parsed ServiceBusConnection* settings (zero
	// unless SCHEDULER=servicebus).
	ServiceBus ServiceBusConnection

	StateStore      string // tables | memory
	TableConnection string // connection string (may be UseDevelopmentStorage=true)
	TableEndpoint   string // service URL for identity-based access
	TableName       string

	Policy   workflow.Policy
	Workflow workflow.Config

	// InviteRateLimit is the invitations this instance sends per 5 s
	// (INVITE_RATE_LIMIT); negative: not paced.
	InviteRateLimit int

	// MaxInvocationBytes bounds the body of one invocation (MAX_INVOCATION_BYTES).
	MaxInvocationBytes int64

	LogFormat string // text | json
	LogLevel  string

	// Warnings are settings that are valid but probably not what was
	// meant (a privileged role among POLICY_ALLOWED_ROLES); serve and dev
	// log each at start-up.
	Warnings []string
}

// Getenv reads one setting; ok is false when it is not set.
type Getenv func(name string) (value string, ok bool)

// FromEnviron reads settings from the process environment.
func FromEnviron() Getenv { return os.LookupEnv }

// Load reads every setting, applies defaults and validates them. The error
// lists every invalid setting by name with the rule it breaks.
func Load(getenv Getenv) (Config, error) {
	r := &reader{getenv: getenv}
	c := Config{
		Port:          r.get("FUNCTIONS_CUSTOMHANDLER_PORT"),
		GraphBaseURL:  strings.TrimRight(r.get("GRAPH_BASE_URL"), "/"),
		GraphAuth:     r.oneOf("GRAPH_AUTH", choices["GRAPH_AUTH"]...),
		AzureClientID: r.get("AZURE_CLIENT_ID"),
		Scheduler:     r.oneOf("SCHEDULER", choices["SCHEDULER"]...),
		Queue:         r.get("ONBOARDING_QUEUE"),
		OutcomesTopic: r.get("OUTCOMES_TOPIC"),
		StateStore:    r.oneOf("STATE_STORE", choices["STATE_STORE"]...),
		TableName:     r.get("STATE_TABLE_NAME"),
		LogFormat:     r.oneOf("LOG_FORMAT", choices["LOG_FORMAT"]...),
		LogLevel:      r.oneOf("LOG_LEVEL", choices["LOG_LEVEL"]...),
	}
	r.port("FUNCTIONS_CUSTOMHANDLER_PORT")
	r.graph(&c)
	r.serviceBus(&c)
	r.stateStore(&c)
	r.policy(&c)
	r.workflow(&c)
	c.Warnings = r.warnings
	if len(r.problems) > 0 {
		return c, errors.New("invalid settings:\n  " + strings.Join(r.problems, "\n  "))
	}
	return c, nil
}

// choices are the values of the settings that take one of a few words.
var choices = map[string][]string{
	"GRAPH_AUTH":  {"managedidentity", "default", "none"},
	"SCHEDULER":   {"servicebus", "memory"},
	"STATE_STORE": {"tables", "memory"},
	"LOG_FORMAT":  {"text", "json"},
	"LOG_LEVEL":   {"debug", "info", "warn", "error"},
}

// CheckValue returns the rule a value of the setting name breaks, or ""
// when it is valid on its own (rules between settings are Load's).
// `onboard dev` checks with it the settings it overrides, so that a
// mistake in them is reported instead of hidden by the override.
func CheckValue(name, value string) string {
	r := &reader{getenv: FromMap(map[string]string{name: value})}
	switch name {
	case "REMINDER_SCHEDULE":
		if _, err := ParseSchedule(r.get(name)); err != nil {
			r.bad(name, "%v", err)
		}
	case "REMINDER_EXPIRE_AFTER":
		r.dur(name)
	case "GRAPH_BASE_URL":
		c := Config{GraphBaseURL: strings.TrimRight(r.get(name), "/"), GraphAuth: "default"}
		r.graph(&c)
	case "FUNCTIONS_CUSTOMHANDLER_PORT":
		r.port(name)
	default:
		if allowed, ok := choices[name]; ok {
			r.oneOf(name, allowed...)
		}
	}
	return strings.Join(r.problems, "; ")
}

// LoadPolicy reads and validates only the settings that judge an event
// (the policy, event type aliases, the default redirect URL and the
// reminder settings), for the commands that check events without running
// the workflow (`onboard validate`, `onboard send`): an operator's shell
// need not hold the app's Graph, store or Service Bus settings.
func LoadPolicy(getenv Getenv) (workflow.Policy, workflow.Config, error) {
	r := &reader{getenv: getenv}
	var c Config
	r.policy(&c)
	r.workflow(&c)
	if len(r.problems) > 0 {
		return c.Policy, c.Workflow, errors.New("invalid settings:\n  " + strings.Join(r.problems, "\n  "))
	}
	return c.Policy, c.Workflow, nil
}

// reader reads settings for Load and collects every problem.
type reader struct {
	getenv   Getenv
	problems []string
	warnings []string
}

func (r *reader) port(name string) {
	if p, err := strconv.Atoi(r.get(name)); err != nil || p < 1 || p > 65535 {
		r.bad(name, "must be a TCP port number, got %q", r.get(name))
	}
}

func (r *reader) bad(name, rule string, args ...any) {
	r.problems = append(r.problems, name+": "+fmt.Sprintf(rule, args...))
}

// get is the trimmed value of a setting, or its registered default when
// unset or blank.
func (r *reader) get(name string) string { return Value(r.getenv, name) }

// Value is the trimmed value of setting name, or its registered default
// when unset or blank: the value Load would use, for a command that needs
// one setting without validating them all (`onboard events` and
// OUTCOMES_TOPIC).
func Value(get Getenv, name string) string {
	if v, ok := get(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	s, _ := Lookup(name)
	return s.Default
}

func (r *reader) oneOf(name string, allowed ...string) string {
	v := strings.ToLower(r.get(name))
	if !slices.Contains(allowed, v) {
		r.bad(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	}
	return v
}

func (r *reader) boolean(name string) bool {
	v, err := strconv.ParseBool(r.get(name))
	if err != nil {
		r.bad(name, "must be true or false, got %q", r.get(name))
	}
	return v
}

func (r *reader) dur(name string) time.Duration {
	d, err := ParseDuration(r.get(name))
	if err != nil {
		r.bad(name, "%v", err)
	} else if d <= 0 {
		r.bad(name, "must be positive, got %q", r.get(name))
	}
	return d
}

// graph checks GRAPH_BASE_URL against GRAPH_AUTH and decides the app's
// identity.
func (r *reader) graph(c *Config) {
	u, err := url.Parse(c.GraphBaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.bad("GRAPH_BASE_URL", "must be an absolute http(s) URL, got %q", c.GraphBaseURL)
	} else {
		loop := httpx.IsLoopbackHost(u.Hostname())
		if c.GraphAuth == "none" && !loop {
			r.bad("GRAPH_AUTH", "`none` is allowed only for a loopback GRAPH_BASE_URL, not %q", u.Host)
		}
		if u.Scheme == "http" && !loop {
			r.bad("GRAPH_BASE_URL", "plain http is allowed only for loopback hosts, got %q", c.GraphBaseURL)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			r.bad("GRAPH_BASE_URL", "must not carry a query or fragment, got %q", c.GraphBaseURL)
		}
	}
	switch n, err := strconv.Atoi(r.get("INVITE_RATE_LIMIT")); {
	case err != nil || n < 0 || n >= 150:
		r.bad("INVITE_RATE_LIMIT", "must be a whole number from 0 (no pacing) to 149 (Graph allows 150 per 5 s per tenant), got %q", r.get("INVITE_RATE_LIMIT"))
	case n == 0:
		c.InviteRateLimit = -1
	default:
		c.InviteRateLimit = n
	}
	c.Identity = identityOf(c.GraphAuth, c.AzureClientID)
	c.GraphIdentity = r.graphIdentity(c.GraphAuth, c.Identity)
}

// serviceBus parses the connection the scheduler sends with (the
// trigger's ServiceBusConnection* settings) when SCHEDULER=servicebus.
func (r *reader) serviceBus(c *Config) {
	for _, name := range []string{"ONBOARDING_QUEUE", "OUTCOMES_TOPIC"} {
		if rule := EntityNameRule(r.get(name)); rule != "" {
			r.bad(name, "%s", rule)
		}
	}
	if c.Scheduler != "servicebus" {
		return
	}
	if r.get(ServiceBusPrefix) == "" && r.get(ServiceBusPrefix+"__fullyQualifiedNamespace") == "" {
		r.bad(ServiceBusPrefix+"__fullyQualifiedNamespace", "required when SCHEDULER=servicebus (or set %s)", ServiceBusPrefix)
		return
	}
	sb, err := ParseServiceBus(r.getenv, ServiceBusPrefix)
	if err != nil {
		r.problems = append(r.problems, err.Error())
		return
	}
	if err := sb.sameIdentity(c.Identity); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	c.ServiceBus = sb
}

// stateStore reads where records and the failure log are kept.
func (r *reader) stateStore(c *Config) {
	c.TableConnection = r.get("STATE_TABLE_CONNECTION")
	c.TableEndpoint = r.get("STATE_TABLE_ENDPOINT")
	if c.TableConnection == "" && c.TableEndpoint == "" {
		c.TableConnection = r.get("AzureWebJobsStorage")
	}
	if c.StateStore == "tables" && c.TableConnection == "" && c.TableEndpoint == "" {
		r.bad("STATE_TABLE_ENDPOINT", "required when STATE_STORE=tables (or set STATE_TABLE_CONNECTION / AzureWebJobsStorage)")
	}
	if c.TableName == "" || !isTableName(c.TableName) {
		r.bad("STATE_TABLE_NAME", "must be 3-63 letters or digits starting with a letter, got %q", c.TableName)
	}
	if n, err := ParseBytes(r.get("MAX_INVOCATION_BYTES")); err != nil {
		r.bad("MAX_INVOCATION_BYTES", "%v", err)
	} else if n < minInvocationBytes || n > maxInvocationBytes {
		r.bad("MAX_INVOCATION_BYTES", "must be between 64KiB and 256MiB, got %s", r.get("MAX_INVOCATION_BYTES"))
	} else {
		c.MaxInvocationBytes = n
	}
}

// policy reads what an event may ask for.
func (r *reader) policy(c *Config) {
	c.Policy = workflow.Policy{
		AllowedGroups:          List(r.get("POLICY_ALLOWED_GROUPS")),
		AllowedRoles:           List(r.get("POLICY_ALLOWED_ROLES")),
		AllowedPrivilegedRoles: List(r.get("POLICY_ALLOWED_PRIVILEGED_ROLES")),
		AllowedApps:            List(r.get("POLICY_ALLOWED_APPS")),
		AllowedSources:         List(r.get("POLICY_ALLOWED_SOURCES")),
		AllowedDomains:         lower(List(r.get("POLICY_ALLOWED_DOMAINS"))),
		BlockedDomains:         lower(List(r.get("POLICY_BLOCKED_DOMAINS"))),
		AllowedCCDomains:       lower(List(r.get("POLICY_ALLOWED_CC_DOMAINS"))),
		AllowedRedirectHosts:   lower(List(r.get("POLICY_ALLOWED_REDIRECT_HOSTS"))),
		AllowMemberUserType:    r.boolean("POLICY_ALLOW_MEMBER_USER_TYPE"),
	}
	for _, p := range c.Policy.Validate() {
		r.problems = append(r.problems, p.Error())
	}
	r.warnings = append(r.warnings, c.Policy.Warnings()...)
}

// workflow reads the reminder schedule, retries and event type aliases.
func (r *reader) workflow(c *Config) {
	w := workflow.Config{
		ExpiryAction:       r.oneOf("EXPIRY_ACTION", string(workflow.ExpiryNone), string(workflow.ExpiryDisable), string(workflow.ExpiryDelete)),
		RetryInitial:       r.dur("RETRY_INITIAL_DELAY"),
		RetryMax:           r.dur("RETRY_MAX_DELAY"),
		RetryMaxElapsed:    r.dur("RETRY_MAX_ELAPSED"),
		SettleWindow:       r.dur("REPLICATION_SETTLE_WINDOW"),
		ExistingUsers:      workflow.ExistingMode(r.oneOf("POLICY_EXISTING_USERS", string(workflow.ExistingAdoptGuests), string(workflow.ExistingRefuse), string(workflow.ExistingAdoptAll))),
		DefaultRedirectURL: r.get("INVITE_REDIRECT_URL"),
		TypeAliases:        map[string]string{},
		OutcomeTypePrefix:  r.get("OUTCOME_TYPE_PREFIX"),
	}
	if p := w.OutcomeTypePrefix; strings.IndexFunc(p, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) >= 0 {
		r.bad("OUTCOME_TYPE_PREFIX", "must not contain spaces or control characters (it starts a CloudEvent type), got %q", p)
	}
	if sched, err := ParseSchedule(r.get("REMINDER_SCHEDULE")); err != nil {
		r.bad("REMINDER_SCHEDULE", "%v", err)
	} else {
		w.ReminderSchedule = sched
	}
	w.ExpireAfter = r.dur("REMINDER_EXPIRE_AFTER")
	if n := len(w.ReminderSchedule); n > 0 && w.ExpireAfter > 0 && w.ExpireAfter <= w.ReminderSchedule[n-1] { // not positive: dur said so
		sched := List(r.get("REMINDER_SCHEDULE"))
		r.bad("REMINDER_EXPIRE_AFTER", "must be later than the last reminder of REMINDER_SCHEDULE (%s), got %s", sched[len(sched)-1], r.get("REMINDER_EXPIRE_AFTER"))
	}
	if w.RetryMax < w.RetryInitial {
		r.bad("RETRY_MAX_DELAY", "must not be smaller than RETRY_INITIAL_DELAY")
	}
	if err := c.Policy.CheckRedirect(w.DefaultRedirectURL); err != nil {
		var pe *workflow.PolicyError
		errors.As(err, &pe)
		r.bad("INVITE_REDIRECT_URL", "%s", pe.Rule)
	}
	for _, pair := range List(r.get("EVENT_TYPE_ALIASES")) {
		alias, target, ok := strings.Cut(pair, "=")
		alias, target = strings.TrimSpace(alias), strings.TrimSpace(target)
		if !ok || alias == "" || (target != workflow.TypePartnerApproved && target != workflow.TypeReminderDue) {
			r.bad("EVENT_TYPE_ALIASES", "each entry must be `type=partner-approved` or `type=reminder-due`, got %q", pair)
			continue
		}
		w.TypeAliases[alias] = target
	}
	c.Workflow = w
}

// List splits a comma-separated setting, trimming blanks and dropping empty entries.
func List(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lower(in []string) []string {
	for i := range in {
		in[i] = strings.ToLower(in[i])
	}
	return in
}

// Bounds of MAX_INVOCATION_BYTES: a Standard-tier message (256 KB) needs
// more than the lower one once base64-encoded; the upper one is above a
// 100 MB Premium message so encoded.
const (
	minInvocationBytes = 64 << 10
	maxInvocationBytes = 256 << 20
)

// ParseBytes reads a size in bytes: a plain number, or one with a KiB or
// MiB suffix ("512KiB", "1MiB").
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, suffix)), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("must be a positive number of bytes, or of KiB or MiB (e.g. 1MiB)")
	}
	return n * mult, nil
}

// ParseDuration is time.ParseDuration plus a `d` (24h) unit, e.g. "3d" or "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	bad := fmt.Errorf("invalid duration %q (use e.g. 90s, 15m, 12h, 3d or 1d12h)", s)
	rest := s
	var total time.Duration
	if i := strings.Index(rest, "d"); i > 0 {
		days, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || math.IsNaN(days) {
			return 0, bad
		}
		if math.Abs(days) >= maxDays {
			return 0, fmt.Errorf("duration %q is too long: at most %dd", s, int(maxDays))
		}
		total = time.Duration(days * float64(24*time.Hour))
		rest = rest[i+1:]
		if rest == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, bad
	}
	if sum := total + d; (d > 0 && sum < total) || (d < 0 && sum > total) {
		return 0, fmt.Errorf("duration %q is too long: at most %dd", s, int(maxDays))
	}
	return total + d, nil
}

// maxDays bounds a `d` count: a time.Duration holds about 106751 days;
// beyond it the conversion would wrap (and NaN or Inf days convert to
// nonsense), reported as a rule that does not apply.
var maxDays = float64(math.MaxInt64) / float64(24*time.Hour)

// ParseSchedule parses a comma-separated, strictly increasing list of
// positive durations, e.g. "3d,7d,14d". An empty schedule means no reminders.
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	parts := List(s)
	for i, part := range parts {
		d, err := ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		if d <= 0 {
			return nil, fmt.Errorf("entry %d: must be positive", i+1)
		}
		if i > 0 && d <= out[i-1] {
			// echoed as written: 14d, not 336h0m0s
			return nil, fmt.Errorf("entry %d (%s): must be later than entry %d (%s)", i+1, part, i, parts[i-1])
		}
		out = append(out, d)
	}
	return out, nil
}

func isTableName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
