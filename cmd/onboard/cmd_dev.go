package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/infra"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

func init() {
	register("dev", "run the whole flow locally: queue, host emulator, handler, state and graphsim", runDev)
}

// devFlags are the flags of `onboard dev`.
type devFlags struct {
	addr             string
	dataDir          string
	inMemory         bool
	graphURL         string
	maxDelivery      int
	lockDuration     time.Duration
	queue            infra.QueueProperties // the deployed queue's, from infra/queue.json
	reminderSchedule string
	expireAfter      string
	logFormat        string
}

func parseDevFlags(args []string, out io.Writer) (devFlags, error) {
	var f devFlags
	var err error
	if f.queue, err = infra.Queue(); err != nil {
		return f, err
	}
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:7071", "`host:port` the dev runtime listens on: HTTP functions under /api, ops API under /_dev (loopback only)")
	fs.StringVar(&f.dataDir, "data-dir", ".onboard", "directory keeping the queues and the state store across restarts")
	fs.BoolVar(&f.inMemory, "in-memory", false, "keep queues and state in memory only (nothing written to --data-dir)")
	fs.StringVar(&f.graphURL, "graph-url", "", "Microsoft Graph base `URL` to use instead of the embedded graphsim, e.g. https://graph.microsoft.com/v1.0 (GRAPH_AUTH from settings, default: default)")
	fs.IntVar(&f.maxDelivery, "max-delivery-count", f.queue.MaxDeliveryCount, "deliveries before a failing message is dead-lettered (the queue's MaxDeliveryCount; default from infra/queue.json)")
	fs.DurationVar(&f.lockDuration, "lock-duration", f.queue.LockDuration, "peek-lock duration of the queue (default from infra/queue.json); a message locked when dev was killed is delivered again after it")
	fs.StringVar(&f.reminderSchedule, "reminder-schedule", "20s,40s,80s", "when reminders are due after the invitation (REMINDER_SCHEDULE, time-scaled for dev)")
	fs.StringVar(&f.expireAfter, "expire-after", "100s", "when an unaccepted invitation expires (REMINDER_EXPIRE_AFTER)")
	fs.StringVar(&f.logFormat, "log-format", "", "text (readable lines) or json (structured slog); default LOG_FORMAT, else text")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: onboard dev [flags]

Runs the whole onboarding flow in one process, without Azure: an embedded
queue with Service Bus semantics, a Functions host emulator driving the
custom handler over HTTP, the handler itself (same code as serve), a state
store under --data-dir and the graphsim Microsoft Graph simulator. Settings
come from the environment and ./local.settings.json, over dev defaults.
See docs/dev.md.

flags:`)
		fs.PrintDefaults()
	}
	if err = fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q (dev takes only flags)", fs.Arg(0))
	}
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return f, fmt.Errorf("--addr %q: must be host:port, e.g. 127.0.0.1:7071", f.addr)
	}
	if !config.IsLoopbackHost(host) {
		return f, fmt.Errorf("--addr %q: must be a loopback address (127.0.0.1, ::1 or localhost); the dev runtime has no authentication", f.addr)
	}
	if f.maxDelivery < 1 {
		return f, fmt.Errorf("--max-delivery-count: must be at least 1, got %d", f.maxDelivery)
	}
	if f.lockDuration <= 0 || f.lockDuration > 5*time.Minute {
		return f, fmt.Errorf("--lock-duration: must be more than 0 and at most 5m (the Service Bus maximum), got %s", f.lockDuration)
	}
	if _, err := config.ParseSchedule(f.reminderSchedule); err != nil {
		return f, fmt.Errorf("--reminder-schedule %q: %w", f.reminderSchedule, err)
	}
	if _, err := config.ParseDuration(f.expireAfter); err != nil {
		return f, fmt.Errorf("--expire-after %q: %w", f.expireAfter, err)
	}
	if f.logFormat != "" && f.logFormat != "text" && f.logFormat != "json" {
		return f, fmt.Errorf("--log-format %q: must be text or json", f.logFormat)
	}
	if !f.inMemory && strings.TrimSpace(f.dataDir) == "" {
		return f, errors.New("--data-dir: must not be empty (use --in-memory to keep nothing)")
	}
	return f, nil
}

func runDev(ctx context.Context, args []string) error {
	f, err := parseDevFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	user, fileValues, err := userSettings()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// listeners first: their ports go into the settings
	devLn, err := net.Listen("tcp", f.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("--addr %s: address already in use (another `onboard dev` or `func start`?); choose another with --addr", f.addr)
		}
		return fmt.Errorf("--addr %s: %w", f.addr, err)
	}
	defer devLn.Close()
	handlerLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("handler listener: %w", err)
	}
	defer handlerLn.Close()

	rt := devRuntime{GraphURL: strings.TrimRight(f.graphURL, "/"), HandlerPort: portOf(handlerLn),
		ReminderSchedule: f.reminderSchedule, ExpireAfter: f.expireAfter, LogFormat: f.logFormat}
	var sim *graphsim.Server
	var simLn net.Listener
	if rt.GraphURL == "" {
		// A fresh seed per run: graphsim's tenant lives in memory, and with
		// a fixed seed a restarted dev would hand out the object ids of the
		// previous run's guests to new ones, so records kept in --data-dir
		// would point at the wrong users.
		if sim, err = graphsim.New(graphsim.Config{RandSeed: uint64(time.Now().UnixNano())}); err != nil {
			return fmt.Errorf("graphsim: %w", err)
		}
		if simLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("graphsim listener: %w", err)
		}
		defer simLn.Close()
		rt.GraphURL, rt.Graphsim = graphsim.BaseURL(simLn), true
	}
	get := devSettings(rt, user)
	cfg, err := config.Load(get)
	if err != nil {
		return err
	}
	appLog, hostLog := devLoggers(os.Stderr, cfg.LogFormat, cfg.LogLevel)

	// state and queue
	var st workflow.Store = store.NewMemory()
	var brokerDir, stateDir string
	if !f.inMemory {
		brokerDir = f.dataDir
		stateDir = filepath.Join(f.dataDir, "state")
		dir, err := store.OpenDir(stateDir)
		if err != nil {
			return fmt.Errorf("--data-dir: %w", err)
		}
		defer dir.Close()
		st = dir
	}
	broker, err := devhost.NewBroker(devhost.BrokerOptions{DataDir: brokerDir, Logger: hostLog,
		Queue: devQueueOptions(f.queue, f.maxDelivery, f.lockDuration, hostLog)})
	if err != nil {
		return fmt.Errorf("--data-dir: queues: %w", err)
	}
	defer broker.Close()
	queue, err := broker.Queue(cfg.Queue)
	if err != nil {
		return fmt.Errorf("ONBOARDING_QUEUE: %w", err)
	}

	// the custom handler, as serve wires it, over dev's queue and store
	a, err := buildApp(ctx, cfg, appLog, overrides{store: newStepLog(st, appLog), scheduler: devScheduler{queue: queue}})
	if err != nil {
		return err
	}
	defer a.close(context.Background())
	a.engine.Config.InviteSettle = devInviteSettle

	// the host emulator in front of it
	root, rootSource, cleanup, err := devAppRoot()
	if err != nil {
		return err
	}
	defer cleanup()
	settings := settingsMap(get, fileValues)
	replies := newReplyLogs()
	host, err := devhost.NewHost(devhost.HostOptions{
		AppRoot:      root,
		HandlerURL:   "http://" + handlerLn.Addr().String(),
		Broker:       broker,
		Settings:     settings,
		Logger:       hostLog,
		OnInvocation: func(inv devhost.Invocation) { logInvocation(appLog, replies, inv) },
	})
	if err != nil {
		return fmt.Errorf("function app in %s: %w", rootSource, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /_dev/failures/", failuresHandler(a.store))
	mux.Handle("/", host.Handler())

	errc := make(chan error, 4)
	go func() {
		errc <- named("handler", serveHTTP(ctx, handlerLn, replies.wrap(a.handler), slog.New(slog.DiscardHandler)))
	}()
	go func() { errc <- named("dev listener", serveHTTP(ctx, devLn, mux, slog.New(slog.DiscardHandler))) }()
	if sim != nil {
		go func() { errc <- named("graphsim", sim.Serve(ctx, simLn)) }()
	}
	hostDone := make(chan error, 1)
	go func() { hostDone <- host.Run(ctx) }()

	select {
	case <-host.Ready():
	case err := <-hostDone:
		return fmt.Errorf("host emulator: %w", err)
	case err := <-errc:
		return err
	case <-ctx.Done():
		return nil
	}
	b := banner{DevURL: "http://" + devLn.Addr().String(), Graph: cfg.GraphBaseURL, Handler: handlerLn.Addr().String(),
		Queue: cfg.Queue, MaxDelivery: f.maxDelivery, AppRoot: rootSource, Reminders: f.reminderSchedule, Expire: f.expireAfter,
		Policy: cfg.Policy, LocalSettings: len(fileValues) > 0}
	if sim != nil {
		b.Graphsim = "http://" + simLn.Addr().String()
	}
	if f.inMemory {
		b.DataDir = "(in memory: --in-memory)"
	} else {
		abs, _ := filepath.Abs(f.dataDir)
		b.DataDir = abs
	}
	if cfg.LogFormat == "json" {
		appLog.Info("dev runtime ready", "devUrl", b.DevURL, "graph", b.Graph, "graphsim", b.Graphsim, "dataDir", b.DataDir,
			"queue", b.Queue, "maxDeliveryCount", b.MaxDelivery, "handler", b.Handler, "functions", b.AppRoot,
			"reminderSchedule", b.Reminders, "expireAfter", b.Expire)
	} else {
		b.write(os.Stdout)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		cancel()
	case err := <-hostDone:
		runErr = fmt.Errorf("host emulator stopped: %w", err)
		cancel()
	}
	// host.Run lets in-flight invocations finish before it returns; the
	// handler keeps serving them until then.
	select {
	case <-hostDone:
	case <-time.After(15 * time.Second):
	}
	appLog.Info("dev runtime stopped")
	return runErr
}

// named prefixes a server error with what failed.
func named(what string, err error) error {
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// portOf is the port a listener got.
func portOf(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}
