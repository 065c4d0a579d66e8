package servicebus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// fakeNamespace models one queue and its dead-letter sub-queue with the
// behaviour of the azservicebus calls DeadLetters makes: paged peeks that
// do not lock, peek-lock receives that block until a message or the
// context ends, complete removes, abandon unlocks and counts a delivery.
// No Service Bus emulator runs here (it needs Docker); live_test.go runs
// the same operations against a real namespace.
type fakeNamespace struct {
	mu      sync.Mutex
	dlq     []*fakeMsg
	queue   []*azservicebus.Message
	sendErr error
	peekErr error
	compErr error
	opened  int // receivers
	closed  int
}

type fakeMsg struct {
	rm     *azservicebus.ReceivedMessage
	locked bool
}

func (ns *fakeNamespace) addDeadLetter(id string, seq int64, props map[string]any) {
	ct, subj := ContentTypeCloudEventsJSON, "partner-approved"
	enq := time.Date(2026, 3, 1, 10, 0, int(seq), 0, time.UTC)
	reason, desc := "MaxDeliveryCountExceeded", "Message could not be consumed after 10 delivery attempts."
	all := map[string]any{propDeadLetterReason: reason, propDeadLetterDescription: desc}
	for k, v := range props {
		all[k] = v
	}
	ns.dlq = append(ns.dlq, &fakeMsg{rm: &azservicebus.ReceivedMessage{
		MessageID:                  id,
		SequenceNumber:             &seq,
		EnqueuedTime:               &enq,
		DeliveryCount:              10,
		DeadLetterReason:           &reason,
		DeadLetterErrorDescription: &desc,
		ContentType:                &ct,
		Subject:                    &subj,
		Body:                       []byte(`{"specversion":"1.0","id":"` + id + `"}`),
		ApplicationProperties:      all,
	}})
}

func (ns *fakeNamespace) deadLetters(opts *DeadLetterOptions) *DeadLetters {
	return newDeadLetters("onboarding",
		func(mode azservicebus.ReceiveMode) (receiver, error) {
			ns.mu.Lock()
			defer ns.mu.Unlock()
			if mode != azservicebus.ReceiveModePeekLock {
				return nil, fmt.Errorf("unexpected receive mode %v", mode)
			}
			ns.opened++
			return &fakeReceiver{ns: ns}, nil
		},
		func() (sender, error) { return &fakeSender{ns: ns}, nil },
		opts)
}

func (ns *fakeNamespace) ids() []string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	var ids []string
	for _, m := range ns.dlq {
		ids = append(ids, m.rm.MessageID)
	}
	return ids
}

type fakeReceiver struct {
	ns       *fakeNamespace
	lastPeek int64
}

func (r *fakeReceiver) PeekMessages(_ context.Context, n int, _ *azservicebus.PeekMessagesOptions) ([]*azservicebus.ReceivedMessage, error) {
	r.ns.mu.Lock()
	defer r.ns.mu.Unlock()
	if r.ns.peekErr != nil {
		return nil, r.ns.peekErr
	}
	var out []*azservicebus.ReceivedMessage
	for _, m := range r.ns.dlq {
		if *m.rm.SequenceNumber > r.lastPeek && len(out) < n {
			out = append(out, m.rm)
			r.lastPeek = *m.rm.SequenceNumber
		}
	}
	return out, nil
}

func (r *fakeReceiver) ReceiveMessages(ctx context.Context, n int, _ *azservicebus.ReceiveMessagesOptions) ([]*azservicebus.ReceivedMessage, error) {
	r.ns.mu.Lock()
	var out []*azservicebus.ReceivedMessage
	for _, m := range r.ns.dlq {
		if !m.locked && len(out) < n {
			m.locked = true
			out = append(out, m.rm)
		}
	}
	r.ns.mu.Unlock()
	if len(out) > 0 {
		return out, nil
	}
	<-ctx.Done() // like the SDK: block until a message or the context ends
	return nil, ctx.Err()
}

