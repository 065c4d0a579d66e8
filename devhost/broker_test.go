package devhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openBroker(t *testing.T, dir string, opts QueueOptions) *Broker {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	b, err := NewBroker(BrokerOptions{DataDir: dir, Queue: opts, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// crashImage copies the queue file of a running broker, as a kill -9 would
// leave it: only what was committed. Callers make sure no change is in
// flight.
func crashImage(t *testing.T, dir string) string {
	t.Helper()
	img := t.TempDir()
	src, err := os.Open(filepath.Join(dir, queuesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(img, queuesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestBrokerPersistsQueuesAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	const lock = 300 * time.Millisecond
	b := openBroker(t, dir, QueueOptions{LockDuration: lock})
	q, err := b.Queue("onboarding")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	props := map[string]any{"s": "x", "i": int64(-3), "u": uint64(7), "f": 1.5, "b": true, "t": at, "raw": []byte{1, 2}, "nil": nil}
	mustSend(t, q, Message{MessageID: "locked", ApplicationProperties: props})
	mustSend(t, q, Message{MessageID: "active", Body: []byte("hello"), ContentType: "text/plain"})
	mustSend(t, q, Message{MessageID: "dead"})
	mustSend(t, q, Message{MessageID: "sched", ScheduledEnqueueTime: time.Now().Add(time.Hour)})
	locked, _ := q.TryReceive() // "locked" stays locked across the restart
	active, _ := q.TryReceive()
	dead, _ := q.TryReceive()
	if dead.MessageID != "dead" {
		t.Fatalf("third delivery = %s", dead.MessageID)
	}
	if err := q.DeadLetter(dead.LockToken, "PolicyViolation", "privileged role"); err != nil {
		t.Fatal(err)
	}
	if err := q.Abandon(active.LockToken); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Queue("empty"); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, queuesFile)); err != nil {
		t.Fatal(err)
	}

	b = openBroker(t, dir, QueueOptions{LockDuration: lock})
	defer b.Close()
	if got := strings.Join(b.Names(), ","); got != "empty,onboarding" {
		t.Fatalf("restored queues %s", got)
	}
	q, _ = b.Lookup("onboarding")
	if st := q.Stats(); st.Active != 1 || st.Scheduled != 1 || st.DeadLetter != 1 || st.Locked != 1 {
		t.Fatalf("restored stats = %+v, want the lock kept until it expires", st)
	}
	dl, err := q.DeadLetterByID("dead")
	if err != nil || dl.DeadLetterReason != "PolicyViolation" || dl.DeadLetterErrorDescription != "privileged role" || dl.DeliveryCount != 1 {
		t.Fatalf("dead letter = %+v, %v", dl, err)
	}
	if r := mustSend(t, q, Message{MessageID: "active"}); !r.Duplicate {
		t.Fatal("duplicate detection forgot ids across the restart")
	}
	r := mustSend(t, q, Message{MessageID: "new"})
	if r.SequenceNumber <= 4 {
		t.Fatalf("sequence numbers restarted: %d", r.SequenceNumber)
	}
	if err := q.Complete(locked.LockToken); !errors.Is(err, ErrLockLost) {
		t.Fatalf("the old lock token settled after the restart: %v", err)
	}
	got := map[string]ReceivedMessage{}
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		m, err := q.Receive(ctx)
		cancel()
		if err == nil {
			got[m.MessageID] = m
		}
	}
	l, ok := got["locked"]
	if !ok || l.DeliveryCount != locked.DeliveryCount+1 || l.SequenceNumber != locked.SequenceNumber {
		t.Fatalf("locked message after restart = %+v (was delivery %d, seq %d)", l, locked.DeliveryCount, locked.SequenceNumber)
	}
	if since := time.Since(locked.LockedUntil); since < 0 {
		t.Fatalf("redelivered %s before its lock from before the restart expired", -since)
	}
	for k, v := range props {
		gv := l.ApplicationProperties[k]
		switch want := v.(type) {
		case []byte:
			if string(gv.([]byte)) != string(want) {
				t.Errorf("property %s = %v", k, gv)
			}
		case time.Time:
			if !gv.(time.Time).Equal(want) {
				t.Errorf("property %s = %v", k, gv)
			}
		default:
			if gv != v {
				t.Errorf("property %s = %#v, want %#v", k, gv, v)
			}
		}
	}
	if a := got["active"]; string(a.Body) != "hello" || a.ContentType != "text/plain" || a.DeliveryCount != 2 {
		t.Fatalf("active after restart = %+v", a)
	}
}

// TestCrashImageHoldsEveryAcknowledgedChange: what a crash leaves on disk
// right after an operation returned holds that operation, for each kind of
// change.
func TestCrashImageHoldsEveryAcknowledgedChange(t *testing.T) {
	dir := t.TempDir()
	b := openBroker(t, dir, QueueOptions{LockDuration: time.Hour, MaxDeliveryCount: 2})
	defer b.Close()
	q, _ := b.Queue("q")
	reopen := func(t *testing.T) *Queue {
		t.Helper()
		img := openBroker(t, crashImage(t, dir), QueueOptions{LockDuration: time.Hour, MaxDeliveryCount: 2})
		t.Cleanup(func() { img.Close() })
		iq, ok := img.Lookup("q")
		if !ok {
			t.Fatal("queue missing from the crash image")
		}
		return iq
	}
	find := func(ms []ReceivedMessage, id string) (ReceivedMessage, bool) {
		for _, m := range ms {
			if m.MessageID == id {
				return m, true
			}
		}
		return ReceivedMessage{}, false
	}

	mustSend(t, q, Message{MessageID: "sent", Body: []byte("x")})
	mustSend(t, q, Message{MessageID: "scheduled", ScheduledEnqueueTime: time.Now().Add(time.Hour)})
	if m, ok := find(reopen(t).Peek(), "sent"); !ok || string(m.Body) != "x" || m.State != StateActive {
		t.Fatalf("send: %+v %v", m, ok)
	}
	if m, ok := find(reopen(t).Peek(), "scheduled"); !ok || m.State != StateScheduled {
		t.Fatalf("schedule: %+v %v", m, ok)
	}

	m1, _ := q.TryReceive()
	if m, ok := find(reopen(t).Peek(), "sent"); !ok || m.State != StateLocked || m.DeliveryCount != 1 {
		t.Fatalf("receive (delivery count and lock): %+v %v", m, ok)
	}
	if err := q.Abandon(m1.LockToken); err != nil {
		t.Fatal(err)
	}
	if m, ok := find(reopen(t).Peek(), "sent"); !ok || m.State != StateActive || m.DeliveryCount != 1 {
		t.Fatalf("abandon: %+v %v", m, ok)
	}
	m2, _ := q.TryReceive()
	if err := q.Abandon(m2.LockToken); err != nil { // second of two deliveries
		t.Fatal(err)
	}
	if dl, err := reopen(t).DeadLetterByID("sent"); err != nil || dl.DeadLetterReason != ReasonMaxDeliveryCountExceeded {
		t.Fatalf("abandon of the last delivery: %+v %v", dl, err)
	}

	mustSend(t, q, Message{MessageID: "done"})
	m3, _ := q.TryReceive()
	if err := q.Complete(m3.LockToken); err != nil {
		t.Fatal(err)
	}
	iq := reopen(t)
	if _, ok := find(iq.Peek(), "done"); ok {
		t.Fatal("complete: the message is back after the crash")
	}
	if r := mustSend(t, iq, Message{MessageID: "done"}); !r.Duplicate {
		t.Fatal("complete: duplicate detection forgot the id")
	}

	mustSend(t, q, Message{MessageID: "explicit"})
	m4, _ := q.TryReceive()
	if err := q.DeadLetter(m4.LockToken, "Reason", "why"); err != nil {
		t.Fatal(err)
	}
	if dl, err := reopen(t).DeadLetterByID("explicit"); err != nil || dl.DeadLetterReason != "Reason" {
		t.Fatalf("dead-letter: %+v %v", dl, err)
	}

	rep, err := q.ReplayDeadLetter(context.Background(), "explicit")
	if err != nil {
		t.Fatal(err)
	}
	iq = reopen(t)
	if _, err := iq.DeadLetterByID("explicit"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replay: still dead-lettered: %v", err)
	}
	if _, ok := find(iq.Peek(), rep.NewMessageID); !ok {
		t.Fatalf("replay: %s missing", rep.NewMessageID)
	}

	if n, err := q.PurgeDeadLetters(); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	if dls := reopen(t).DeadLetters(); len(dls) != 0 {
		t.Fatalf("purge: %d dead letters after the crash", len(dls))
	}
}

func TestScheduledMessageGetsNewSequenceNumberWhenDue(t *testing.T) {
	dir := t.TempDir()
	b := openBroker(t, dir, QueueOptions{})
	q, _ := b.Queue("q")
	res := mustSend(t, q, Message{MessageID: "later", ScheduledEnqueueTime: time.Now().Add(150 * time.Millisecond)})
	mustSend(t, q, Message{MessageID: "meanwhile"})
	m := mustReceive(t, q, time.Second)
	if m.MessageID != "meanwhile" {
		t.Fatalf("first delivery %s", m.MessageID)
	}
	if err := q.Complete(m.LockToken); err != nil {
		t.Fatal(err)
	}
	due := mustReceive(t, q, 2*time.Second)
	if due.MessageID != "later" || due.SequenceNumber <= m.SequenceNumber || due.SequenceNumber == res.SequenceNumber {
		t.Fatalf("due message seq %d (scheduled as %d, a later send got %d): want a new, higher number",
			due.SequenceNumber, res.SequenceNumber, m.SequenceNumber)
	}
	if err := q.Abandon(due.LockToken); err != nil {
		t.Fatal(err)
	}
	again := mustReceive(t, q, time.Second)
	if again.SequenceNumber != due.SequenceNumber || again.DeliveryCount != 2 {
		t.Fatalf("redelivery seq %d count %d, want seq %d count 2", again.SequenceNumber, again.DeliveryCount, due.SequenceNumber)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openBroker(t, dir, QueueOptions{})
	defer b.Close()
	q, _ = b.Lookup("q")
	if ms := q.Peek(); len(ms) != 1 || ms[0].SequenceNumber != due.SequenceNumber {
		t.Fatalf("after restart: %+v, want seq %d", ms, due.SequenceNumber)
	}
}

func TestDataDirUsedByOneProcessAtATime(t *testing.T) {
	old := dataDirLockTimeout
	dataDirLockTimeout = 50 * time.Millisecond
	defer func() { dataDirLockTimeout = old }()
	dir := t.TempDir()
	b := openBroker(t, dir, QueueOptions{})
	defer b.Close()
	_, err := NewBroker(BrokerOptions{DataDir: dir, Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second broker on the same data dir: err = %v", err)
	}
}

func TestFailedWriteStopsTheBroker(t *testing.T) {
	b := openBroker(t, t.TempDir(), QueueOptions{})
	q, _ := b.Queue("q")
	mustSend(t, q, Message{MessageID: "ok"})
	if err := b.disk.db.Close(); err != nil { // the disk goes away under the broker
		t.Fatal(err)
	}
	_, err := q.Send(context.Background(), Message{MessageID: "lost"})
	if !errors.Is(err, ErrNotDurable) {
		t.Fatalf("send after a failed write: err = %v, want ErrNotDurable", err)
	}
	m, ok := q.TryReceive()
	if ok {
		t.Fatalf("received %s although its delivery could not be saved", m.MessageID)
	}
	if _, err := q.Send(context.Background(), Message{MessageID: "later"}); !errors.Is(err, ErrNotDurable) {
		t.Fatalf("a later send: err = %v, want ErrNotDurable", err)
	}
}

func TestLegacySnapshotImported(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, legacyDir)
	if err := os.MkdirAll(legacy, 0o755); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).UTC()
	snap := queueSnapshot{Name: "onboarding", NextSeq: 8,
		Messages: []entryRecord{
			{MessageID: "a", Body: []byte("x"), Seq: 5, Enqueued: at, DeliveryCount: 2, State: StateActive},
			{MessageID: "d", Seq: 6, Enqueued: at, DeliveryCount: 10, State: StateDeadLettered, DLReason: ReasonMaxDeliveryCountExceeded, DLAt: at},
		},
		Dedupe:  []dedupeSnapshot{{ID: "a", At: at}, {ID: "gone", At: at}},
		Replays: map[string]int{"old": 2}}
	data, _ := json.Marshal(snap)
	for name, content := range map[string][]byte{"onboarding.json": data, ".onboarding.123.tmp": []byte("{half")} {
		if err := os.WriteFile(filepath.Join(legacy, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b := openBroker(t, dir, QueueOptions{})
	q, ok := b.Lookup("onboarding")
	if !ok {
		t.Fatal("legacy queue not imported")
	}
	if st := q.Stats(); st.Active != 1 || st.DeadLetter != 1 {
		t.Fatalf("imported stats %+v", st)
	}
	if r := mustSend(t, q, Message{MessageID: "gone"}); !r.Duplicate {
		t.Fatal("imported duplicate detection forgot an id")
	}
	if r := mustSend(t, q, Message{MessageID: "new"}); r.SequenceNumber < 8 {
		t.Fatalf("new message seq %d reuses an imported number", r.SequenceNumber)
	}
	if _, err := os.Stat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old queues folder left behind: %v", err)
	}
	b.Close()
	b = openBroker(t, dir, QueueOptions{})
	defer b.Close()
	q, _ = b.Lookup("onboarding")
	m, ok := q.TryReceive()
	if !ok || m.MessageID != "a" || m.DeliveryCount != 3 || string(m.Body) != "x" {
		t.Fatalf("after reopening: %+v %v", m, ok)
	}
	rep, err := q.ReplayDeadLetter(context.Background(), "d")
	if err != nil || rep.NewMessageID != "d/replay/1" {
		t.Fatalf("replay = %+v %v", rep, err)
	}
	if got := fmt.Sprint(q.replays["old"]); got != "2" {
		t.Fatalf("replay counts not imported: %s", got)
	}
}

func TestBrokerValidatesQueueNames(t *testing.T) {
	b, err := NewBroker(BrokerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, name := range []string{"", "a/b", "sp ace", string(make([]byte, 261))} {
		if _, err := b.Queue(name); err == nil {
			t.Errorf("queue %q accepted", name)
		}
	}
	q1, _ := b.Queue("onboarding")
	q2, _ := b.Queue("onboarding")
	if q1 != q2 {
		t.Fatal("same name, different queues")
	}
}
