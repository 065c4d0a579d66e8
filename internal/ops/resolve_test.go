package ops

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestServiceBusNamespaceMustResolve: a namespace whose name does not
// resolve fails dlq and send within seconds, naming it, instead of the
// SDK's silent retries.
func TestServiceBusNamespaceMustResolve(t *testing.T) {
	const ns = "contoso-onbaording.servicebus.windows.net"
	notFound := func(_ context.Context, host string) ([]string, error) {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	hang := func(ctx context.Context, _ string) ([]string, error) { <-ctx.Done(); return nil, ctx.Err() }
	resolves := func(context.Context, string) ([]string, error) { return []string{"192.0.2.1"}, nil }
	for _, tc := range []struct {
		name   string
		lookup func(context.Context, string) ([]string, error)
		want   string // "" = no error
	}{
		{"no such host", notFound, "--servicebus: namespace " + ns + " does not exist (DNS: no such host); check ServiceBusConnection__fullyQualifiedNamespace"},
		{"no answer", hang, "--servicebus: namespace " + ns + " did not resolve within 200ms"},
		{"resolves", resolves, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, oldTimeout := lookupHost, resolveTimeout
			lookupHost, resolveTimeout = tc.lookup, 200*time.Millisecond
			t.Cleanup(func() { lookupHost, resolveTimeout = old, oldTimeout })
			err := checkResolves(context.Background(), ns)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}

	// through the commands, with the setting as an operator writes it
	clean(t)
	t.Setenv("ServiceBusConnection__fullyQualifiedNamespace", ns)
	old := lookupHost
	lookupHost = notFound
	t.Cleanup(func() { lookupHost = old })
	start := time.Now()
	var out, errOut bytes.Buffer
	err := DLQ(context.Background(), DLQOptions{Action: DLQList}, &out, &errOut, time.Now())
	if err == nil || !strings.Contains(err.Error(), ns+" does not exist") || time.Since(start) > 5*time.Second {
		t.Errorf("dlq list: %v after %s", err, time.Since(start))
	}
	err = Send(context.Background(), SendOptions{Event: EventSpec{Type: "partner-approved", Data: `{"requestId":"r","email":"a@b.com"}`}, NoValidate: true}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), ns+" does not exist") {
		t.Errorf("send: %v", err)
	}
}
