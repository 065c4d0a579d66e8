package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// App is the custom handler and everything behind it, wired from settings.
type App struct {
	Handler http.Handler
	Engine  *workflow.Engine
	Store   workflow.Store
	// Graph and GraphCredential (nil with GRAPH_AUTH=none) are the
	// engine's Graph client and its credential, so serve's start-up
	// permission check reuses them instead of building its own.
	Graph           *graph.Directory
	GraphCredential azcore.TokenCredential

	log   *slog.Logger
	local *localQueue // SCHEDULER=memory: the local queue Serve delivers from
	stop  []func(context.Context) error
}

// Overrides replace parts of the wiring; `dev` uses them for its own queue
// and data directory, tests for a capturing scheduler.
type Overrides struct {
	Store     workflow.Store
	Scheduler workflow.Scheduler
	// Publisher receives the outcome events; nil with a Scheduler
	// override publishes none.
	Publisher workflow.Publisher
}

// Build wires Directory, Store, Scheduler and Engine behind the Functions
// protocol handler, as the settings say. With SCHEDULER=memory (and no
// scheduler override) reminders and retries go to the local queue, which
// Serve delivers through the handler's HTTP path. Close releases what
// Build opened.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger, over Overrides) (_ *App, err error) {
	a := &App{Store: over.Store, log: log}
	defer func() {
		if err != nil {
			a.Close(context.WithoutCancel(ctx))
		}
	}()
	creds, err := credentialsFor(cfg, over, NewCredential)
	if err != nil {
		return nil, err
	}
	dir, err := graph.New(ctx, graph.Options{BaseURL: cfg.GraphBaseURL, Logger: log, Credential: creds.Graph, InviteLimit: cfg.InviteRateLimit})
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	a.Graph, a.GraphCredential = dir, creds.Graph
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if a.Store == nil {
		if cfg.StateStore == "memory" {
			log.Warn("STATE_STORE=memory: onboarding records and the failure log live in this process only and are lost when it stops; use it for local tests")
		}
		if a.Store, err = OpenStore(ctx, cfg, creds.App); err != nil {
			return nil, fmt.Errorf("state store: %w", err)
		}
	}
	a.Engine = &workflow.Engine{Directory: dir, Store: a.Store, Clock: workflow.SystemClock{},
		Policy: cfg.Policy, Config: cfg.Workflow, Log: log}
	if a.Engine.Scheduler, err = a.scheduler(cfg, creds.App, over); err != nil {
		return nil, err
	}
	a.Handler = handlers.New(handlers.Options{Processor: a.Engine, Status: a.Engine,
		Failures: handlers.FailureRecorderFunc(a.Store.SaveFailure), Logger: log, MaxBodyBytes: cfg.MaxInvocationBytes})
	return a, nil
}

// scheduler is the override, the local queue (SCHEDULER=memory) or a
// Service Bus sender on the onboarding queue. It sets the engine's
// outcome Publisher alongside: the override's, the local topic, or a
// Service Bus sender on OUTCOMES_TOPIC.
func (a *App) scheduler(cfg config.Config, cred azcore.TokenCredential, over Overrides) (workflow.Scheduler, error) {
	if over.Scheduler != nil {
		a.Engine.Publisher = over.Publisher
		return over.Scheduler, nil
	}
	if cfg.Scheduler == "memory" {
		a.log.Warn("SCHEDULER=memory: reminders and retries live in this process only and are lost when it stops; use it for local tests")
		lq, err := newLocalQueue(cfg, a.log)
		if err != nil {
			return nil, err
		}
		a.local = lq
		a.stop = append(a.stop, lq.close)
		a.Engine.Publisher = lq.publisher
		return lq.scheduler, nil
	}
	client, err := servicebus.NewClient(servicebus.Connection{Setting: cfg.ServiceBus.Prefix,
		ConnectionString: cfg.ServiceBus.ConnectionString, FullyQualifiedNamespace: cfg.ServiceBus.FullyQualifiedNamespace, Credential: cred})
	if err != nil {
		return nil, fmt.Errorf("service bus: %w", err)
	}
	a.stop = append(a.stop, client.Close)
	sender, err := client.NewSender(cfg.Queue, nil)
	if err != nil {
		return nil, fmt.Errorf("service bus sender for queue %q: %w", cfg.Queue, err)
	}
	a.stop = append(a.stop, sender.Close)
	topic, err := client.NewSender(cfg.OutcomesTopic, nil)
	if err != nil {
		return nil, fmt.Errorf("service bus sender for topic %q (OUTCOMES_TOPIC): %w", cfg.OutcomesTopic, err)
	}
	a.stop = append(a.stop, topic.Close)
	a.Engine.Publisher = servicebus.NewPublisher(topic)
	return servicebus.NewScheduler(sender, workflow.SystemClock{}, a.log), nil
}

// Serve serves the handler on ln until ctx ends, then shuts down
// gracefully. With SCHEDULER=memory it also runs the local queue's host
// emulator against ln, so scheduled messages reach the handler as the
// Functions host would deliver them.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if a.local == nil {
		return ServeHTTP(ctx, ln, a.Handler, a.log)
	}
	return a.local.serve(ctx, ln, a.Handler, a.log)
}

// Close stops background work and connections, newest first.
func (a *App) Close(ctx context.Context) {
	var errs []error
	for i := len(a.stop) - 1; i >= 0; i-- {
		errs = append(errs, a.stop[i](ctx))
	}
	a.stop = nil
	if err := errors.Join(errs...); err != nil {
		a.log.Warn("closing the app", logkey.Error, err)
	}
}
