package devrun

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/infra"
	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/internal/logging"
)

// Options are what `onboard dev`'s flags say.
type Options struct {
	Addr             string // host:port of the dev listener (loopback only)
	DataDir          string // queues and state across restarts
	InMemory         bool   // keep nothing in DataDir
	GraphURL         string // another Graph instead of the embedded graphsim
	GraphsimAddr     string // host:port of the embedded graphsim; "" picks a free loopback port
	MaxDelivery      int
	LockDuration     time.Duration
	Queue            infra.QueueProperties // the deployed queue's, from infra/queue.json
	ReminderSchedule string
	ExpireAfter      string
	LogFormat        string // "", text or json
	Color            string // --color: auto (default), always or never
}

// DefaultOptions are dev's defaults: the deployed queue's delivery count
// and lock duration, reminders scaled to seconds.
func DefaultOptions() (Options, error) {
	q, err := infra.Queue()
	if err != nil {
		return Options{}, err
	}
	return Options{Addr: "127.0.0.1:7071", DataDir: ".onboard", MaxDelivery: q.MaxDeliveryCount,
		LockDuration: q.LockDuration, Queue: q, ReminderSchedule: "20s,40s,80s", ExpireAfter: "100s"}, nil
}

// loopbackAddr checks that flag's value addr is host:port on a loopback
// host (why says what an address reachable from elsewhere would expose).
func loopbackAddr(flag, addr, example, why string) error {
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s %q: must be host:port with a port from 0 to 65535, e.g. %s", flag, addr, example)
	}
	if !httpx.IsLoopbackHost(host) {
		return fmt.Errorf("%s %q: must be a loopback address (127.0.0.1, ::1 or localhost); %s", flag, addr, why)
	}
	return nil
}

// Validate checks the options; errors name the flag.
func (o Options) Validate() error {
	if err := loopbackAddr("--addr", o.Addr, "127.0.0.1:7071", "the dev runtime has no authentication"); err != nil {
		return err
	}
	if o.GraphsimAddr != "" {
		if o.GraphURL != "" {
			return fmt.Errorf("--graphsim-addr %q: only with the embedded graphsim, not with --graph-url", o.GraphsimAddr)
		}
		if err := loopbackAddr("--graphsim-addr", o.GraphsimAddr, "127.0.0.1:5081", "graphsim's admin API has no authentication"); err != nil {
			return err
		}
	}
	if o.MaxDelivery < 1 {
		return fmt.Errorf("--max-delivery-count: must be at least 1, got %d", o.MaxDelivery)
	}
	if o.LockDuration <= 0 || o.LockDuration > 5*time.Minute {
		return fmt.Errorf("--lock-duration: must be more than 0 and at most 5m (the Service Bus maximum), got %s", o.LockDuration)
	}
	if _, err := config.ParseSchedule(o.ReminderSchedule); err != nil {
		return fmt.Errorf("--reminder-schedule %q: %w", o.ReminderSchedule, err)
	}
	if _, err := config.ParseDuration(o.ExpireAfter); err != nil {
		return fmt.Errorf("--expire-after %q: %w", o.ExpireAfter, err)
	}
	if _, err := logging.UseColor(o.Color, nil, ""); err != nil {
		return err
	}
	if o.LogFormat != "" && o.LogFormat != "text" && o.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: must be text or json", o.LogFormat)
	}
	if !o.InMemory && strings.TrimSpace(o.DataDir) == "" {
		return errors.New("--data-dir: must not be empty (use --in-memory to keep nothing)")
	}
	return nil
}
