package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"golang.org/x/sync/errgroup"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/infra"
	"github.com/b2b-onboarding/onboard/internal/localqueue"
	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// localQueue is SCHEDULER=memory: the local queue (devhost's, in memory,
// with the deployed queue's properties) and the host emulator that
// delivers its messages to the handler over HTTP, so a reminder or retry
// goes through the envelope and CloudEvent decoding every Service Bus
// message goes through. It is the same queue `onboard dev` runs.
type localQueue struct {
	broker    *devhost.Broker
	scheduler localqueue.Scheduler
	publisher localqueue.Publisher // the outcomes topic, with a "procurement" subscription
	settings  map[string]string
	log       *slog.Logger
}

// OutcomesSubscription is the subscription the local outcomes topic is
// opened with, as infra/main.bicep deploys it.
const OutcomesSubscription = "procurement"

func newLocalQueue(cfg config.Config, log *slog.Logger) (*localQueue, error) {
	p, err := infra.Queue()
	if err != nil {
		return nil, err
	}
	log = log.With(logkey.Component, "localqueue")
	broker, err := devhost.NewBroker(devhost.BrokerOptions{Logger: log,
		Queue: localqueue.QueueOptions(p, p.MaxDeliveryCount, p.LockDuration, log)})
	if err != nil {
		return nil, fmt.Errorf("SCHEDULER=memory: %w", err)
	}
	q, err := broker.Queue(cfg.Queue)
	if err != nil {
		broker.Close()
		return nil, fmt.Errorf("ONBOARDING_QUEUE: %w", err)
	}
	topic, err := broker.Topic(cfg.OutcomesTopic, OutcomesSubscription)
	if err != nil {
		broker.Close()
		return nil, fmt.Errorf("OUTCOMES_TOPIC: %w", err)
	}
	return &localQueue{broker: broker, scheduler: localqueue.Scheduler{Queue: q}, publisher: localqueue.Publisher{Topic: topic},
		settings: map[string]string{"ONBOARDING_QUEUE": cfg.Queue}, log: log}, nil
}

// serve serves h on ln and runs the host emulator against it until ctx
// ends; either failing stops both.
func (l *localQueue) serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	root, _, cleanup, err := localqueue.AppRoot()
	if err != nil {
		return err
	}
	defer cleanup()
	host, err := devhost.NewHost(devhost.HostOptions{AppRoot: root, HandlerURL: "http://" + ln.Addr().String(),
		Broker: l.broker, Settings: l.settings, Logger: l.log})
	if err != nil {
		return fmt.Errorf("SCHEDULER=memory: host emulator: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ServeHTTP(gctx, ln, h, log) })
	g.Go(func() error {
		if err := host.Run(gctx); err != nil && ctx.Err() == nil {
			return fmt.Errorf("SCHEDULER=memory: host emulator: %w", err)
		}
		return nil
	})
	return g.Wait()
}

func (l *localQueue) close(context.Context) error { return l.broker.Close() }