func (r *fakeReceiver) settle(m *azservicebus.ReceivedMessage, remove bool) error {
	r.ns.mu.Lock()
	defer r.ns.mu.Unlock()
	for i, fm := range r.ns.dlq {
		if fm.rm == m {
			if !fm.locked {
				return &azservicebus.Error{Code: azservicebus.CodeLockLost}
			}
			if remove {
				r.ns.dlq = append(r.ns.dlq[:i], r.ns.dlq[i+1:]...)
			} else {
				fm.locked = false
				fm.rm.DeliveryCount++
			}
			return nil
		}
	}
	return &azservicebus.Error{Code: azservicebus.CodeLockLost}
}

func (r *fakeReceiver) CompleteMessage(_ context.Context, m *azservicebus.ReceivedMessage, _ *azservicebus.CompleteMessageOptions) error {
	r.ns.mu.Lock()
	err := r.ns.compErr
	r.ns.mu.Unlock()
	if err != nil {
		return err
	}
	return r.settle(m, true)
}

func (r *fakeReceiver) AbandonMessage(_ context.Context, m *azservicebus.ReceivedMessage, _ *azservicebus.AbandonMessageOptions) error {
	return r.settle(m, false)
}

func (r *fakeReceiver) Close(context.Context) error {
	r.ns.mu.Lock()
	r.ns.closed++
	r.ns.mu.Unlock()
	return nil
}

type fakeSender struct{ ns *fakeNamespace }

func (s *fakeSender) SendMessage(_ context.Context, m *azservicebus.Message, _ *azservicebus.SendMessageOptions) error {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	if s.ns.sendErr != nil {
		return s.ns.sendErr
	}
	s.ns.queue = append(s.ns.queue, m)
	return nil
}

func (s *fakeSender) Close(context.Context) error { return nil }

func populated(n int) *fakeNamespace {
	ns := &fakeNamespace{}
	for i := 1; i <= n; i++ {
		ns.addDeadLetter(fmt.Sprintf("ev-%03d", i), int64(i), map[string]any{"tenant": "fabrikam"})
	}
	return ns
}

var fastDL = &DeadLetterOptions{ReceiveWait: 20 * time.Millisecond, Clock: fixedClock(time.Unix(1772359200, 123456789))}

func TestDeadLettersList(t *testing.T) {
	ns := populated(250) // spans three peek pages
	d := ns.deadLetters(fastDL)
	tests := []struct {
		max, want int
	}{{0, 250}, {-1, 250}, {10, 10}, {100, 100}, {101, 101}, {1000, 250}}
	for _, tt := range tests {
		got, err := d.List(context.Background(), tt.max)
		if err != nil {
			t.Fatalf("List(%d): %v", tt.max, err)
		}
		if len(got) != tt.want {
			t.Errorf("List(%d) returned %d, want %d", tt.max, len(got), tt.want)
		}
		for i, dl := range got {
			if want := fmt.Sprintf("ev-%03d", i+1); dl.MessageID != want {
				t.Fatalf("List(%d)[%d] = %s, want %s (oldest first)", tt.max, i, dl.MessageID, want)
			}
		}
	}
	got, _ := d.List(context.Background(), 1)
	dl := got[0]
	if dl.SequenceNumber != 1 || dl.DeliveryCount != 10 || dl.DeadLetterReason != "MaxDeliveryCountExceeded" ||
		!strings.HasPrefix(dl.DeadLetterErrorDescription, "Message could not be consumed") ||
		dl.ContentType != ContentTypeCloudEventsJSON || dl.Subject != "partner-approved" ||
		dl.EnqueuedTime.IsZero() || !strings.Contains(string(dl.Body), "ev-001") {
		t.Errorf("dead letter = %+v", dl)
	}
	if len(dl.ApplicationProperties) != 1 || dl.ApplicationProperties["tenant"] != "fabrikam" {
		t.Errorf("application properties = %v, want only the sender's", dl.ApplicationProperties)
	}
	if ns.opened != ns.closed {
		t.Errorf("receivers opened %d, closed %d", ns.opened, ns.closed)
	}
	// Peeking locks nothing.
	for _, m := range ns.dlq {
		if m.locked || m.rm.DeliveryCount != 10 {
			t.Fatalf("peek changed %s", m.rm.MessageID)
		}
	}
}

