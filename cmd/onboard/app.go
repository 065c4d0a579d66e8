package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// app is the custom handler and everything behind it, wired from settings.
type app struct {
	handler http.Handler
	engine  *workflow.Engine
	store   workflow.Store
	stop    []func(context.Context) error
}

// overrides replace parts of the wiring; `dev` uses them for its embedded
// queue and data directory.
type overrides struct {
	store     workflow.Store
	scheduler workflow.Scheduler
}

// buildApp wires Directory, Store, Scheduler and Engine behind the
// Functions protocol handler, as the settings say.
func buildApp(ctx context.Context, cfg config.Config, log *slog.Logger, over overrides) (*app, error) {
	dir, err := graph.New(ctx, graph.Options{BaseURL: cfg.GraphBaseURL, Auth: cfg.GraphAuth, ClientID: cfg.AzureClientID, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	a := &app{store: over.store}
	if a.store == nil {
		if a.store, err = openStore(ctx, cfg); err != nil {
			return nil, fmt.Errorf("state store: %w", err)
		}
	}
	a.engine = &workflow.Engine{Directory: dir, Store: a.store, Clock: workflow.SystemClock{},
		Policy: cfg.Policy, Config: cfg.Workflow, Log: log}
	switch {
	case over.scheduler != nil:
		a.engine.Scheduler = over.scheduler
	case cfg.Scheduler == "memory":
		log.Warn("SCHEDULER=memory: reminders and retries live in this process only and are lost when it stops; use it for local tests")
		ms := servicebus.NewMemoryScheduler(func(ctx context.Context, m workflow.Message) error {
			_, err := a.engine.Handle(ctx, workflow.Delivery{MessageID: m.ID, DeliveryCount: servicebus.DeliveryCount(ctx), Event: m.Event})
			return err
		}, servicebus.MemoryOptions{Log: log})
		if err := ms.Start(ctx); err != nil {
			return nil, err
		}
		a.engine.Scheduler = ms
		a.stop = append(a.stop, ms.Stop)
	default:
		conn, err := servicebus.ConnConfigFromEnv(os.Getenv, "ServiceBusConnection")
		if err != nil {
			return nil, err
		}
		client, err := servicebus.NewClient(conn)
		if err != nil {
			return nil, fmt.Errorf("service bus: %w", err)
		}
		sender, err := client.NewSender(cfg.Queue, nil)
		if err != nil {
			return nil, fmt.Errorf("service bus sender for queue %q: %w", cfg.Queue, err)
		}
		a.engine.Scheduler = servicebus.NewScheduler(sender, workflow.SystemClock{}, log)
		a.stop = append(a.stop, sender.Close, client.Close)
	}
	a.handler = handlers.New(handlers.Options{Processor: a.engine, Status: a.engine,
		Failures: handlers.FailureRecorderFunc(a.store.SaveFailure), Logger: log, MaxBodyBytes: cfg.MaxInvocationBytes})
	return a, nil
}

// close stops background work and connections.
func (a *app) close(ctx context.Context) {
	for i := len(a.stop) - 1; i >= 0; i-- {
		_ = a.stop[i](ctx)
	}
}

// openStore opens the state store the settings name.
func openStore(ctx context.Context, cfg config.Config) (workflow.Store, error) {
	if cfg.StateStore == "memory" {
		return store.NewMemory(), nil
	}
	return openTables(ctx, cfg)
}
