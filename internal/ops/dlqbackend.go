package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// deadLetter is one dead letter as `onboard dlq` shows it, whichever queue
// it comes from, with the reason the workflow recorded for its MessageId.
type deadLetter struct {
	MessageID      string         `json:"messageId"`
	SequenceNumber int64          `json:"sequenceNumber,omitempty"`
	EnqueuedTime   time.Time      `json:"enqueuedTime,omitzero"`
	DeadLetteredAt time.Time      `json:"deadLetteredAt,omitzero"`
	DeliveryCount  int            `json:"deliveryCount"`
	Reason         string         `json:"deadLetterReason,omitempty"`
	Description    string         `json:"deadLetterErrorDescription,omitempty"`
	ContentType    string         `json:"contentType,omitempty"`
	Subject        string         `json:"subject,omitempty"`
	Properties     map[string]any `json:"applicationProperties,omitempty"`
	Body           []byte         `json:"-"`
	// Recorded is the failure the workflow recorded for the message id
	// (nil when none is recorded or the state store is unavailable).
	Recorded *workflow.Failure `json:"recorded,omitempty"`
}

// errNoDeadLetter says the queue holds no dead letter with that id.
var errNoDeadLetter = errors.New("no dead letter with that message id")

// noDeadLetter is the error for id missing from b's dead-letter queue.
func noDeadLetter(b dlqBackend, id string) error {
	return fmt.Errorf("%q in %s: %w", id, b.where(), errNoDeadLetter)
}

// withRecorded converts each message with conv and attaches the failure
// recorded for its message id.
func withRecorded[M any](ctx context.Context, ms []M, conv func(M) deadLetter,
	recorded func(ctx context.Context, id string) (*workflow.Failure, error)) ([]deadLetter, error) {
	out := make([]deadLetter, len(ms))
	for i, m := range ms {
		out[i] = conv(m)
		var err error
		if out[i].Recorded, err = recorded(ctx, out[i].MessageID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dlqBackend is a dead-letter queue with the workflow's failure log.
type dlqBackend interface {
	// where names the queue for messages.
	where() string
	list(ctx context.Context) ([]deadLetter, error)
	show(ctx context.Context, id string) (deadLetter, error)
	replay(ctx context.Context, id string) (string, error)
	purge(ctx context.Context) (int, error)
}

// devDLQ is the dev runtime's dead-letter queue over its ops API, with
// reasons from its GET /_dev/failures/{messageId}.
type devDLQ struct {
	client *devhost.Client
	base   string
	queue  string
	http   *http.Client
}

func (d *devDLQ) where() string { return fmt.Sprintf("queue %s at %s", d.queue, d.base) }

func fromDev(m devhost.ReceivedMessage) deadLetter {
	return deadLetter{MessageID: m.MessageID, SequenceNumber: m.SequenceNumber, EnqueuedTime: m.EnqueuedTime,
		DeadLetteredAt: m.DeadLetteredAt, DeliveryCount: m.DeliveryCount, Reason: m.DeadLetterReason,
		Description: m.DeadLetterErrorDescription, ContentType: m.ContentType, Subject: m.Subject,
		Properties: m.ApplicationProperties, Body: m.Body}
}

func (d *devDLQ) list(ctx context.Context) ([]deadLetter, error) {
	ms, err := d.client.DeadLetters(ctx, d.queue)
	if err != nil {
		return nil, err
	}
	return withRecorded(ctx, ms, fromDev, d.failure)
}

func (d *devDLQ) show(ctx context.Context, id string) (deadLetter, error) {
	m, err := d.client.DeadLetter(ctx, d.queue, id)
	if errors.Is(err, devhost.ErrNotFound) {
		return deadLetter{}, noDeadLetter(d, id)
	} else if err != nil {
		return deadLetter{}, err
	}
	dl := fromDev(m)
	dl.Recorded, err = d.failure(ctx, id)
	return dl, err
}

func (d *devDLQ) replay(ctx context.Context, id string) (string, error) {
	res, err := d.client.Replay(ctx, d.queue, id)
	if errors.Is(err, devhost.ErrNotFound) {
		return "", noDeadLetter(d, id)
	}
	return res.NewMessageID, err
}

func (d *devDLQ) purge(ctx context.Context) (int, error) { return d.client.Purge(ctx, d.queue) }

// failure asks the dev runtime for the failure recorded for id (nil when
// none).
func (d *devDLQ) failure(ctx context.Context, id string) (*workflow.Failure, error) {
	u := d.base + "/_dev/failures/" + url.PathEscape(id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dev runtime at %s: %w", d.base, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
		var f workflow.Failure
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("GET %s: answer is not a failure record: %w", u, err)
		}
		return &f, nil
	case http.StatusNotFound:
		if strings.Contains(string(raw), "no failure recorded") {
			return nil, nil
		}
		return nil, fmt.Errorf("GET %s: 404: this dev runtime has no failures route (an older onboard?)", u)
	}
	return nil, fmt.Errorf("GET %s: %d: %s", u, resp.StatusCode, strings.TrimSpace(string(raw)))
}

// serviceBusDLQ is a Service Bus queue's dead-letter sub-queue, with
// reasons from the state store the settings name (nil store: none shown).
type serviceBusDLQ struct {
	dl        *servicebus.DeadLetters
	namespace string
	queue     string
	store     workflow.Store
}

func (s *serviceBusDLQ) where() string {
	return fmt.Sprintf("queue %s on Service Bus %s", s.queue, s.namespace)
}

func fromServiceBus(m servicebus.DeadLetter) deadLetter {
	return deadLetter{MessageID: m.MessageID, SequenceNumber: m.SequenceNumber, EnqueuedTime: m.EnqueuedTime,
		DeliveryCount: m.DeliveryCount, Reason: m.DeadLetterReason, Description: m.DeadLetterErrorDescription,
		ContentType: m.ContentType, Subject: m.Subject, Properties: m.ApplicationProperties, Body: m.Body}
}

func (s *serviceBusDLQ) recorded(ctx context.Context, id string) (*workflow.Failure, error) {
	if s.store == nil {
		return nil, nil
	}
	f, err := s.store.Failure(ctx, id)
	if errors.Is(err, workflow.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("state store: failure of %s: %w", id, err)
	}
	return &f, nil
}

func (s *serviceBusDLQ) list(ctx context.Context) ([]deadLetter, error) {
	ms, err := s.dl.List(ctx, 0)
	if err != nil {
		return nil, err
	}
	return withRecorded(ctx, ms, fromServiceBus, s.recorded)
}

func (s *serviceBusDLQ) show(ctx context.Context, id string) (deadLetter, error) {
	m, err := s.dl.Show(ctx, id)
	if errors.Is(err, servicebus.ErrDeadLetterNotFound) {
		return deadLetter{}, noDeadLetter(s, id)
	} else if err != nil {
		return deadLetter{}, err
	}
	dl := fromServiceBus(m)
	dl.Recorded, err = s.recorded(ctx, id)
	return dl, err
}

func (s *serviceBusDLQ) replay(ctx context.Context, id string) (string, error) {
	newID, err := s.dl.Replay(ctx, id)
	if errors.Is(err, servicebus.ErrDeadLetterNotFound) {
		return "", noDeadLetter(s, id)
	}
	return newID, err
}

func (s *serviceBusDLQ) purge(ctx context.Context) (int, error) { return s.dl.Purge(ctx) }
