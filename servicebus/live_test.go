//go:build live

// Live tests against a real Service Bus namespace. They run only with
//
//	go test -tags live ./servicebus/ -run Live -v
//
// and these settings (read through config.ParseServiceBus with the prefix
// ONBOARD_LIVE_SERVICEBUS_CONNECTION, so either form works):
//
//	ONBOARD_LIVE_SERVICEBUS_CONNECTION                          connection string, or
//	ONBOARD_LIVE_SERVICEBUS_CONNECTION__fullyQualifiedNamespace <ns>.servicebus.windows.net (DefaultAzureCredential)
//	ONBOARD_LIVE_SERVICEBUS_QUEUE                               a queue used only by these tests: it is drained and its DLQ purged
//	ONBOARD_LIVE_SERVICEBUS_DUPLICATE_DETECTION=1               set when that queue has duplicate detection on
//
// Without them every test skips.
package servicebus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/workflow"
)

type liveEnv struct {
	client *azservicebus.Client
	queue  string
}

func live(t *testing.T) liveEnv {
	t.Helper()
	queue := os.Getenv("ONBOARD_LIVE_SERVICEBUS_QUEUE")
	if queue == "" {
		t.Skip("live Service Bus not configured: set ONBOARD_LIVE_SERVICEBUS_QUEUE and ONBOARD_LIVE_SERVICEBUS_CONNECTION[__fullyQualifiedNamespace]")
	}
	cfg, err := config.ParseServiceBus(os.LookupEnv, "ONBOARD_LIVE_SERVICEBUS_CONNECTION")
	if err != nil {
		t.Fatalf("live Service Bus misconfigured: %v", err)
	}
	conn := Connection{Setting: cfg.Prefix, ConnectionString: cfg.ConnectionString, FullyQualifiedNamespace: cfg.FullyQualifiedNamespace}
	if conn.ConnectionString == "" {
		if conn.Credential, err = azidentity.NewDefaultAzureCredential(nil); err != nil {
			t.Fatalf("DefaultAzureCredential: %v", err)
		}
	}
	client, err := NewClient(conn)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	drain(t, client, queue)
	if _, err := NewDeadLetters(client, queue, nil).Purge(context.Background()); err != nil {
		t.Fatalf("purge dead letters before the test: %v", err)
	}
	return liveEnv{client: client, queue: queue}
}

// drain removes what earlier runs left on the test queue.
func drain(t *testing.T, client *azservicebus.Client, queue string) {
	t.Helper()
	r, err := client.NewReceiverForQueue(queue, &azservicebus.ReceiverOptions{ReceiveMode: azservicebus.ReceiveModeReceiveAndDelete})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		msgs, err := r.ReceiveMessages(ctx, 100, nil)
		cancel()
		if len(msgs) == 0 || err != nil {
			return
		}
	}
}

// receiveID waits up to wait for the message with id on the queue,
// completing what it receives; nil when it does not come.
func receiveID(t *testing.T, client *azservicebus.Client, queue, id string, wait time.Duration) *azservicebus.ReceivedMessage {
	t.Helper()
	r, err := client.NewReceiverForQueue(queue, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		msgs, err := r.ReceiveMessages(ctx, 10, nil)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			t.Fatalf("receive: %v", err)
		}
		for _, m := range msgs {
			if err := r.CompleteMessage(context.Background(), m, nil); err != nil {
				t.Fatalf("complete: %v", err)
			}
			if m.MessageID == id {
				return m
			}
		}
	}
}

