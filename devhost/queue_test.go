package devhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestQueue(t *testing.T, opts QueueOptions) *Queue {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	q := NewQueue("q", opts)
	t.Cleanup(q.Close)
	return q
}

func mustSend(t *testing.T, q *Queue, m Message) SendResult {
	t.Helper()
	r, err := q.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("send %q: %v", m.MessageID, err)
	}
	return r
}

func mustReceive(t *testing.T, q *Queue, within time.Duration) ReceivedMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	m, err := q.Receive(ctx)
	if err != nil {
		t.Fatalf("receive within %s: %v", within, err)
	}
	return m
}

func TestAbandonRedeliversThenDeadLetters(t *testing.T) {
	for _, max := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("max=%d", max), func(t *testing.T) {
			var notified []ReceivedMessage
			var mu sync.Mutex
			q := newTestQueue(t, QueueOptions{MaxDeliveryCount: max, OnDeadLetter: func(m ReceivedMessage) {
				mu.Lock()
				notified = append(notified, m)
				mu.Unlock()
			}})
			mustSend(t, q, Message{MessageID: "m1", Body: []byte("x")})
			for want := 1; want <= max; want++ {
				m, ok := q.TryReceive()
				if !ok {
					t.Fatalf("delivery %d: nothing available", want)
				}
				if m.DeliveryCount != want {
					t.Fatalf("delivery %d: DeliveryCount = %d", want, m.DeliveryCount)
				}
				if err := q.Abandon(m.LockToken); err != nil {
					t.Fatalf("abandon %d: %v", want, err)
				}
			}
			if m, ok := q.TryReceive(); ok {
				t.Fatalf("delivered after %d abandons: %+v", max, m)
			}
			st := q.Stats()
			if st.Active != 0 || st.Locked != 0 || st.DeadLetter != 1 {
				t.Fatalf("stats = %+v, want only one dead letter", st)
			}
			dl, err := q.DeadLetterByID("m1")
			if err != nil {
				t.Fatal(err)
			}
			if dl.DeadLetterReason != ReasonMaxDeliveryCountExceeded || dl.DeliveryCount != max || dl.DeadLetterSource != "q" ||
				!strings.Contains(dl.DeadLetterErrorDescription, fmt.Sprint(max)) || dl.State != StateDeadLettered {
				t.Fatalf("dead letter = %+v", dl)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(notified) != 1 || notified[0].MessageID != "m1" {
				t.Fatalf("OnDeadLetter calls = %+v", notified)
			}
		})
	}
}

func TestAbandonedMessageKeepsItsPlace(t *testing.T) {
	q := newTestQueue(t, QueueOptions{})
	for _, id := range []string{"a", "b", "c"} {
		mustSend(t, q, Message{MessageID: id})
	}
	first, _ := q.TryReceive()
	if err := q.Abandon(first.LockToken); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		m, ok := q.TryReceive()
		if !ok {
			break
		}
		got = append(got, fmt.Sprintf("%s#%d", m.MessageID, m.DeliveryCount))
		if err := q.Complete(m.LockToken); err != nil {
			t.Fatal(err)
		}
	}
	if want := "a#2 b#1 c#1"; strings.Join(got, " ") != want {
		t.Fatalf("order = %v, want %s", got, want)
	}
}

func TestSettlementErrors(t *testing.T) {
	q := newTestQueue(t, QueueOptions{})
	mustSend(t, q, Message{MessageID: "m"})
	m, _ := q.TryReceive()
	if err := q.Complete(m.LockToken); err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func(string) error{
		"complete":    q.Complete,
		"abandon":     q.Abandon,
		"dead-letter": func(tok string) error { return q.DeadLetter(tok, "r", "d") },
		"renew":       func(tok string) error { _, err := q.RenewLock(tok); return err },
	} {
		for _, tok := range []string{m.LockToken, "unknown"} {
			if err := op(tok); !errors.Is(err, ErrLockLost) {
				t.Errorf("%s(%s) after complete: err = %v, want ErrLockLost", name, tok, err)
			}
		}
	}
}

