package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
)

// queueName is the queue dev reads (ONBOARDING_QUEUE's default).
const queueName = "onboarding"

// contentType is what procurement sends: a structured-mode CloudEvent.
const contentType = "application/cloudevents+json; charset=utf-8"

// sendBudget bounds how long one message is retried while dev is down or
// restarting; a message never acknowledged within it does not count as sent.
const sendBudget = 90 * time.Second

// sendAll sends the plan's messages through the dev runtime's ops API, each
// at its time after start, with `senders` in parallel. A message whose
// answer is lost (dev killed mid-request) is sent again with the same
// MessageId, so it is acknowledged at most once in effect. It returns when
// every message was acknowledged or gave up, or ctx ends; the error is the
// first answer that says the harness itself sent something wrong.
func sendAll(ctx context.Context, client *devhost.Client, p *plan, start time.Time, senders int) error {
	work := make(chan *send)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range senders {
		wg.Go(func() {
			for s := range work {
				if err := deliver(ctx, client, s); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	func() {
		defer close(work)
		for _, s := range p.Sends {
			if !sleepUntil(ctx, start.Add(s.At)) {
				return
			}
			select {
			case work <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	return firstErr
}

// deliver sends one message until the ops API acknowledges it.
func deliver(ctx context.Context, client *devhost.Client, s *send) error {
	deadline := time.Now().Add(sendBudget)
	for time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := client.Send(cctx, queueName, devhost.Message{MessageID: s.MessageID, Body: s.Body, ContentType: contentType, Subject: "partner-approved"})
		cancel()
		var api *devhost.APIError
		switch {
		case err == nil:
			s.setAcked()
			return nil
		case errors.As(err, &api) && api.StatusCode == http.StatusBadRequest:
			return fmt.Errorf("the ops API refused message %s: %w", s.MessageID, err)
		case ctx.Err() != nil:
			return nil
		}
		time.Sleep(250 * time.Millisecond) // dev is down or restarting
	}
	return nil
}

// acceptAll plays the guests who accept: at each one's time, POST
// /_sim/users/{address}/accept to graphsim's admin API, retried each second
// while the guest does not exist yet, for up to retryFor.
func acceptAll(ctx context.Context, simRoot string, p *plan, start time.Time, retryFor time.Duration) {
	hc := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, o := range p.Onboardings {
		if !o.Accepts {
			continue
		}
		wg.Go(func() {
			if !sleepUntil(ctx, start.Add(o.AcceptAt)) {
				return
			}
			for until := time.Now().Add(retryFor); time.Now().Before(until); {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, simRoot+"/_sim/users/"+url.PathEscape(o.Addr)+"/accept", nil)
				if resp, err := hc.Do(req); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						o.setAccepted(time.Now())
						return
					}
				}
				if !sleepUntil(ctx, time.Now().Add(time.Second)) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
