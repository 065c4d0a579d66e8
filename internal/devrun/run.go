package devrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/internal/app"
	"github.com/b2b-onboarding/onboard/internal/doctor"
	"github.com/b2b-onboarding/onboard/internal/localqueue"
	"github.com/b2b-onboarding/onboard/internal/logging"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// runtime is one run of the dev runtime: what Run opened, in the order it
// opened it, so close can undo it.
type runtime struct {
	o              Options
	stdout, stderr io.Writer

	devLn, handlerLn, simLn net.Listener
	sim                     *graphsim.Server // nil with --graph-url
	queue                   *devhost.Queue   // the onboarding queue, for doctor's start-up check
	store                   workflow.Store   // dev's state store, for doctor's probe and manager ids

	get        config.Getenv     // the layered settings
	fileValues map[string]string // ./local.settings.json Values
	cfg        config.Config
	appLog     *slog.Logger
	hostLog    *slog.Logger

	closers []func()
}

// Run runs the dev runtime until ctx ends (Ctrl-C) or one of its parts
// fails. The banner goes to stdout (text format), logs to stderr.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	r := &runtime{o: o, stdout: stdout, stderr: stderr}
	defer r.close()
	if err := r.listen(); err != nil {
		return err
	}
	if err := r.loadSettings(); err != nil {
		return err
	}
	st, broker, err := r.openState()
	if err != nil {
		return err
	}
	if err := r.openGraphsim(); err != nil {
		return err
	}
	queue, err := broker.Queue(r.cfg.Queue)
	if err != nil {
		return fmt.Errorf("ONBOARDING_QUEUE: %w", err)
	}
	r.queue, r.store = queue, st
	topic, err := broker.Topic(r.cfg.OutcomesTopic, app.OutcomesSubscription)
	if err != nil {
		return fmt.Errorf("OUTCOMES_TOPIC: %w", err)
	}
	// the custom handler, as serve wires it, over dev's queue, topic and store
	a, err := app.Build(ctx, r.cfg, r.appLog, app.Overrides{Store: newStepLog(st, r.appLog),
		Scheduler: localqueue.Scheduler{Queue: queue}, Publisher: localqueue.Publisher{Topic: topic}})
	if err != nil {
		return err
	}
	r.closers = append(r.closers, func() { a.Close(context.Background()) })
	a.Engine.Config.InviteSettle = devInviteSettle
	return r.serve(ctx, a, broker)
}

// close undoes what Run opened, newest first.
func (r *runtime) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// listen opens the listeners first: their ports go into the settings.
func (r *runtime) listen() error {
	var err error
	if r.devLn, err = net.Listen("tcp", r.o.Addr); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("--addr %s: address already in use (another `onboard dev` or `func start`?); choose another with --addr", r.o.Addr)
		}
		return fmt.Errorf("--addr %s: %w", r.o.Addr, err)
	}
	r.closers = append(r.closers, func() { r.devLn.Close() })
	if r.handlerLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return fmt.Errorf("handler listener: %w", err)
	}
	r.closers = append(r.closers, func() { r.handlerLn.Close() })
	if r.o.GraphURL != "" {
		return nil
	}
	addr := r.o.GraphsimAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if r.simLn, err = net.Listen("tcp", addr); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("--graphsim-addr %s: address already in use; choose another port, or leave the flag out for a free one", addr)
		}
		return fmt.Errorf("--graphsim-addr %s: %w", addr, err)
	}
	r.closers = append(r.closers, func() { r.simLn.Close() })
	return nil
}

// GraphsimFile is the file under --data-dir that keeps graphsim's tenant
// across restarts, next to the queues and the state store: the records
// there name guests, so the tenant holding them must survive too.
const GraphsimFile = "graphsim.json"

// openGraphsim builds the embedded graphsim (none with --graph-url) once
// the data directory is dev's: its tenant is loaded from and saved to
// GraphsimFile there, or kept in memory with --in-memory.
func (r *runtime) openGraphsim() error {
	if r.simLn == nil {
		return nil
	}
	// A fresh random seed per run: with a fixed one a restarted dev would
	// hand out the object ids of the previous run's guests again.
	cfg := graphsim.Config{RandSeed: uint64(time.Now().UnixNano())}
	if !r.o.InMemory {
		cfg.StateFile = filepath.Join(r.o.DataDir, GraphsimFile)
	}
	sim, err := graphsim.New(cfg)
	if err != nil {
		return fmt.Errorf("graphsim: %w", err)
	}
	r.sim = sim
	return nil
}