func TestLockExpiryRedelivers(t *testing.T) {
	const lock = 40 * time.Millisecond
	q := newTestQueue(t, QueueOptions{LockDuration: lock, MaxDeliveryCount: 2})
	mustSend(t, q, Message{MessageID: "m"})
	start := time.Now()
	first := mustReceive(t, q, time.Second)
	if _, ok := q.TryReceive(); ok {
		t.Fatal("a locked message was delivered twice at once")
	}
	second := mustReceive(t, q, time.Second) // blocks until the lock expires
	if waited := time.Since(start); waited < lock {
		t.Fatalf("redelivered after %s, before the %s lock expired", waited, lock)
	}
	if second.DeliveryCount != 2 || second.LockToken == first.LockToken {
		t.Fatalf("second delivery = %+v", second)
	}
	if err := q.Complete(first.LockToken); !errors.Is(err, ErrLockLost) {
		t.Fatalf("complete with the expired lock: %v, want ErrLockLost", err)
	}
	// The last allowed delivery's lock expires too: dead-lettered.
	time.Sleep(lock + 10*time.Millisecond)
	st := q.Stats()
	if st.DeadLetter != 1 || st.Active != 0 || st.Locked != 0 {
		t.Fatalf("stats after last lock expired = %+v", st)
	}
	if dl := q.DeadLetters()[0]; dl.DeadLetterReason != ReasonMaxDeliveryCountExceeded {
		t.Fatalf("reason = %q", dl.DeadLetterReason)
	}
}

func TestRenewLockKeepsTheMessage(t *testing.T) {
	const lock = 40 * time.Millisecond
	q := newTestQueue(t, QueueOptions{LockDuration: lock})
	mustSend(t, q, Message{MessageID: "m"})
	m, _ := q.TryReceive()
	for range 4 {
		time.Sleep(lock / 2)
		if _, err := q.RenewLock(m.LockToken); err != nil {
			t.Fatalf("renew: %v", err)
		}
	}
	if err := q.Complete(m.LockToken); err != nil {
		t.Fatalf("complete after %s of renewals: %v", 2*lock, err)
	}
}

func TestScheduledMessagesHeldUntilDue(t *testing.T) {
	q := newTestQueue(t, QueueOptions{})
	due := time.Now().Add(60 * time.Millisecond)
	later := due.Add(40 * time.Millisecond)
	r := mustSend(t, q, Message{MessageID: "later", ScheduledEnqueueTime: later})
	if !r.Scheduled {
		t.Fatal("not reported as scheduled")
	}
	mustSend(t, q, Message{MessageID: "due", ScheduledEnqueueTime: due})
	mustSend(t, q, Message{MessageID: "past", ScheduledEnqueueTime: time.Now().Add(-time.Hour)})
	if st := q.Stats(); st.Scheduled != 2 || st.Active != 1 {
		t.Fatalf("stats = %+v", st)
	}
	m := mustReceive(t, q, time.Second)
	if m.MessageID != "past" {
		t.Fatalf("first = %s, want the one scheduled in the past", m.MessageID)
	}
	if _, ok := q.TryReceive(); ok {
		t.Fatal("scheduled message visible before due")
	}
	m = mustReceive(t, q, time.Second)
	if now := time.Now(); m.MessageID != "due" || now.Before(due) {
		t.Fatalf("got %s at %s, want 'due' not before %s", m.MessageID, now, due)
	}
	if !m.EnqueuedTime.Equal(due) {
		t.Fatalf("EnqueuedTime = %s, want the scheduled time %s", m.EnqueuedTime, due)
	}
	m = mustReceive(t, q, time.Second)
	if m.MessageID != "later" || time.Now().Before(later) {
		t.Fatalf("got %s early", m.MessageID)
	}
}

