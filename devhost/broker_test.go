package devhost

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBrokerPersistsQueuesAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	open := func() *Broker {
		b, err := NewBroker(BrokerOptions{DataDir: dir, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := open()
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
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "queues", "onboarding.json")); err != nil {
		t.Fatal(err)
	}

	b = open()
	defer b.Close()
	q, ok := b.Lookup("onboarding")
	if !ok {
		t.Fatalf("queue not restored; have %v", b.Names())
	}
	if st := q.Stats(); st.Active != 2 || st.Scheduled != 1 || st.DeadLetter != 1 || st.Locked != 0 {
		t.Fatalf("restored stats = %+v", st)
	}
	dl, err := q.DeadLetterByID("dead")
	if err != nil || dl.DeadLetterReason != "PolicyViolation" || dl.DeadLetterErrorDescription != "privileged role" {
		t.Fatalf("dead letter = %+v, %v", dl, err)
	}
	if r := mustSend(t, q, Message{MessageID: "active"}); !r.Duplicate {
		t.Fatal("duplicate detection forgot ids across the restart")
	}
	r := mustSend(t, q, Message{MessageID: "new"})
	if r.SequenceNumber <= 4 {
		t.Fatalf("sequence numbers restarted: %d", r.SequenceNumber)
	}
	got := map[string]ReceivedMessage{}
	for range 3 {
		m, ok := q.TryReceive()
		if !ok {
			break
		}
		got[m.MessageID] = m
	}
	l, ok := got["locked"]
	if !ok || l.DeliveryCount != locked.DeliveryCount+1 {
		t.Fatalf("locked message after restart = %+v (was delivered %d times)", l, locked.DeliveryCount)
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
	if a := got["active"]; string(a.Body) != "hello" || a.ContentType != "text/plain" || a.DeliveryCount < 2 {
		t.Fatalf("active after restart = %+v", a)
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
