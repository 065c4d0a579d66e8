package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/servicebus"
)

// opsTarget is where `send` and `dlq` act: the dev runtime's ops API, or a
// Service Bus namespace.
type opsTarget struct {
	devURL     string
	serviceBus bool
	queue      string
	flags      *flag.FlagSet // where they are defined, to see what was given
}

// addOpsFlags defines --dev-url, --servicebus and --queue on fs.
func addOpsFlags(fs *flag.FlagSet) *opsTarget {
	t := &opsTarget{flags: fs}
	fs.StringVar(&t.devURL, "dev-url", devhost.DefaultDevURL, "URL of the onboard dev runtime")
	fs.BoolVar(&t.serviceBus, "servicebus", false, "act on Service Bus (ServiceBusConnection* settings) instead of the dev runtime; implied when such a setting is present and --dev-url is not given")
	fs.StringVar(&t.queue, "queue", "", "queue name (default: ONBOARDING_QUEUE, else the dev runtime's trigger queue, else onboarding)")
	return t
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments (`onboard status ada@x.com --json`), which
// flag.FlagSet alone stops at. A lone "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// devURLGiven reports whether --dev-url was given on the command line
// (asked of the parsed flag set, so it cannot go stale).
func (t *opsTarget) devURLGiven() bool {
	given := false
	t.flags.Visit(func(f *flag.Flag) { given = given || f.Name == "dev-url" })
	return given
}

// serviceBusSettings lists the ServiceBusConnection* settings present.
func serviceBusSettings(get config.Getenv) []string {
	var out []string
	for _, name := range []string{"ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace"} {
		if _, ok := get(name); ok {
			out = append(out, name)
		}
	}
	return out
}

// useServiceBus decides the target: --servicebus, or a ServiceBusConnection
// setting unless --dev-url was given explicitly.
func (t *opsTarget) useServiceBus(get config.Getenv) bool {
	if t.serviceBus {
		return true
	}
	return !t.devURLGiven() && len(serviceBusSettings(get)) > 0
}

// queueName is --queue, else ONBOARDING_QUEUE, else fallback.
func (t *opsTarget) queueName(get config.Getenv, fallback string) string {
	if t.queue != "" {
		return t.queue
	}
	if v, ok := get("ONBOARDING_QUEUE"); ok {
		return strings.TrimSpace(v)
	}
	return fallback
}

// devQueue is the queue to use on the dev runtime: --queue or
// ONBOARDING_QUEUE when set, else the queue its Service Bus trigger reads
// (so a runtime started with another ONBOARDING_QUEUE is still found).
func (t *opsTarget) devQueue(ctx context.Context, c *devhost.Client, get config.Getenv) string {
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
// name (connection string or identity).
func serviceBusClient(get config.Getenv) (*azservicebus.Client, servicebus.ConnConfig, error) {
	conn, err := servicebus.ConnConfigFromEnv(func(name string) string { v, _ := get(name); return v }, servicebus.DefaultConnectionPrefix)
	if err != nil {
		return nil, conn, fmt.Errorf("--servicebus: %w", err)
	}
	client, err := servicebus.NewClient(conn)
	if err != nil {
		return nil, conn, fmt.Errorf("service bus: %w", err)
	}
	return client, conn, nil
}

// namespaceOf names the namespace for messages, without secrets.
func namespaceOf(c servicebus.ConnConfig) string {
	if c.FullyQualifiedNamespace != "" {
		return c.FullyQualifiedNamespace
	}
	if m := sbEndpoint(c.ConnectionString); m != "" {
		return m
	}
	return "(connection string)"
}

// sbEndpoint extracts the host of Endpoint=sb://HOST/ from a connection string.
func sbEndpoint(cs string) string {
	for _, part := range strings.Split(cs, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Endpoint") {
			v = strings.TrimPrefix(strings.TrimSpace(v), "sb://")
			return strings.TrimSuffix(v, "/")
		}
	}
	return ""
}