func TestDuplicateDetection(t *testing.T) {
	const window = 80 * time.Millisecond
	type send struct {
		id        string
		delay     time.Duration // sleep before this send
		scheduled bool
		wantDup   bool
	}
	cases := []struct {
		name   string
		window time.Duration
		sends  []send
	}{
		{"same id dropped", window, []send{{id: "a"}, {id: "a", wantDup: true}}},
		{"different ids kept", window, []send{{id: "a"}, {id: "b"}}},
		{"scheduled duplicate dropped", window, []send{{id: "r/1", scheduled: true}, {id: "r/1", scheduled: true, wantDup: true}, {id: "r/1", wantDup: true}}},
		{"duplicate of a scheduled one dropped", window, []send{{id: "a"}, {id: "a", scheduled: true, wantDup: true}}},
		{"accepted again after the window", window, []send{{id: "a"}, {id: "a", delay: window + 20*time.Millisecond}}},
		{"disabled", -1, []send{{id: "a"}, {id: "a"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := newTestQueue(t, QueueOptions{DuplicateDetectionWindow: tc.window})
			kept := 0
			for i, s := range tc.sends {
				time.Sleep(s.delay)
				m := Message{MessageID: s.id}
				if s.scheduled {
					m.ScheduledEnqueueTime = time.Now().Add(time.Hour)
				}
				r, err := q.Send(context.Background(), m)
				if err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				if r.Duplicate != s.wantDup {
					t.Fatalf("send %d (%s): Duplicate = %v, want %v", i, s.id, r.Duplicate, s.wantDup)
				}
				if !r.Duplicate {
					kept++
				}
			}
			st := q.Stats()
			if got := st.Active + st.Scheduled; got != kept {
				t.Fatalf("queue holds %d messages, want %d", got, kept)
			}
		})
	}
}

func TestDuplicateOfCompletedMessageDropped(t *testing.T) {
	q := newTestQueue(t, QueueOptions{})
	mustSend(t, q, Message{MessageID: "a"})
	m, _ := q.TryReceive()
	if err := q.Complete(m.LockToken); err != nil {
		t.Fatal(err)
	}
	if r := mustSend(t, q, Message{MessageID: "a"}); !r.Duplicate {
		t.Fatal("resend of a completed message within the window was not dropped")
	}
}

func TestTTLExpiryDeadLetters(t *testing.T) {
	const ttl = 40 * time.Millisecond
	cases := []struct {
		name   string
		opts   QueueOptions
		msg    Message
		locked bool // receive it and abandon after expiry
	}{
		{"message ttl", QueueOptions{}, Message{MessageID: "m", TimeToLive: ttl}, false},
		{"queue default ttl", QueueOptions{DefaultTTL: ttl}, Message{MessageID: "m"}, false},
		{"expires while locked, dead-lettered on abandon", QueueOptions{}, Message{MessageID: "m", TimeToLive: ttl}, true},
		{"no dead-lettering on expiry: removed", QueueOptions{DiscardExpired: true}, Message{MessageID: "m", TimeToLive: ttl}, false},
		{"no dead-lettering on expiry, locked: removed on abandon", QueueOptions{DiscardExpired: true}, Message{MessageID: "m", TimeToLive: ttl}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := newTestQueue(t, tc.opts)
			mustSend(t, q, tc.msg)
			mustSend(t, q, Message{MessageID: "keeper", TimeToLive: time.Hour})
			var tok string
			if tc.locked {
				m, _ := q.TryReceive()
				tok = m.LockToken
				if m.ExpiresAt.IsZero() || m.ExpiresAt.Sub(m.EnqueuedTime) != ttl {
					t.Fatalf("ExpiresAt = %s, EnqueuedTime = %s", m.ExpiresAt, m.EnqueuedTime)
				}
			}
			time.Sleep(ttl + 10*time.Millisecond)
			if tc.locked {
				if err := q.Abandon(tok); err != nil {
					t.Fatal(err)
				}
			}
			st := q.Stats()
			if tc.opts.DiscardExpired {
				if st.DeadLetter != 0 || st.Active != 1 || st.Locked != 0 {
					t.Fatalf("stats = %+v, want only the keeper", st)
				}
			} else {
				if st.DeadLetter != 1 || st.Active != 1 {
					t.Fatalf("stats = %+v, want 1 dead letter and the keeper", st)
				}
				dl, err := q.DeadLetterByID("m")
				if err != nil {
					t.Fatal(err)
				}
				if dl.DeadLetterReason != ReasonTTLExpired {
					t.Fatalf("reason = %q", dl.DeadLetterReason)
				}
			}
			if m, _ := q.TryReceive(); m.MessageID != "keeper" {
				t.Fatalf("received %q, want keeper", m.MessageID)
			}
		})
	}
}