func TestDeadLettersShow(t *testing.T) {
	ns := populated(150)
	d := ns.deadLetters(fastDL)
	dl, err := d.Show(context.Background(), "ev-142")
	if err != nil || dl.MessageID != "ev-142" || dl.SequenceNumber != 142 {
		t.Errorf("Show = %+v, %v", dl, err)
	}
	_, err = d.Show(context.Background(), "nope")
	if !errors.Is(err, ErrDeadLetterNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Show(missing) error = %v", err)
	}
	ns.peekErr = &azservicebus.Error{Code: azservicebus.CodeUnauthorizedAccess}
	_, err = d.Show(context.Background(), "ev-1")
	var e *Error
	if !errors.As(err, &e) || e.Code != "unauthorized" || e.Transient {
		t.Errorf("Show with a peek failure = %v", err)
	}
}

func TestDeadLettersReplay(t *testing.T) {
	ns := populated(120)
	d := ns.deadLetters(fastDL)
	newID, err := d.Replay(context.Background(), "ev-077")
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if want := "ev-077/replay/1772359200123456789"; newID != want {
		t.Errorf("new id = %q, want %q", newID, want)
	}
	if len(ns.queue) != 1 {
		t.Fatalf("%d messages sent to the queue, want 1", len(ns.queue))
	}
	sent := ns.queue[0]
	if *sent.MessageID != newID || string(sent.Body) != `{"specversion":"1.0","id":"ev-077"}` ||
		*sent.ContentType != ContentTypeCloudEventsJSON || *sent.Subject != "partner-approved" {
		t.Errorf("sent %+v", sent)
	}
	if len(sent.ApplicationProperties) != 1 || sent.ApplicationProperties["tenant"] != "fabrikam" {
		t.Errorf("sent properties %v, want the original ones without the dead-letter reason", sent.ApplicationProperties)
	}
	if sent.ScheduledEnqueueTime != nil || sent.TimeToLive != nil {
		t.Errorf("copy carries schedule/ttl")
	}
	// The replayed dead letter is gone; every other one is unlocked again.
	ids := ns.ids()
	if len(ids) != 119 || strings.Contains(strings.Join(ids, ","), "ev-077") {
		t.Errorf("dead letters after replay: %d, contains ev-077: %v", len(ids), strings.Contains(strings.Join(ids, ","), "ev-077"))
	}
	for _, m := range ns.dlq {
		if m.locked {
			t.Errorf("%s left locked", m.rm.MessageID)
		}
	}
	// Only the ones received before the target were touched (abandoned).
	for _, m := range ns.dlq {
		seq := *m.rm.SequenceNumber
		wantCount := uint32(10)
		if seq < 77 || (seq > 77 && seq <= 100) { // received in batches of 50
			wantCount = 11
		}
		if m.rm.DeliveryCount != wantCount {
			t.Errorf("%s delivery count %d, want %d", m.rm.MessageID, m.rm.DeliveryCount, wantCount)
			break
		}
	}
	if ns.opened != ns.closed {
		t.Errorf("receivers opened %d, closed %d", ns.opened, ns.closed)
	}
}

