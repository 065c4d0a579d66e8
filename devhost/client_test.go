package devhost

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func startOps(t *testing.T, opts QueueOptions) (*Broker, *Client, string) {
	t.Helper()
	opts.Logger = quietLogger()
	b, err := NewBroker(BrokerOptions{Queue: opts, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewAdminHandler(b, quietLogger()))
	t.Cleanup(func() { srv.Close(); b.Close() })
	c, err := NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, c, srv.URL
}

func TestClientSendAndStats(t *testing.T) {
	b, c, _ := startOps(t, QueueOptions{})
	ctx := context.Background()
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	msg := Message{MessageID: "ada@fabrikam.com/reminder/1", Body: []byte(`{"specversion":"1.0"}`),
		ContentType: "application/cloudevents+json; charset=utf-8", Subject: "reminder-due", CorrelationID: "P-1",
		ApplicationProperties: map[string]any{"origin": "procurement", "n": 3, "ok": true},
		ScheduledEnqueueTime:  at, TimeToLive: 10 * time.Minute}
	res, err := c.Send(ctx, "onboarding", msg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || !res.Scheduled || res.SequenceNumber != 1 || res.MessageID != msg.MessageID {
		t.Fatalf("send = %+v", res)
	}
	if res, err := c.Send(ctx, "onboarding", msg); err != nil || !res.Duplicate {
		t.Fatalf("resend = %+v, %v; want duplicate", res, err)
	}
	st, err := c.Stats(ctx, "onboarding")
	if err != nil || st.Scheduled != 1 || st.Active != 0 {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	// What the broker holds is exactly what was sent.
	q, _ := b.Lookup("onboarding")
	got := q.Peek()[0]
	if string(got.Body) != string(msg.Body) || got.ContentType != msg.ContentType || got.Subject != msg.Subject ||
		got.CorrelationID != "P-1" || !got.ScheduledEnqueueTime.Equal(at) || got.TimeToLive != 10*time.Minute ||
		got.ApplicationProperties["origin"] != "procurement" || got.ApplicationProperties["n"] != int64(3) ||
		got.ApplicationProperties["ok"] != true {
		t.Fatalf("stored = %+v", got)
	}
	peeked, err := c.Peek(ctx, "onboarding")
	if err != nil || len(peeked) != 1 || peeked[0].State != StateScheduled || peeked[0].TimeToLive != 10*time.Minute {
		t.Fatalf("peek = %+v, %v", peeked, err)
	}
	qs, err := c.Queues(ctx)
	if err != nil || len(qs) != 1 || qs[0].Name != "onboarding" {
		t.Fatalf("queues = %+v, %v", qs, err)
	}
	if _, err := c.Stats(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown queue: %v", err)
	}
}

func TestClientDeadLetterOps(t *testing.T) {
	b, c, _ := startOps(t, QueueOptions{MaxDeliveryCount: 1})
	ctx := context.Background()
	q, _ := b.Queue("onboarding")
	for _, id := range []string{"ada@fabrikam.com/reminder/1", "plain"} {
		mustSend(t, q, Message{MessageID: id, Body: []byte("body of " + id)})
		m, _ := q.TryReceive()
		if err := q.Abandon(m.LockToken); err != nil {
			t.Fatal(err)
		}
	}
	dls, err := c.DeadLetters(ctx, "onboarding")
	if err != nil || len(dls) != 2 {
		t.Fatalf("list = %+v, %v", dls, err)
	}
	if dls[0].DeadLetterReason != ReasonMaxDeliveryCountExceeded || dls[0].DeadLetterSource != "onboarding" ||
		dls[0].DeadLetteredAt.IsZero() || string(dls[0].Body) != "body of ada@fabrikam.com/reminder/1" {
		t.Fatalf("dead letter = %+v", dls[0])
	}
	// An id with slashes survives the URL.
	one, err := c.DeadLetter(ctx, "onboarding", "ada@fabrikam.com/reminder/1")
	if err != nil || one.MessageID != "ada@fabrikam.com/reminder/1" {
		t.Fatalf("show = %+v, %v", one, err)
	}
	if _, err := c.DeadLetter(ctx, "onboarding", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("show unknown: %v", err)
	}
	rep, err := c.Replay(ctx, "onboarding", "ada@fabrikam.com/reminder/1")
	if err != nil || rep.NewMessageID != "ada@fabrikam.com/reminder/1/replay/1" {
		t.Fatalf("replay = %+v, %v", rep, err)
	}
	if m, ok := q.TryReceive(); !ok || m.MessageID != rep.NewMessageID || m.DeliveryCount != 1 {
		t.Fatalf("replayed message = %+v", m)
	}
	if _, err := c.Replay(ctx, "onboarding", "ada@fabrikam.com/reminder/1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second replay: %v", err)
	}
	n, err := c.Purge(ctx, "onboarding")
	if err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	if st := q.Stats(); st.DeadLetter != 0 {
		t.Fatalf("after purge: %+v", st)
	}
}

func TestOpsAPIRejectsBadInput(t *testing.T) {
	_, _, base := startOps(t, QueueOptions{})
	cases := []struct {
		name, method, path string
		headers            map[string]string
		want               int
		errContains        string
	}{
		{"bad schedule", "POST", "/_dev/queues/q/messages", map[string]string{HeaderScheduledEnqueueTime: "tomorrow"}, 400, HeaderScheduledEnqueueTime},
		{"bad ttl", "POST", "/_dev/queues/q/messages", map[string]string{HeaderTimeToLive: "-5"}, 400, HeaderTimeToLive},
		{"nested property", "POST", "/_dev/queues/q/messages", map[string]string{HeaderApplicationProperties: `{"a":{"b":1}}`}, 400, "values must be"},
		{"property not an object", "POST", "/_dev/queues/q/messages", map[string]string{HeaderApplicationProperties: `[1]`}, 400, "JSON object"},
		{"id too long", "POST", "/_dev/queues/q/messages", map[string]string{HeaderMessageID: strings.Repeat("x", 200)}, 400, "MessageID"},
		{"bad queue name", "POST", "/_dev/queues/a.b%20c/messages", nil, 400, "queue name"},
		{"unknown queue", "GET", "/_dev/queues/nope/deadletter", nil, 404, "not found"},
		{"unknown route", "GET", "/_dev/nothing", nil, 404, "no ops route"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader("x"))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.errContains) ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestOpsAPIRelativeScheduleAndSecondsTTL(t *testing.T) {
	b, _, base := startOps(t, QueueOptions{})
	req, _ := http.NewRequest("POST", base+"/_dev/queues/q/messages", strings.NewReader("x"))
	req.Header.Set(HeaderScheduledEnqueueTime, "50ms")
	req.Header.Set(HeaderTimeToLive, "90")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatal(resp.Status)
	}
	q, _ := b.Lookup("q")
	m := mustReceive(t, q, 2*time.Second)
	if m.TimeToLive != 90*time.Second || m.ContentType != "" {
		t.Fatalf("received = %+v", m)
	}
}

func TestNewClientValidatesURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:7071", "ftp://x", "http://"} {
		if _, err := NewClient(u, nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	c, err := NewClient("", nil)
	if err != nil || c.base != DefaultDevURL {
		t.Fatalf("default = %+v, %v", c, err)
	}
}

// TestClientPeekLockRoutes: a receiver outside the host settles through the
// ops API as through Service Bus's REST API.
func TestClientPeekLockRoutes(t *testing.T) {
	_, c, _ := startOps(t, QueueOptions{MaxDeliveryCount: 5})
	ctx := context.Background()
	if _, ok, err := c.Receive(ctx, "work", 0); ok || err != nil {
		t.Fatalf("empty queue: ok=%v err=%v", ok, err)
	}
	for _, id := range []string{"done", "again", "bad"} {
		if _, err := c.Send(ctx, "work", Message{MessageID: id}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]ReceivedMessage{}
	for range 3 {
		m, ok, err := c.Receive(ctx, "work", time.Second)
		if !ok || err != nil || m.LockToken == "" || m.DeliveryCount != 1 {
			t.Fatalf("receive: %+v %v %v", m, ok, err)
		}
		got[m.MessageID] = m
	}
	if err := c.Complete(ctx, "work", got["done"]); err != nil {
		t.Fatal(err)
	}
	if err := c.Complete(ctx, "work", got["done"]); err == nil || !strings.Contains(err.Error(), "HTTP 410") {
		t.Fatalf("second complete: %v, want 410 (lock lost)", err)
	}
	if err := c.Abandon(ctx, "work", got["again"]); err != nil {
		t.Fatal(err)
	}
	if err := c.DeadLetterMessage(ctx, "work", got["bad"], "Unprocessable", "field x"); err != nil {
		t.Fatal(err)
	}
	m, ok, err := c.Receive(ctx, "work", time.Second)
	if !ok || err != nil || m.MessageID != "again" || m.DeliveryCount != 2 {
		t.Fatalf("after abandon: %+v %v %v", m, ok, err)
	}
	if dl, err := c.DeadLetter(ctx, "work", "bad"); err != nil || dl.DeadLetterReason != "Unprocessable" || dl.DeadLetterErrorDescription != "field x" {
		t.Fatalf("dead letter: %+v %v", dl, err)
	}
	if ms, _ := c.Peek(ctx, "work"); len(ms) != 1 || ms[0].LockToken != "" {
		t.Fatalf("peek shows lock tokens or wrong messages: %+v", ms)
	}
}
