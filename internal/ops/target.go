package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/internal/app"
	"github.com/b2b-onboarding/onboard/servicebus"
)

// Target is where `send` and `dlq` act: the dev runtime's ops API, or a
// Service Bus namespace (--dev-url, --servicebus, --queue).
type Target struct {
	DevURL      string
	DevURLGiven bool // --dev-url was given on the command line
	ServiceBus  bool
	Queue       string
}

// serviceBusSettings lists the ServiceBusConnection* settings present.
func serviceBusSettings(get config.Getenv) []string {
	var out []string
	for _, name := range []string{config.ServiceBusPrefix, config.ServiceBusPrefix + "__fullyQualifiedNamespace"} {
		if _, ok := get(name); ok {
			out = append(out, name)
		}
	}
	return out
}

// useServiceBus decides the target: --servicebus, or a ServiceBusConnection
// setting unless --dev-url was given explicitly.
func (t Target) useServiceBus(get config.Getenv) bool {
	if t.ServiceBus {
		return true
	}
	return !t.DevURLGiven && len(serviceBusSettings(get)) > 0
}

// queueName is --queue, else ONBOARDING_QUEUE, else fallback.
func (t Target) queueName(get config.Getenv, fallback string) string {
	if t.Queue != "" {
		return t.Queue
	}
	if v, ok := get("ONBOARDING_QUEUE"); ok {
		return strings.TrimSpace(v)
	}
	return fallback
}

// devQueue is the queue to use on the dev runtime: --queue or
// ONBOARDING_QUEUE when set, else the queue its Service Bus trigger reads
// (so a runtime started with another ONBOARDING_QUEUE is still found).
func (t Target) devQueue(ctx context.Context, c *devhost.Client, get config.Getenv) string {
	if q := t.queueName(get, ""); q != "" {
		return q
	}
	if fns, err := c.Functions(ctx); err == nil {
		for _, f := range fns {
			if strings.EqualFold(f.Trigger, "serviceBusTrigger") && f.Queue != "" {
				return f.Queue
			}
		}
	}
	return "onboarding"
}

// serviceBusClient opens the namespace the ServiceBusConnection* settings
// name: with the connection string, or with the app's identity
// (config.IdentityFrom; DefaultAzureCredential, your `az login`, unless
// the settings name a managed identity).
func serviceBusClient(get config.Getenv) (*azservicebus.Client, config.ServiceBusConnection, error) {
	conn, err := config.ParseServiceBus(get, config.ServiceBusPrefix)
	if err != nil {
		return nil, conn, fmt.Errorf("--servicebus: %w", err)
	}
	sc := servicebus.Connection{Setting: conn.Prefix, ConnectionString: conn.ConnectionString, FullyQualifiedNamespace: conn.FullyQualifiedNamespace}
	if sc.ConnectionString == "" {
		if sc.Credential, err = app.NewCredential(config.IdentityFrom(get)); err != nil {
			return nil, conn, fmt.Errorf("--servicebus: %w", err)
		}
	}
	client, err := servicebus.NewClient(sc)
	if err != nil {
		return nil, conn, fmt.Errorf("service bus: %w", err)
	}
	return client, conn, nil
}