func TestLiveSchedulerDeliversWhenDue(t *testing.T) {
	env := live(t)
	sender, err := env.client.NewSender(env.queue, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close(context.Background())
	s := NewScheduler(sender, nil, nil)

	msg := reminderMessage()
	msg.ID = fmt.Sprintf("live-%d/reminder/1", time.Now().UnixNano())
	msg.Event.ID = msg.ID
	at := time.Now().Add(10 * time.Second)
	if err := s.Schedule(context.Background(), msg, at); err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	if os.Getenv("ONBOARD_LIVE_SERVICEBUS_DUPLICATE_DETECTION") == "1" {
		if err := s.Schedule(context.Background(), msg, at); err != nil {
			t.Fatalf("second Schedule: %v", err)
		}
	}
	got := receiveID(t, env.client, env.queue, msg.ID, 60*time.Second)
	if got == nil {
		t.Fatal("scheduled message not received within 60s")
	}
	if got.EnqueuedTime != nil && got.EnqueuedTime.Before(at.Add(-2*time.Second)) {
		t.Errorf("enqueued at %v, scheduled for %v", got.EnqueuedTime, at)
	}
	if *got.ContentType != ContentTypeCloudEventsJSON || *got.Subject != workflow.TypeReminderDue {
		t.Errorf("content type %v, subject %v", *got.ContentType, *got.Subject)
	}
	ev, err := decodeAsHandler(got.Body)
	if err != nil || ev.ID != msg.ID || ev.Extensions["onboardattempt"] != "2" {
		t.Errorf("body = %s (%v)", got.Body, err)
	}
	if os.Getenv("ONBOARD_LIVE_SERVICEBUS_DUPLICATE_DETECTION") == "1" {
		if dup := receiveID(t, env.client, env.queue, msg.ID, 15*time.Second); dup != nil {
			t.Errorf("duplicate delivered despite duplicate detection")
		}
	}
}

func TestLiveDeadLetters(t *testing.T) {
	env := live(t)
	d := NewDeadLetters(env.client, env.queue, &DeadLetterOptions{ReceiveWait: 3 * time.Second})
	ctx := context.Background()

	id := fmt.Sprintf("live-%d/poison", time.Now().UnixNano())
	body, ct, err := Encode(workflow.Message{ID: id, Event: workflow.Event{ID: id, Type: "partner-approved", Source: "/live-test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Send(ctx, body, ct, id, map[string]any{"origin": "live-test"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// Dead-letter it as Service Bus would after MaxDeliveryCount.
	r, err := env.client.NewReceiverForQueue(env.queue, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	msgs, err := r.ReceiveMessages(rctx, 1, nil)
	cancel()
	if err != nil || len(msgs) != 1 || msgs[0].MessageID != id {
		t.Fatalf("receive sent message: %v (%d)", err, len(msgs))
	}
	reason, desc := "PolicyViolation", "roles[0]: privileged"
	if err := r.DeadLetterMessage(ctx, msgs[0], &azservicebus.DeadLetterOptions{Reason: &reason, ErrorDescription: &desc}); err != nil {
		t.Fatal(err)
	}
	r.Close(ctx)

	list, err := d.List(ctx, 0)
	if err != nil || len(list) != 1 || list[0].MessageID != id || list[0].DeadLetterReason != reason ||
		list[0].DeadLetterErrorDescription != desc || list[0].ApplicationProperties["origin"] != "live-test" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if _, err := d.Show(ctx, id); err != nil {
		t.Fatalf("Show: %v", err)
	}
	newID, err := d.Replay(ctx, id)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	got := receiveID(t, env.client, env.queue, newID, 30*time.Second)
	if got == nil || string(got.Body) != string(body) || got.ApplicationProperties["origin"] != "live-test" {
		t.Fatalf("replayed copy = %+v", got)
	}
	if _, ok := got.ApplicationProperties["DeadLetterReason"]; ok {
		t.Errorf("replayed copy carries DeadLetterReason")
	}
	if _, err := d.Show(ctx, id); !errors.Is(err, ErrDeadLetterNotFound) {
		t.Errorf("dead letter still there after replay: %v", err)
	}
	n, err := d.Purge(ctx)
	if err != nil || n != 0 {
		t.Errorf("Purge = %d, %v", n, err)
	}
}

func TestLiveMissingQueueIsClassified(t *testing.T) {
	env := live(t)
	d := NewDeadLetters(env.client, "onboard-no-such-queue-"+fmt.Sprint(time.Now().Unix()), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := d.Send(ctx, []byte("x"), "", "x", nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != string(azservicebus.CodeNotFound) || IsTransient(err) {
		t.Errorf("Send to a missing queue = %v, want a non-transient notfound *Error", err)
	}
}
