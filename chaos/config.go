package chaos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/config"
)

// Config sizes a chaos run. ShortConfig and FullConfig are the two presets;
// FromEnv overrides any field from a CHAOS_* environment variable (the
// variable is named next to each field).
type Config struct {
	// Traffic.
	Onboardings   int           // CHAOS_ONBOARDINGS: distinct valid addresses approved
	Rate          float64       // CHAOS_RATE: first approvals per second
	MergeRate     float64       // CHAOS_MERGE_RATE: share of onboardings approved a second time with more groups, roles and apps
	DuplicateRate float64       // CHAOS_DUPLICATE_RATE: share of approvals sent again with the same MessageId
	RedeliverRate float64       // CHAOS_REDELIVER_RATE: share of approvals sent again as a new message (same CloudEvent, new MessageId)
	PoisonRate    float64       // CHAOS_POISON_RATE: poisoned events per onboarding (policy violations, each for its own address)
	AcceptRate    float64       // CHAOS_ACCEPT_RATE: share of guests that accept, at a random moment of their reminder cycle
	FollowUpDelay time.Duration // CHAOS_FOLLOWUP_DELAY: merges and repeats come up to this long after the first approval
	Senders       int           // CHAOS_SENDERS: concurrent senders

	// The dev process.
	MinKills         int           // CHAOS_MIN_KILLS: kills before the chaos phase may end
	KillMin, KillMax time.Duration // CHAOS_KILL_MIN, CHAOS_KILL_MAX: time between a restart and the next kill -9
	Reminders        string        // CHAOS_REMINDERS: --reminder-schedule of dev
	ExpireAfter      string        // CHAOS_EXPIRE_AFTER: --expire-after of dev
	MaxDelivery      int           // CHAOS_MAX_DELIVERY: --max-delivery-count of dev
	// CHAOS_LOCK_DURATION: --lock-duration of dev. A message locked when dev
	// is killed comes back only when its lock expires, as in Service Bus; the
	// deployed 5 min would make every kill stall its messages that long.
	LockDuration time.Duration
	DevEnv       []string // CHAOS_DEV_ENV: extra settings for dev, NAME=VALUE separated by spaces

	// graphsim.
	FailureRate    float64       // CHAOS_FAILURE_RATE: 503s per request and $batch item
	DropRate       float64       // CHAOS_DROP_RATE: connections closed before the request is processed
	DropAfterRate  float64       // CHAOS_DROP_AFTER_RATE: connections closed after it was processed (lost answers)
	RetryAfter     int           // CHAOS_RETRY_AFTER: Retry-After seconds on the 503s
	ReplicationLag time.Duration // CHAOS_REPLICATION_LAG
	InviteLimit    int           // CHAOS_INVITE_LIMIT: invitations per window (0: no throttle)
	InviteWindow   time.Duration // CHAOS_INVITE_WINDOW

	// Verdict.
	// CHAOS_ACCEPT_GRACE: an email up to this long after the acceptance may
	// have been in flight (state read before it, the invitation request
	// still being retried by the SDK: up to 3 Retry-Afters of the throttle,
	// ≤ 5 s each); later ones count.
	AcceptGrace    time.Duration
	QuiesceTimeout time.Duration // CHAOS_QUIESCE_TIMEOUT: how long to wait for an empty queue after the chaos phase
	Timeout        time.Duration // CHAOS_TIMEOUT: bound on the chaos phase (traffic and kills)

	Seed    uint64 // CHAOS_SEED: the plan's random source and graphsim's
	Bin     string // CHAOS_BIN: a built onboard binary (default: go build ./cmd/onboard)
	WorkDir string // CHAOS_WORK_DIR: where data and logs go, kept (default: a temporary directory, removed when the run passes)
	Keep    bool   // CHAOS_KEEP: keep the temporary directory even when the run passes
}

// ShortConfig is the run inside `go test ./...`: small, about a minute
// after the build, still with every kind of fault and at least two kills.
func ShortConfig() Config {
	c := FullConfig()
	c.Onboardings, c.Rate, c.MinKills = 40, 2, 2
	c.Reminders, c.ExpireAfter = "4s,8s", "12s"
	c.QuiesceTimeout, c.Timeout = 75*time.Second, 90*time.Second
	return c
}

