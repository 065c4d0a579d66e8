package ops

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/servicebus"
)

// SendOptions are what `onboard send` was asked: the event and where to.
type SendOptions struct {
	Event  EventSpec
	Target Target
	// NoValidate sends the event unchecked; by default it is checked as
	// `onboard validate` does (dev's settings for the dev runtime, yours as
	// serve reads them for Service Bus) and not sent when it has problems.
	NoValidate bool
}

// Send sends one structured-mode CloudEvent to the onboarding queue with
// MessageId = the event id, to the dev runtime or Service Bus, and prints
// the message id on stdout (what happened on stderr).
func Send(ctx context.Context, o SendOptions, stdout, stderr io.Writer) error {
	spec, target := o.Event, o.Target
	e, err := buildEvent(spec, time.Now())
	if err != nil {
		return err
	}
	body, err := encodeEvent(e)
	if err != nil {
		return err
	}
	get, _, err := config.UserSettings()
	if err != nil {
		return err
	}
	if !o.NoValidate {
		which := JudgeDev
		if target.useServiceBus(get) {
			which = JudgeServe
		}
		j, err := loadJudge(which)
		if err != nil {
			return fmt.Errorf("%w (--no-validate sends without checking)", err)
		}
		if err := j.check(e); err != nil {
			writeProblems(stderr, "event "+e.ID(), err)
			return fmt.Errorf("%w event: nothing sent; `onboard validate FILE` lists the same problems, --no-validate sends anyway", ErrInvalid)
		}
	}

	if target.useServiceBus(get) {
		client, conn, err := serviceBusClient(ctx, get)
		if err != nil {
			return err
		}
		defer client.Close(context.WithoutCancel(ctx))
		queue := target.queueName(get, "onboarding")
		dl := servicebus.NewDeadLetters(client, queue, nil)
		if err := dl.Send(ctx, body, servicebus.ContentTypeCloudEventsJSON, e.ID(), nil); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "sent %s event %s to Service Bus %s, queue %s\n", e.Type(), e.ID(), conn.Namespace(), queue)
		fmt.Fprintln(stdout, e.ID())
		return nil
	}

	c, err := devhost.NewClient(target.DevURL, nil)
	if err != nil {
		return fmt.Errorf("--dev-url: %w", err)
	}
	queue := target.devQueue(ctx, c, get)
	res, err := c.Send(ctx, queue, devhost.Message{MessageID: e.ID(), Body: body,
		ContentType: servicebus.ContentTypeCloudEventsJSON, Subject: e.Type()})
	if err != nil {
		return err
	}
	if res.Duplicate {
		fmt.Fprintf(stderr, "message %s was dropped by duplicate detection: a message with this id was sent within the duplicate detection window; send it again with --id <new id>\n", res.MessageID)
	} else {
		fmt.Fprintf(stderr, "sent %s event %s to %s, queue %s (sequence number %d)\n", e.Type(), e.ID(), target.DevURL, queue, res.SequenceNumber)
	}
	fmt.Fprintln(stdout, res.MessageID)
	return nil
}
