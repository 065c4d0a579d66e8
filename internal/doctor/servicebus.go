package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/b2b-onboarding/onboard/infra"
	"github.com/b2b-onboarding/onboard/servicebus"
)

// QueueAccess proves the identity may send to and receive from the queue
// without sending or taking a message.
type QueueAccess interface {
	CanSend(ctx context.Context) error
	CanReceive(ctx context.Context) error
}

// AzureQueue is the Queue source for a Service Bus namespace: the queue's
// properties read with the administration client.
type AzureQueue struct{ Check *servicebus.QueueCheck }

// Properties implements Queue; durations are the ISO 8601 strings the
// administration API returns.
func (a AzureQueue) Properties(ctx context.Context) (QueueProperties, error) {
	p, err := a.Check.Properties(ctx)
	if err != nil {
		return QueueProperties{}, err
	}
	out := QueueProperties{Status: "Active"}
	if p.Status != nil {
		out.Status = string(*p.Status)
	}
	out.DuplicateDetection = p.RequiresDuplicateDetection != nil && *p.RequiresDuplicateDetection
	if p.MaxDeliveryCount != nil {
		out.MaxDeliveryCount = int(*p.MaxDeliveryCount)
	}
	var errs []error
	dur := func(name string, s *string) time.Duration {
		if s == nil {
			return 0
		}
		d, err := infra.ParseISODuration(*s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", name, *s, err))
		}
		return d
	}
	out.DuplicateWindow = dur("duplicateDetectionHistoryTimeWindow", p.DuplicateDetectionHistoryTimeWindow)
	out.LockDuration = dur("lockDuration", p.LockDuration)
	return out, errors.Join(errs...)
}

// queueReadDenied reports whether err is the administration API refusing
// the identity (no Manage right), as opposed to the queue or namespace
// being unreachable.
func queueReadDenied(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && (re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden)
}

// QueueFor builds the Service Bus sources for the configured namespace and
// queue; close releases the messaging connection.
func QueueFor(conn servicebus.Connection, queue string) (q Queue, access QueueAccess, close func(), err error) {
	c, err := servicebus.NewQueueCheck(conn, queue)
	if err != nil {
		return nil, nil, nil, err
	}
	return AzureQueue{Check: c}, c, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	}, nil
}

// expectedQueue is what the app expects of its queue: infra/queue.json,
// from which main.bicep creates it.
func expectedQueue() (maxDelivery int, lock time.Duration) {
	p, err := infra.Queue()
	if err != nil { // queue.json is embedded and tested: unreachable
		return 0, 0
	}
	return p.MaxDeliveryCount, p.LockDuration
}
