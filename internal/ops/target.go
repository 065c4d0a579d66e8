package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

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

// queueName is --queue, else ONBOARDING_QUEUE (unless blank), else
// fallback; a name that breaks Service Bus's entity naming rule is an
// error naming where it came from.
func (t Target) queueName(get config.Getenv, fallback string) (string, error) {
	q, from := t.Queue, "--queue"
	if q == "" {
		v, _ := get("ONBOARDING_QUEUE")
		q, from = strings.TrimSpace(v), "ONBOARDING_QUEUE"
	}
	if q == "" {
		return fallback, nil
	}
	if rule := config.EntityNameRule(q); rule != "" {
		return "", fmt.Errorf("%s: %s", from, rule)
	}
	return q, nil
}

// devQueue is the queue to use on the dev runtime: --queue or
// ONBOARDING_QUEUE when set, else the queue its Service Bus trigger reads
// (so a runtime started with another ONBOARDING_QUEUE is still found).
func (t Target) devQueue(ctx context.Context, c *devhost.Client, get config.Getenv) (string, error) {
	if q, err := t.queueName(get, ""); q != "" || err != nil {
		return q, err
	}
	if fns, err := c.Functions(ctx); err == nil {
		for _, f := range fns {
			if strings.EqualFold(f.Trigger, "serviceBusTrigger") && f.Queue != "" {
				return f.Queue, nil
			}
		}
	}
	return "onboarding", nil
}

// serviceBusClient opens the namespace the ServiceBusConnection* settings
// name: with the connection string, or with the app's identity
// (config.IdentityFrom; DefaultAzureCredential, your `az login`, unless
// the settings name a managed identity).
func serviceBusClient(ctx context.Context, get config.Getenv) (*azservicebus.Client, config.ServiceBusConnection, error) {
	conn, err := config.ParseServiceBus(get, config.ServiceBusPrefix)
	if err != nil {
		return nil, conn, fmt.Errorf("--servicebus: %w", err)
	}
	if err := checkResolves(ctx, conn.Namespace()); err != nil {
		return nil, conn, err
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

// resolveTimeout bounds the DNS check of a Service Bus namespace: the SDK
// retries a name that does not resolve for about 50 s, in silence.
var resolveTimeout = 3 * time.Second

// lookupHost resolves a host name; tests replace it.
var lookupHost = net.DefaultResolver.LookupHost

// checkResolves fails fast, naming the namespace, when its host name does
// not resolve within resolveTimeout (a mistyped namespace, or no network),
// instead of letting the SDK retry for most of a minute.
func checkResolves(ctx context.Context, namespace string) error {
	host := namespace
	if h, _, err := net.SplitHostPort(namespace); err == nil {
		host = h
	}
	if host == "" || strings.HasPrefix(host, "(") {
		return nil // no host to check: the SDK reports the connection string's problem
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	if _, err := lookupHost(ctx, host); err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return fmt.Errorf("--servicebus: namespace %s does not exist (DNS: no such host); check %s__fullyQualifiedNamespace or the connection string's Endpoint", host, config.ServiceBusPrefix)
		case ctx.Err() != nil:
			return fmt.Errorf("--servicebus: namespace %s did not resolve within %s (no network or DNS?)", host, resolveTimeout)
		}
		return fmt.Errorf("--servicebus: namespace %s does not resolve: %w", host, err)
	}
	return nil
}