func TestDeadLettersReplayFailures(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		ns := populated(5)
		_, err := ns.deadLetters(fastDL).Replay(context.Background(), "ev-999")
		if !errors.Is(err, ErrDeadLetterNotFound) {
			t.Errorf("error = %v", err)
		}
		if len(ns.queue) != 0 {
			t.Errorf("sent something")
		}
	})
	t.Run("locked by someone else", func(t *testing.T) {
		ns := populated(5)
		ns.dlq[2].locked = true
		_, err := ns.deadLetters(fastDL).Replay(context.Background(), "ev-003")
		if !errors.Is(err, ErrDeadLetterNotFound) || !strings.Contains(err.Error(), "locked by another receiver") {
			t.Errorf("error = %v", err)
		}
		for i, m := range ns.dlq {
			if i != 2 && m.locked {
				t.Errorf("%s left locked", m.rm.MessageID)
			}
		}
	})
	t.Run("beyond the scan limit", func(t *testing.T) {
		ns := populated(30)
		_, err := ns.deadLetters(&DeadLetterOptions{ReceiveWait: 20 * time.Millisecond, ScanLimit: 10}).Replay(context.Background(), "ev-025")
		if !errors.Is(err, ErrDeadLetterNotFound) || !strings.Contains(err.Error(), "among 10 dead letters") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("send fails", func(t *testing.T) {
		ns := populated(5)
		ns.sendErr = &azservicebus.Error{Code: azservicebus.CodeConnectionLost}
		newID, err := ns.deadLetters(fastDL).Replay(context.Background(), "ev-002")
		if newID != "" || !IsTransient(err) {
			t.Errorf("Replay = %q, %v; want a transient error and no id", newID, err)
		}
		if len(ns.ids()) != 5 {
			t.Errorf("dead letter removed although the copy was not sent")
		}
		for _, m := range ns.dlq {
			if m.locked {
				t.Errorf("%s left locked", m.rm.MessageID)
			}
		}
	})
	t.Run("complete fails after send", func(t *testing.T) {
		ns := populated(5)
		ns.compErr = &azservicebus.Error{Code: azservicebus.CodeLockLost}
		newID, err := ns.deadLetters(fastDL).Replay(context.Background(), "ev-002")
		if newID == "" || err == nil || !strings.Contains(err.Error(), "was not removed") {
			t.Errorf("Replay = %q, %v; want the new id and an error saying the dead letter stayed", newID, err)
		}
		if len(ns.queue) != 1 {
			t.Errorf("copy not sent")
		}
	})
}

func TestReplayMessageID(t *testing.T) {
	now := time.Unix(0, 1772359200123456789)
	if got := ReplayMessageID("a@b.io/reminder/1", now); got != "a@b.io/reminder/1/replay/1772359200123456789" {
		t.Errorf("got %q", got)
	}
	long := strings.Repeat("x", 127)
	got := ReplayMessageID(long, now)
	if len(got) != MaxMessageIDLength || !strings.HasSuffix(got, "/replay/1772359200123456789") || !strings.HasPrefix(got, "xxxx") {
		t.Errorf("long id -> %q (%d chars)", got, len(got))
	}
	// Replaying a replay stays valid and distinct.
	again := ReplayMessageID(got, now.Add(time.Second))
	if len(again) > MaxMessageIDLength || again == got {
		t.Errorf("replay of replay = %q", again)
	}
}

func TestDeadLettersPurge(t *testing.T) {
	ns := populated(230)
	n, err := ns.deadLetters(fastDL).Purge(context.Background())
	if err != nil || n != 230 {
		t.Errorf("Purge = %d, %v; want 230", n, err)
	}
	if len(ns.ids()) != 0 {
		t.Errorf("%d dead letters left", len(ns.ids()))
	}
	n, err = ns.deadLetters(fastDL).Purge(context.Background())
	if err != nil || n != 0 {
		t.Errorf("Purge of an empty queue = %d, %v", n, err)
	}

	ns = populated(3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ns.deadLetters(fastDL).Purge(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Purge with a cancelled context = %v", err)
	}
}

func TestDeadLettersSend(t *testing.T) {
	ns := &fakeNamespace{}
	d := ns.deadLetters(fastDL)
	body, ct, err := Encode(reminderMessage())
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]any{"origin": "onboard send"}
	if err := d.Send(context.Background(), body, ct, "PR-2026-0042", props); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(ns.queue) != 1 {
		t.Fatalf("sent %d", len(ns.queue))
	}
	m := ns.queue[0]
	if *m.MessageID != "PR-2026-0042" || *m.ContentType != ct || string(m.Body) != string(body) || m.ApplicationProperties["origin"] != "onboard send" {
		t.Errorf("sent %+v", m)
	}
	if err := d.Send(context.Background(), []byte("x"), "", "", nil); err == nil || !strings.Contains(err.Error(), "message id: must not be empty") {
		t.Errorf("Send without id = %v", err)
	}
	if err := d.Send(context.Background(), []byte("x"), "", "id-2", nil); err != nil || ns.queue[1].ContentType != nil {
		t.Errorf("Send without content type = %v, content type %v", err, ns.queue[1].ContentType)
	}
	ns.sendErr = &azservicebus.Error{Code: azservicebus.CodeNotFound}
	err = d.Send(context.Background(), body, ct, "id-3", nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != "notfound" || IsTransient(err) || !strings.Contains(err.Error(), "onboarding") {
		t.Errorf("Send to a missing queue = %v", err)
	}
}
