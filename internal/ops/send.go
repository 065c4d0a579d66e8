package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/internal/devrun"
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
		list, err := sendProblems(ctx, target, get, e, body)
		if err != nil {
			return fmt.Errorf("%w (--no-validate sends without checking)", err)
		}
		if len(list) > 0 {
			writeProblems(stderr, "event "+e.ID(), list)
			return fmt.Errorf("%w event: nothing sent; `onboard validate FILE` checks without sending, --no-validate sends anyway", ErrInvalid)
		}
	}

	if target.useServiceBus(get) {
		queue, err := target.queueName(get, "onboarding")
		if err != nil {
			return err
		}
		client, conn, err := serviceBusClient(ctx, get)
		if err != nil {
			return err
		}
		defer client.Close(context.WithoutCancel(ctx))
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
	queue, err := target.devQueue(ctx, c, get)
	if err != nil {
		return err
	}
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

// sendProblems checks an event before send sends it: the running dev
// runtime judges it by its own settings (POST /_dev/validate); a dev
// runtime without that route, and Service Bus, by the settings here
// (dev's layering, or yours as serve reads them).
func sendProblems(ctx context.Context, target Target, get config.Getenv, e event.Event, body []byte) ([]string, error) {
	which := JudgeServe
	if !target.useServiceBus(get) {
		which = JudgeDev
		list, err := devProblems(ctx, target.DevURL, body)
		if !errors.Is(err, errNoValidateRoute) {
			return list, err
		}
	}
	j, err := loadJudge(get, which)
	if err != nil {
		return nil, err
	}
	if err := j.check(e); err != nil {
		return devrun.Problems(err), nil
	}
	return nil, nil
}

// errNoValidateRoute: the dev runtime has no POST /_dev/validate.
var errNoValidateRoute = errors.New("no validate route")

// devProblems asks the dev runtime at base for the problems of body.
func devProblems(ctx context.Context, base string, body []byte) ([]string, error) {
	base = strings.TrimRight(base, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/_dev/validate", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("--dev-url %q: %w", base, err)
	}
	req.Header.Set("Content-Type", servicebus.ContentTypeCloudEventsJSON)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("dev runtime at %s: %w (is `onboard dev` running?)", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		return nil, errNoValidateRoute
	}
	var answer struct {
		Problems []string `json:"problems"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&answer) != nil {
		return nil, fmt.Errorf("POST %s/_dev/validate: unexpected answer %s", base, resp.Status)
	}
	return answer.Problems, nil
}
