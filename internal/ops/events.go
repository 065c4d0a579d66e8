package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/internal/app"
	"github.com/b2b-onboarding/onboard/workflow"
)

// DefaultSubscription is the outcomes topic's subscription `onboard
// events` reads when none is named (the one infra/main.bicep deploys).
const DefaultSubscription = app.OutcomesSubscription

// EventsOptions are what `onboard events` was asked.
type EventsOptions struct {
	Target       Target
	Topic        string // --topic; default OUTCOMES_TOPIC
	Subscription string // --subscription; default DefaultSubscription
	Follow       bool   // keep printing new events until ctx ends
	JSON         bool   // one JSON object per line
	Interval     time.Duration
}

// outcomeEvent is one outcome event as `onboard events` shows it.
type outcomeEvent struct {
	MessageID      string               `json:"messageId"`
	SequenceNumber int64                `json:"sequenceNumber"`
	Type           string               `json:"type"`
	Subject        string               `json:"subject,omitempty"`
	Time           time.Time            `json:"time,omitzero"`
	Data           workflow.OutcomeData `json:"data"`
}

// peekedMessage is a subscription message, from either backend.
type peekedMessage struct {
	seq         int64
	id          string
	contentType string
	props       map[string]any
	body        []byte
}

// Events prints the outcome events waiting in a subscription of the
// outcomes topic, without taking them (peek): from the dev runtime, or
// from Service Bus with --servicebus or a ServiceBusConnection* setting.
// With Follow it keeps printing new ones.
func Events(ctx context.Context, o EventsOptions, stdout, stderr io.Writer) error {
	get, _, err := config.UserSettings()
	if err != nil {
		return err
	}
	if o.Topic == "" {
		o.Topic = config.Value(get, "OUTCOMES_TOPIC")
		if rule := config.EntityNameRule(o.Topic); rule != "" {
			return fmt.Errorf("OUTCOMES_TOPIC: %s", rule)
		}
	}
	if o.Subscription == "" {
		o.Subscription = DefaultSubscription
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	peek, closeFn, err := openEvents(ctx, o, get)
	if err != nil {
		return err
	}
	defer closeFn()
	var last int64 = -1
	for {
		ms, err := peek(ctx, last+1)
		if err != nil {
			if o.Follow && ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, m := range ms {
			if m.seq <= last {
				continue
			}
			last = m.seq
			if err := writeEvent(stdout, stderr, m, o.JSON); err != nil {
				return err
			}
		}
		if !o.Follow {
			if len(ms) == 0 && last < 0 && !o.JSON {
				fmt.Fprintf(stderr, "no outcome events in subscription %s of topic %s\n", o.Subscription, o.Topic)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.Interval):
		}
	}
}

// openEvents returns a function peeking the subscription's messages from
// sequence number from on.
func openEvents(ctx context.Context, o EventsOptions, get config.Getenv) (func(context.Context, int64) ([]peekedMessage, error), func(), error) {
	if !o.Target.useServiceBus(get) {
		c, err := devhost.NewClient(o.Target.DevURL, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("--dev-url: %w", err)
		}
		queue := devhost.SubscriptionQueue(o.Topic, o.Subscription)
		return func(ctx context.Context, from int64) ([]peekedMessage, error) {
			rs, err := c.Peek(ctx, queue)
			if err != nil {
				return nil, fmt.Errorf("subscription %s of topic %s at %s: %w", o.Subscription, o.Topic, o.Target.DevURL, err)
			}
			var out []peekedMessage
			for _, r := range rs {
				if r.SequenceNumber >= from {
					out = append(out, peekedMessage{seq: r.SequenceNumber, id: r.MessageID, contentType: r.ContentType, props: r.ApplicationProperties, body: r.Body})
				}
			}
			return out, nil
		}, func() {}, nil
	}
	client, _, err := serviceBusClient(ctx, get)
	if err != nil {
		return nil, nil, err
	}
	recv, err := client.NewReceiverForSubscription(o.Topic, o.Subscription, nil)
	if err != nil {
		client.Close(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("subscription %s of topic %s: %w", o.Subscription, o.Topic, err)
	}
	closeFn := func() {
		recv.Close(context.WithoutCancel(ctx))
		client.Close(context.WithoutCancel(ctx))
	}
	return func(ctx context.Context, from int64) ([]peekedMessage, error) {
		var out []peekedMessage
		for {
			ms, err := recv.PeekMessages(ctx, 100, &azservicebus.PeekMessagesOptions{FromSequenceNumber: &from})
			if err != nil {
				return nil, fmt.Errorf("peek subscription %s of topic %s: %w", o.Subscription, o.Topic, err)
			}
			for _, m := range ms {
				p := peekedMessage{props: m.ApplicationProperties, body: m.Body, id: m.MessageID}
				if m.SequenceNumber != nil {
					p.seq = *m.SequenceNumber
				}
				if m.ContentType != nil {
					p.contentType = *m.ContentType
				}
				out = append(out, p)
				from = p.seq + 1
			}
			if len(ms) < 100 {
				return out, nil
			}
		}
	}, closeFn, nil
}

// writeEvent prints one outcome event: a line of text, or JSON.
func writeEvent(stdout, stderr io.Writer, m peekedMessage, asJSON bool) error {
	ev, err := handlers.ParseCloudEvent(m.contentType, m.props, m.body)
	if err != nil {
		fmt.Fprintf(stderr, "message %s (#%d) is not a CloudEvent: %v\n", m.id, m.seq, err)
		return nil
	}
	oe := outcomeEvent{MessageID: m.id, SequenceNumber: m.seq, Type: ev.Type, Subject: ev.Subject, Time: ev.Time}
	if err := json.Unmarshal(ev.Data, &oe.Data); err != nil {
		fmt.Fprintf(stderr, "message %s (#%d): data is not an outcome: %v\n", m.id, m.seq, err)
		return nil
	}
	if asJSON {
		b, err := json.Marshal(oe)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	d := oe.Data
	line := fmt.Sprintf("%s  %-36s %s  request %s  phase %s", oe.Time.UTC().Format(time.RFC3339), oe.Type, d.Key, orDash(oe.Subject), orDash(string(d.Phase)))
	if d.GuestID != "" {
		line += "  guest " + d.GuestID
	}
	if len(d.Applied) > 0 || len(d.Refused) > 0 {
		line += fmt.Sprintf("  applied %d refused %d", len(d.Applied), len(d.Refused))
	}
	if d.Reason != "" {
		line += "  reason: " + d.Reason
	}
	_, err = fmt.Fprintln(stdout, line)
	return err
}
