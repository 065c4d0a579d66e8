package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/servicebus"
)

func init() {
	register("send", "send a CloudEvent to the onboarding queue (dev runtime or Service Bus)", runSend)
}

func runSend(ctx context.Context, args []string) error {
	return sendCommand(ctx, args, os.Stdout, os.Stderr)
}

func sendCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var spec eventSpec
	fs.StringVar(&spec.Type, "type", "", "CloudEvent type of the event to build, e.g. partner-approved")
	fs.StringVar(&spec.Data, "data", "", "event data: JSON, or @file holding it (with --type)")
	fs.StringVar(&spec.Source, "source", "", "CloudEvent source (default "+defaultSource+" for built events; overrides a file's)")
	fs.StringVar(&spec.ID, "id", "", "CloudEvent id and MessageId (default: a new UUID for built events; overrides a file's)")
	fs.StringVar(&spec.Subject, "subject", "", "CloudEvent subject (optional)")
	target := addOpsFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: onboard send FILE [flags]
       onboard send --type partner-approved --data @ada.json [flags]

Sends one structured-mode CloudEvent to the onboarding queue with
MessageId = the event id, to the dev runtime (--dev-url) or, with
--servicebus or a ServiceBusConnection* setting, to Service Bus.
Prints the message id.

flags:`)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
	case 1:
		spec.File = pos[0]
	default:
		return fmt.Errorf("one FILE at a time, got %d arguments", len(pos))
	}
	e, err := buildEvent(spec, time.Now())
	if err != nil {
		return err
	}
	body, err := encodeEvent(e)
	if err != nil {
		return err
	}
	get, _, err := userSettings()
	if err != nil {
		return err
	}

	if target.useServiceBus(get) {
		client, conn, err := serviceBusClient(get)
		if err != nil {
			return err
		}
		defer client.Close(context.WithoutCancel(ctx))
		queue := target.queueName(get, "onboarding")
		dl := servicebus.NewDeadLetters(client, queue, nil)
		if err := dl.Send(ctx, body, servicebus.ContentTypeCloudEventsJSON, e.ID(), nil); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "sent %s event %s to Service Bus %s, queue %s\n", e.Type(), e.ID(), namespaceOf(conn), queue)
		fmt.Fprintln(stdout, e.ID())
		return nil
	}

	c, err := devhost.NewClient(target.devURL, nil)
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
		fmt.Fprintf(stderr, "sent %s event %s to %s, queue %s (sequence number %d)\n", e.Type(), e.ID(), target.devURL, queue, res.SequenceNumber)
	}
	fmt.Fprintln(stdout, res.MessageID)
	return nil
}