// FullConfig is the run of scripts/chaos.sh: the acceptance run of issue 9
// (2,000 onboardings, at least 20 kills, 20 % faults, 3 s lag).
func FullConfig() Config {
	return Config{
		Onboardings: 2000, Rate: 8, MergeRate: 0.3, DuplicateRate: 0.2, RedeliverRate: 0.1, PoisonRate: 0.05,
		AcceptRate: 0.5, FollowUpDelay: 3 * time.Second, Senders: 8,
		MinKills: 20, KillMin: 6 * time.Second, KillMax: 14 * time.Second,
		Reminders: "10s,20s", ExpireAfter: "30s", MaxDelivery: 10, LockDuration: 20 * time.Second,
		FailureRate: 0.10, DropRate: 0.05, DropAfterRate: 0.05, RetryAfter: 1,
		ReplicationLag: 3 * time.Second, InviteLimit: 150, InviteWindow: 5 * time.Second,
		AcceptGrace: 15 * time.Second, QuiesceTimeout: 5 * time.Minute, Timeout: 20 * time.Minute,
		Seed: uint64(time.Now().UnixNano()),
	}
}

// FromEnv overrides fields from CHAOS_* variables; errors name the variable.
func (c *Config) FromEnv(getenv func(string) string) error {
	var errs []error
	set := func(name string, parse func(string) error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		if err := parse(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
		}
	}
	intVar := func(name string, dst *int) {
		set(name, func(v string) (err error) { *dst, err = strconv.Atoi(v); return err })
	}
	floatVar := func(name string, dst *float64) {
		set(name, func(v string) (err error) { *dst, err = strconv.ParseFloat(v, 64); return err })
	}
	durVar := func(name string, dst *time.Duration) {
		set(name, func(v string) (err error) { *dst, err = time.ParseDuration(v); return err })
	}
	strVar := func(name string, dst *string) { set(name, func(v string) error { *dst = v; return nil }) }
	intVar("CHAOS_ONBOARDINGS", &c.Onboardings)
	floatVar("CHAOS_RATE", &c.Rate)
	floatVar("CHAOS_MERGE_RATE", &c.MergeRate)
	floatVar("CHAOS_DUPLICATE_RATE", &c.DuplicateRate)
	floatVar("CHAOS_REDELIVER_RATE", &c.RedeliverRate)
	floatVar("CHAOS_POISON_RATE", &c.PoisonRate)
	floatVar("CHAOS_ACCEPT_RATE", &c.AcceptRate)
	durVar("CHAOS_FOLLOWUP_DELAY", &c.FollowUpDelay)
	intVar("CHAOS_SENDERS", &c.Senders)
	intVar("CHAOS_MIN_KILLS", &c.MinKills)
	durVar("CHAOS_KILL_MIN", &c.KillMin)
	durVar("CHAOS_KILL_MAX", &c.KillMax)
	strVar("CHAOS_REMINDERS", &c.Reminders)
	strVar("CHAOS_EXPIRE_AFTER", &c.ExpireAfter)
	intVar("CHAOS_MAX_DELIVERY", &c.MaxDelivery)
	durVar("CHAOS_LOCK_DURATION", &c.LockDuration)
	set("CHAOS_DEV_ENV", func(v string) error { c.DevEnv = strings.Fields(v); return nil })
	floatVar("CHAOS_FAILURE_RATE", &c.FailureRate)
	floatVar("CHAOS_DROP_RATE", &c.DropRate)
	floatVar("CHAOS_DROP_AFTER_RATE", &c.DropAfterRate)
	intVar("CHAOS_RETRY_AFTER", &c.RetryAfter)
	durVar("CHAOS_REPLICATION_LAG", &c.ReplicationLag)
	intVar("CHAOS_INVITE_LIMIT", &c.InviteLimit)
	durVar("CHAOS_INVITE_WINDOW", &c.InviteWindow)
	durVar("CHAOS_ACCEPT_GRACE", &c.AcceptGrace)
	durVar("CHAOS_QUIESCE_TIMEOUT", &c.QuiesceTimeout)
	durVar("CHAOS_TIMEOUT", &c.Timeout)
	set("CHAOS_SEED", func(v string) (err error) { c.Seed, err = strconv.ParseUint(v, 10, 64); return err })
	strVar("CHAOS_BIN", &c.Bin)
	strVar("CHAOS_WORK_DIR", &c.WorkDir)
	set("CHAOS_KEEP", func(v string) (err error) { c.Keep, err = strconv.ParseBool(v); return err })
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return c.Validate()
}