// loadSettings layers dev's settings over the user's and loads them.
func (r *runtime) loadSettings() error {
	user, fileValues, err := config.UserSettings()
	if err != nil {
		return err
	}
	rt := devRuntime{GraphURL: strings.TrimRight(r.o.GraphURL, "/"), HandlerPort: portOf(r.handlerLn),
		ReminderSchedule: r.o.ReminderSchedule, ExpireAfter: r.o.ExpireAfter, LogFormat: r.o.LogFormat}
	if r.simLn != nil {
		rt.GraphURL, rt.Graphsim = graphsim.BaseURL(r.simLn), true
	}
	over, err := overrides(rt, user)
	if err != nil {
		return err
	}
	r.get, r.fileValues = devSettings(rt, user), fileValues
	if r.cfg, err = config.Load(r.get); err != nil {
		return err
	}
	color, err := logging.UseColor(r.o.Color, r.stderr, os.Getenv(logging.NoColorVar))
	if err != nil {
		return err
	}
	r.appLog, r.hostLog = devLoggers(r.stderr, r.cfg.LogFormat, r.cfg.LogLevel, color)
	for _, o := range over {
		r.appLog.Info(fmt.Sprintf("dev overrides %s=%s with %s (%s)", o.Name, o.Yours, o.Dev, o.Why))
	}
	return nil
}

// openState opens the state store and the queues, under --data-dir or in
// memory.
func (r *runtime) openState() (workflow.Store, *devhost.Broker, error) {
	var st workflow.Store = store.NewMemory()
	var brokerDir string
	if !r.o.InMemory {
		brokerDir = r.o.DataDir
		dir, err := store.OpenDir(filepath.Join(r.o.DataDir, "state"))
		if err != nil {
			return nil, nil, fmt.Errorf("--data-dir: %w", err)
		}
		r.closers = append(r.closers, func() { dir.Close() })
		st = dir
	}
	broker, err := devhost.NewBroker(devhost.BrokerOptions{DataDir: brokerDir, Logger: r.hostLog,
		Queue: localqueue.QueueOptions(r.o.Queue, r.o.MaxDelivery, r.o.LockDuration, r.hostLog)})
	if err != nil {
		return nil, nil, fmt.Errorf("--data-dir: queues: %w", err)
	}
	r.closers = append(r.closers, func() { broker.Close() })
	return st, broker, nil
}

// serve runs the handler, the host emulator in front of it, the dev
// listener (host routes and ops API) and graphsim until ctx ends or one of
// them fails, and prints the banner once the host is ready. The host lets
// in-flight invocations finish before it returns; the handler keeps
// serving them until then (graceful shutdown waits for them).
func (r *runtime) serve(ctx context.Context, a *app.App, broker *devhost.Broker) error {
	root, rootSource, cleanup, err := localqueue.AppRoot()
	if err != nil {
		return err
	}
	defer cleanup()
	replies := newReplyLogs()
	invocations := newInvocationLog(r.appLog, replies)
	host, err := devhost.NewHost(devhost.HostOptions{AppRoot: root, HandlerURL: "http://" + r.handlerLn.Addr().String(),
		Broker: broker, Settings: config.SettingsMap(r.get, r.fileValues), Logger: r.hostLog,
		OnInvocation: invocations.Log})
	if err != nil {
		return fmt.Errorf("function app in %s: %w", rootSource, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /_dev/failures/", FailuresHandler(a.Store))
	mux.Handle("GET /_dev/onboardings", OnboardingsHandler(a.Store))
	mux.Handle("POST /_dev/validate", ValidateHandler(r.cfg.Policy, r.cfg.Workflow))
	mux.Handle("/", host.Handler())

	quiet := slog.New(slog.DiscardHandler)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return named("handler", app.ServeHTTP(gctx, r.handlerLn, replies.wrap(a.Handler), quiet))
	})
	g.Go(func() error { return named("dev listener", app.ServeHTTP(gctx, r.devLn, mux, quiet)) })
	if r.sim != nil {
		g.Go(func() error { return named("graphsim", r.sim.Serve(gctx, r.simLn)) })
	}
	g.Go(func() error {
		if err := host.Run(gctx); err != nil && gctx.Err() == nil {
			return fmt.Errorf("host emulator: %w", err)
		}
		return nil
	})
	select {
	case <-host.Ready():
		r.announce(rootSource)
	case <-gctx.Done():
	}
	err = g.Wait()
	r.appLog.Info("dev runtime stopped")
	return err
}