func TestReplayUsesFreshIDAndRemovesFromDLQ(t *testing.T) {
	q := newTestQueue(t, QueueOptions{MaxDeliveryCount: 1})
	orig := Message{MessageID: "ada@fabrikam.com/reminder/1", Body: []byte(`{"x":1}`), ContentType: "application/json",
		Subject: "s", CorrelationID: "c", ApplicationProperties: map[string]any{"origin": "procurement", "n": int64(3)}}
	mustSend(t, q, orig)
	m := mustReceive(t, q, time.Second)
	if err := q.Abandon(m.LockToken); err != nil { // MaxDeliveryCount 1: straight to the DLQ
		t.Fatal(err)
	}
	for i, wantID := range []string{"ada@fabrikam.com/reminder/1/replay/1", "ada@fabrikam.com/reminder/1/replay/2"} {
		dls := q.DeadLetters()
		if len(dls) != 1 {
			t.Fatalf("round %d: %d dead letters", i, len(dls))
		}
		res, err := q.ReplayDeadLetter(context.Background(), dls[0].MessageID)
		if err != nil {
			t.Fatal(err)
		}
		if res.NewMessageID != wantID || res.OldMessageID != dls[0].MessageID || res.SequenceNumber <= dls[0].SequenceNumber {
			t.Fatalf("round %d: replay = %+v, want new id %s", i, res, wantID)
		}
		if st := q.Stats(); st.DeadLetter != 0 || st.Active != 1 {
			t.Fatalf("round %d: stats after replay = %+v", i, st)
		}
		got, _ := q.TryReceive()
		if got.MessageID != wantID || got.DeliveryCount != 1 || string(got.Body) != string(orig.Body) ||
			got.ContentType != orig.ContentType || got.Subject != "s" || got.CorrelationID != "c" ||
			got.ApplicationProperties["origin"] != "procurement" || got.DeadLetterReason != "" {
			t.Fatalf("round %d: replayed message = %+v", i, got)
		}
		// Poisoned again: the next round replays the replay.
		if err := q.Abandon(got.LockToken); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			mustSend(t, q, Message{}) // unrelated traffic must not disturb the numbering
			m, _ := q.TryReceive()
			if m.MessageID == wantID {
				t.Fatal("replayed message redelivered after being dead-lettered")
			}
			if err := q.Complete(m.LockToken); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := q.ReplayDeadLetter(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replay unknown: %v, want ErrNotFound", err)
	}
}

func TestPurgeDeadLetters(t *testing.T) {
	q := newTestQueue(t, QueueOptions{})
	for i := range 3 {
		mustSend(t, q, Message{MessageID: fmt.Sprint(i)})
		m, _ := q.TryReceive()
		if err := q.DeadLetter(m.LockToken, "PolicyViolation", "role not allowed"); err != nil {
			t.Fatal(err)
		}
	}
	mustSend(t, q, Message{MessageID: "live"})
	if dl := q.DeadLetters(); len(dl) != 3 || dl[0].DeadLetterReason != "PolicyViolation" || dl[0].DeadLetterErrorDescription != "role not allowed" {
		t.Fatalf("dead letters = %+v", dl)
	}
	if n, err := q.PurgeDeadLetters(); err != nil || n != 3 {
		t.Fatalf("purged %d (%v), want 3", n, err)
	}
	if st := q.Stats(); st.DeadLetter != 0 || st.Active != 1 {
		t.Fatalf("stats = %+v", st)
	}
	if _, err := q.DeadLetterByID("0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after purge: %v", err)
	}
}