// Validate checks that the run can happen and stops by itself.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Onboardings >= 1, "CHAOS_ONBOARDINGS: at least 1, got %d", c.Onboardings)
	check(c.Rate > 0, "CHAOS_RATE: must be positive, got %g", c.Rate)
	for _, r := range []struct {
		name string
		v    float64
	}{{"CHAOS_MERGE_RATE", c.MergeRate}, {"CHAOS_DUPLICATE_RATE", c.DuplicateRate}, {"CHAOS_REDELIVER_RATE", c.RedeliverRate},
		{"CHAOS_POISON_RATE", c.PoisonRate}, {"CHAOS_ACCEPT_RATE", c.AcceptRate}, {"CHAOS_FAILURE_RATE", c.FailureRate},
		{"CHAOS_DROP_RATE", c.DropRate}, {"CHAOS_DROP_AFTER_RATE", c.DropAfterRate}} {
		check(r.v >= 0 && r.v <= 1, "%s: between 0 and 1, got %g", r.name, r.v)
	}
	check(c.Senders >= 1, "CHAOS_SENDERS: at least 1, got %d", c.Senders)
	check(c.MinKills >= 0, "CHAOS_MIN_KILLS: not negative, got %d", c.MinKills)
	check(c.KillMin > 0 && c.KillMax >= c.KillMin, "CHAOS_KILL_MIN/MAX: 0 < min <= max, got %s and %s", c.KillMin, c.KillMax)
	check(c.MaxDelivery >= 1, "CHAOS_MAX_DELIVERY: at least 1, got %d", c.MaxDelivery)
	check(c.LockDuration > 0 && c.LockDuration <= 5*time.Minute, "CHAOS_LOCK_DURATION: more than 0 and at most 5m, got %s", c.LockDuration)
	check(c.FollowUpDelay >= 0 && c.AcceptGrace >= 0, "CHAOS_FOLLOWUP_DELAY and CHAOS_ACCEPT_GRACE: not negative")
	check(c.QuiesceTimeout > 0 && c.Timeout > 0, "CHAOS_QUIESCE_TIMEOUT and CHAOS_TIMEOUT: must be positive")
	if _, _, err := c.schedule(); err != nil {
		errs = append(errs, err)
	}
	for _, kv := range c.DevEnv {
		check(strings.Contains(kv, "="), "CHAOS_DEV_ENV: %q is not NAME=VALUE", kv)
	}
	return errors.Join(errs...)
}

// schedule is the reminder schedule and the expiry, parsed as dev parses them.
func (c Config) schedule() (reminders []time.Duration, expire time.Duration, err error) {
	if reminders, err = config.ParseSchedule(c.Reminders); err != nil {
		return nil, 0, fmt.Errorf("CHAOS_REMINDERS=%q: %w", c.Reminders, err)
	}
	if expire, err = config.ParseDuration(c.ExpireAfter); err != nil {
		return nil, 0, fmt.Errorf("CHAOS_EXPIRE_AFTER=%q: %w", c.ExpireAfter, err)
	}
	if expire <= 0 {
		return nil, 0, fmt.Errorf("CHAOS_EXPIRE_AFTER=%q: must be positive, or reminder chains never end", c.ExpireAfter)
	}
	if len(reminders) > 0 && expire <= reminders[len(reminders)-1] {
		return nil, 0, fmt.Errorf("CHAOS_EXPIRE_AFTER=%q: must exceed the last reminder %s", c.ExpireAfter, reminders[len(reminders)-1])
	}
	return reminders, expire, nil
}