// announce prints the banner (text) or logs that dev is ready (json).
func (r *runtime) announce(appRoot string) {
	b := banner{DevURL: "http://" + r.devLn.Addr().String(), Graph: r.cfg.GraphBaseURL, Handler: r.handlerLn.Addr().String(),
		Queue: r.cfg.Queue, MaxDelivery: r.o.MaxDelivery, AppRoot: appRoot, Reminders: r.o.ReminderSchedule, Expire: r.o.ExpireAfter,
		Policy: r.cfg.Policy, LocalSettings: len(r.fileValues) > 0}
	if _, err := exec.LookPath("onboard"); err != nil {
		b.NotOnPath = true
	}
	if r.o.InMemory {
		b.DataDir = "(in memory: --in-memory)"
	} else {
		abs, _ := filepath.Abs(r.o.DataDir)
		b.DataDir = abs
	}
	if r.sim != nil {
		b.Graphsim = "http://" + r.simLn.Addr().String()
		switch {
		case r.o.InMemory:
			b.Tenant = "sample tenant, in memory (--in-memory)"
		case r.sim.Restored():
			b.Tenant = "restored from " + filepath.Join(b.DataDir, GraphsimFile)
		default:
			b.Tenant = "sample tenant, kept in " + filepath.Join(b.DataDir, GraphsimFile)
		}
	}
	if r.cfg.LogFormat == "json" {
		r.appLog.Info("dev runtime ready", logkey.DevURL, b.DevURL, logkey.Graph, b.Graph, logkey.Graphsim, b.Graphsim, logkey.DataDir, b.DataDir,
			logkey.Queue, b.Queue, logkey.MaxDeliveryCount, b.MaxDelivery, logkey.Handler, b.Handler, logkey.Functions, b.AppRoot,
			logkey.ReminderSchedule, b.Reminders, logkey.ExpireAfter, b.Expire)
		r.doctor()
		return
	}
	b.write(r.stdout)
	r.doctor()
}

// doctor runs `onboard doctor`'s checks against dev's Graph and queue and
// prints the summary line, under the checks that did not pass with their
// fixes (text), or logs it (json); a failing check does not stop dev.
func (r *runtime) doctor() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	o := doctor.Options{Queue: doctor.DevQueue{Queue: r.queue}, Records: r.store}
	if t, ok := r.store.(doctor.Table); ok { // --data-dir's store; memory needs no probe
		o.Table = t
	}
	if r.sim != nil {
		o.AppSP = graphsim.SampleSPOnboarding
	}
	dir, sp, err := doctor.Directory(ctx, r.cfg)
	if o.AppSP == "" {
		o.AppSP = sp
	}
	if err != nil {
		r.appLog.Warn("doctor could not run", logkey.Error, err)
		return
	}
	c := doctor.ForConfig(r.cfg, dir, o)
	c.MaxDeliveryCount, c.LockDuration = 0, 0 // dev's --max-delivery-count and --lock-duration are chosen, not drift
	rep := c.Run(ctx)
	if r.cfg.LogFormat == "json" {
		r.appLog.Info(rep.Summary())
		return
	}
	// The summary, with the checks that did not pass and their fixes.
	problems := doctor.Report{}
	for _, x := range rep.Results {
		if x.Status != doctor.OK {
			problems.Results = append(problems.Results, x)
		}
	}
	if len(problems.Results) == 0 {
		fmt.Fprintln(r.stdout, rep.Summary())
		return
	}
	var b strings.Builder
	_ = doctor.Render(&b, problems)
	fmt.Fprint(r.stdout, strings.TrimSuffix(b.String(), problems.Summary()+"\n"), rep.Summary(), "\n")
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
