package servicebus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus/admin"

	"github.com/b2b-onboarding/onboard/config"
)

// CheckTimeout bounds each call a check makes: with one retry and short
// delays, an unresolvable or unreachable namespace fails within it
// instead of after the SDKs' default minute of retries.
const CheckTimeout = 5 * time.Second

// checkRetry is the retry budget of the check clients: one retry, short
// delays (an operator is waiting at a terminal).
var checkRetry = azservicebus.RetryOptions{MaxRetries: 1, RetryDelay: 200 * time.Millisecond, MaxRetryDelay: time.Second}

// Namespace is the host name conn names (for messages), never a key; the
// same as config.ServiceBusConnection.Namespace, which it uses.
func (conn Connection) Namespace() string {
	return config.ServiceBusConnection{ConnectionString: conn.ConnectionString, FullyQualifiedNamespace: conn.FullyQualifiedNamespace}.Namespace()
}

// QueueCheck reads a queue's properties through the administration
// client and proves the identity may send to and receive from it without
// sending or taking a message: a sender link is attached (a message batch
// is sized, nothing sent) and one message is peeked (not locked, not
// consumed). Every error names the namespace.
type QueueCheck struct {
	Namespace string
	Queue     string
	Admin     QueueAdmin
	Client    *azservicebus.Client
}

// QueueAdmin is the part of the administration client (admin.Client)
// QueueCheck uses, replaceable in tests.
type QueueAdmin interface {
	GetQueue(ctx context.Context, queueName string, options *admin.GetQueueOptions) (*admin.GetQueueResponse, error)
}

// NewQueueCheck builds the administration and messaging clients for conn
// with the short retry budget of checks.
func NewQueueCheck(conn Connection, queue string) (*QueueCheck, error) {
	client, err := newClient(conn, &azservicebus.ClientOptions{RetryOptions: checkRetry})
	if err != nil {
		return nil, err
	}
	aopts := &admin.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: checkRetry.MaxRetries, RetryDelay: checkRetry.RetryDelay,
			MaxRetryDelay: checkRetry.MaxRetryDelay, TryTimeout: CheckTimeout}}}
	var ac *admin.Client
	if conn.ConnectionString != "" {
		ac, err = admin.NewClientFromConnectionString(conn.ConnectionString, aopts)
	} else {
		ac, err = admin.NewClient(conn.FullyQualifiedNamespace, conn.Credential, aopts)
	}
	if err != nil {
		_ = client.Close(context.Background()) // never connected: nothing to wait for
		return nil, fmt.Errorf("%s: service bus administration client: %w", conn.Setting, err)
	}
	return &QueueCheck{Namespace: conn.Namespace(), Queue: queue, Admin: ac, Client: client}, nil
}

// ErrQueueNotFound is returned by Properties when the namespace has no
// queue of that name.
var ErrQueueNotFound = errors.New("queue not found")

// Properties reads the queue's properties (GET on the queue's ATOM
// entity; needs the Manage right, e.g. Azure Service Bus Data Owner).
func (c *QueueCheck) Properties(ctx context.Context) (admin.QueueProperties, error) {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	resp, err := c.Admin.GetQueue(ctx, c.Queue, nil)
	switch {
	case err != nil:
		return admin.QueueProperties{}, fmt.Errorf("namespace %s: read queue %q: %w", c.Namespace, c.Queue, err)
	case resp == nil: // the admin client's answer for 404
		return admin.QueueProperties{}, fmt.Errorf("namespace %s: queue %q: %w", c.Namespace, c.Queue, ErrQueueNotFound)
	}
	return resp.QueueProperties, nil
}

// CanSend attaches a sender link to the queue (Send right); nothing is sent.
func (c *QueueCheck) CanSend(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	s, err := c.Client.NewSender(c.Queue, nil)
	if err == nil {
		defer s.Close(context.WithoutCancel(ctx))
		_, err = s.NewMessageBatch(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("namespace %s: send to queue %q: %w", c.Namespace, c.Queue, err)
	}
	return nil
}

// CanReceive peeks at most one message (Listen right); nothing is locked
// or consumed.
func (c *QueueCheck) CanReceive(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	r, err := c.Client.NewReceiverForQueue(c.Queue, nil)
	if err == nil {
		defer r.Close(context.WithoutCancel(ctx))
		_, err = r.PeekMessages(ctx, 1, nil)
	}
	if err != nil {
		return fmt.Errorf("namespace %s: receive from queue %q: %w", c.Namespace, c.Queue, err)
	}
	return nil
}

// Close closes the messaging client.
func (c *QueueCheck) Close(ctx context.Context) error { return c.Client.Close(ctx) }