func TestReceiveBlocksAndWakes(t *testing.T) {
	t.Run("wakes on send", func(t *testing.T) {
		q := newTestQueue(t, QueueOptions{})
		got := make(chan ReceivedMessage, 1)
		go func() {
			m, err := q.Receive(context.Background())
			if err == nil {
				got <- m
			}
		}()
		time.Sleep(20 * time.Millisecond)
		sent := time.Now()
		mustSend(t, q, Message{MessageID: "m"})
		select {
		case m := <-got:
			if d := time.Since(sent); d > 50*time.Millisecond {
				t.Fatalf("woke %s after the send", d)
			}
			if m.MessageID != "m" {
				t.Fatal(m.MessageID)
			}
		case <-time.After(time.Second):
			t.Fatal("receiver did not wake")
		}
	})
	t.Run("context cancel", func(t *testing.T) {
		q := newTestQueue(t, QueueOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := q.Receive(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		q := newTestQueue(t, QueueOptions{})
		errc := make(chan error, 1)
		go func() { _, err := q.Receive(context.Background()); errc <- err }()
		time.Sleep(10 * time.Millisecond)
		q.Close()
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Fatalf("err = %v", err)
		}
		if _, err := q.Send(context.Background(), Message{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("send after close: %v", err)
		}
	})
}

func TestConcurrentReceiversDeliverEachMessageOnce(t *testing.T) {
	q := newTestQueue(t, QueueOptions{})
	const n, receivers = 400, 8
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var seen sync.Map
	var done atomic.Int64
	var wg sync.WaitGroup
	for range receivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Load() < n {
				rctx, rcancel := context.WithTimeout(ctx, 50*time.Millisecond)
				m, err := q.Receive(rctx)
				rcancel()
				if err != nil {
					continue
				}
				// Abandon every first delivery to exercise redelivery under contention.
				if m.DeliveryCount == 1 {
					_ = q.Abandon(m.LockToken)
					continue
				}
				if _, dup := seen.LoadOrStore(m.MessageID, true); dup {
					t.Errorf("%s completed twice", m.MessageID)
				}
				if err := q.Complete(m.LockToken); err != nil {
					t.Error(err)
				}
				done.Add(1)
			}
		}()
	}
	var sg sync.WaitGroup
	for s := range 4 {
		sg.Add(1)
		go func() {
			defer sg.Done()
			for i := range n / 4 {
				if _, err := q.Send(ctx, Message{MessageID: fmt.Sprintf("%d-%d", s, i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	sg.Wait()
	wg.Wait()
	if done.Load() != n {
		t.Fatalf("completed %d of %d", done.Load(), n)
	}
	if st := q.Stats(); st != (QueueStats{Name: "q"}) {
		t.Fatalf("stats = %+v, want empty", st)
	}
}

func TestSendValidation(t *testing.T) {
	cases := []struct {
		name  string
		msg   Message
		field string
	}{
		{"id too long", Message{MessageID: strings.Repeat("x", 129)}, "MessageID"},
		{"negative ttl", Message{TimeToLive: -time.Second}, "TimeToLive"},
		{"nested property", Message{ApplicationProperties: map[string]any{"a": map[string]any{}}}, "ApplicationProperties[a]"},
		{"empty property name", Message{ApplicationProperties: map[string]any{"": "x"}}, "ApplicationProperties"},
		{"invalid utf-8 subject", Message{Subject: "\xff"}, "Subject"},
	}
	q := newTestQueue(t, QueueOptions{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := q.Send(context.Background(), tc.msg)
			var inv *InvalidMessageError
			if !errors.As(err, &inv) || inv.Field != tc.field {
				t.Fatalf("err = %v, want InvalidMessageError on %s", err, tc.field)
			}
		})
	}
	if r := mustSend(t, q, Message{}); r.MessageID == "" || r.SequenceNumber != 1 {
		t.Fatalf("generated id / first seq: %+v", r)
	}
}

func TestSentMessageIsCopied(t *testing.T) {
	q := newTestQueue(t, QueueOptions{})
	body := []byte("abc")
	props := map[string]any{"k": "v"}
	mustSend(t, q, Message{MessageID: "m", Body: body, ApplicationProperties: props})
	body[0] = 'X'
	props["k"] = "changed"
	m, _ := q.TryReceive()
	if string(m.Body) != "abc" || m.ApplicationProperties["k"] != "v" {
		t.Fatalf("queue shares the sender's memory: %q %v", m.Body, m.ApplicationProperties)
	}
}
