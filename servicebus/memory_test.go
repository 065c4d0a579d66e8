package servicebus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recorder is a DeliverFunc that records deliveries and answers with a
// programmable function.
type recorder struct {
	mu     sync.Mutex
	got    []delivered
	answer func(m workflow.Message, n int) error
	notify chan struct{}
}

type delivered struct {
	id    string
	count int
	at    time.Time
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 100)} }

func (r *recorder) deliver(clock workflow.Clock) DeliverFunc {
	return func(ctx context.Context, m workflow.Message) error {
		n := DeliveryCount(ctx)
		r.mu.Lock()
		r.got = append(r.got, delivered{id: m.ID, count: n, at: clock.Now()})
		answer := r.answer
		r.mu.Unlock()
		select {
		case r.notify <- struct{}{}:
		default:
		}
		if answer != nil {
			return answer(m, n)
		}
		return nil
	}
}

func (r *recorder) deliveries() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivered(nil), r.got...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func msgWithID(id string) workflow.Message {
	m := reminderMessage()
	m.ID = id
	m.Event.ID = id
	return m
}

func startMemory(t *testing.T, deliver DeliverFunc, opts MemoryOptions) *MemoryScheduler {
	t.Helper()
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Millisecond
	}
	s := NewMemoryScheduler(deliver, opts)
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func TestMemorySchedulerDeliversWhenDue(t *testing.T) {
	clock := newFakeClock()
	rec := newRecorder()
	s := startMemory(t, rec.deliver(clock), MemoryOptions{Clock: clock})
	start := clock.Now()

	ctx := context.Background()
	if err := s.Schedule(ctx, msgWithID("later"), start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Schedule(ctx, msgWithID("past"), start.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the past-due message", func() bool { return len(rec.deliveries()) == 1 })
	time.Sleep(30 * time.Millisecond) // many poll intervals: "later" must stay put
	if got := rec.deliveries(); len(got) != 1 || got[0].id != "past" {
		t.Fatalf("deliveries before due = %+v", got)
	}
	if st := s.Stats(); st.Pending != 1 {
		t.Errorf("pending = %d, want 1", st.Pending)
	}

	clock.Advance(59 * time.Minute)
	time.Sleep(30 * time.Millisecond)
	if n := len(rec.deliveries()); n != 1 {
		t.Fatalf("delivered a minute early: %d deliveries", n)
	}
	clock.Advance(time.Minute)
	waitFor(t, "the due message", func() bool { return len(rec.deliveries()) == 2 })
	got := rec.deliveries()[1]
	if got.id != "later" || got.count != 1 || got.at.Before(start.Add(time.Hour)) {
		t.Errorf("delivery = %+v", got)
	}
	st := s.Stats()
	if st.Pending != 0 || st.Delivered != 2 || st.InFlight != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// A real-clock run with short durations: delivery is not early.
func TestMemorySchedulerRealClock(t *testing.T) {
	rec := newRecorder()
	s := startMemory(t, rec.deliver(workflow.SystemClock{}), MemoryOptions{PollInterval: time.Second})
	at := time.Now().Add(40 * time.Millisecond)
	if err := s.Schedule(context.Background(), msgWithID("soon"), at); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return len(rec.deliveries()) == 1 })
	if got := rec.deliveries()[0].at; got.Before(at) {
		t.Errorf("delivered at %v, before due %v", got, at)
	}
}

func TestMemorySchedulerOrdersByDueTime(t *testing.T) {
	clock := newFakeClock()
	rec := newRecorder()
	s := NewMemoryScheduler(rec.deliver(clock), MemoryOptions{Clock: clock, MaxConcurrent: 1, PollInterval: time.Millisecond})
	now := clock.Now()
	// Scheduled before Start, out of order; c1 and c2 tie and keep
	// scheduling order.
	plan := []struct {
		id string
		at time.Duration
	}{{"e", 5 * time.Minute}, {"a", time.Minute}, {"c1", 3 * time.Minute}, {"b", 2 * time.Minute}, {"c2", 3 * time.Minute}, {"d", 4 * time.Minute}}
	for _, p := range plan {
		if err := s.Schedule(context.Background(), msgWithID(p.id), now.Add(p.at)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	waitFor(t, "all deliveries", func() bool { return len(rec.deliveries()) == len(plan) })
	var order []string
	for _, d := range rec.deliveries() {
		order = append(order, d.id)
	}
	if got := strings.Join(order, ","); got != "a,b,c1,c2,d,e" {
		t.Errorf("order = %s", got)
	}
}

func TestMemorySchedulerDuplicateDetection(t *testing.T) {
	clock := newFakeClock()
	rec := newRecorder()
	s := NewMemoryScheduler(rec.deliver(clock), MemoryOptions{Clock: clock, DuplicateWindow: 10 * time.Minute, PollInterval: time.Millisecond})
	ctx := context.Background()
	now := clock.Now()
	for i := range 3 { // three attempts to schedule reminder 1, e.g. three redeliveries of one event
		if err := s.Schedule(ctx, msgWithID("k/reminder/1"), now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Pending != 1 || st.Duplicates != 2 {
		t.Fatalf("stats = %+v, want 1 pending and 2 duplicates", st)
	}
	// Still inside the window (measured from acceptance): dropped.
	clock.Advance(9*time.Minute + 59*time.Second)
	if err := s.Schedule(ctx, msgWithID("k/reminder/1"), clock.Now()); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pending != 1 || st.Duplicates != 3 {
		t.Fatalf("stats = %+v", st)
	}
	// A full window later the id is accepted again, like Service Bus.
	clock.Advance(time.Second)
	if err := s.Schedule(ctx, msgWithID("k/reminder/1"), clock.Now()); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pending != 2 || st.Duplicates != 3 {
		t.Fatalf("stats after window = %+v", st)
	}
	// Another id is never a duplicate.
	if err := s.Schedule(ctx, msgWithID("k/reminder/2"), clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	waitFor(t, "deliveries", func() bool { return len(rec.deliveries()) == 3 })
	time.Sleep(20 * time.Millisecond)
	if n := len(rec.deliveries()); n != 3 {
		t.Errorf("%d deliveries, want 3", n)
	}
}

func TestMemorySchedulerRedeliversWithBackoff(t *testing.T) {
	clock := newFakeClock()
	rec := newRecorder()
	rec.answer = func(m workflow.Message, n int) error {
		if n < 3 {
			return fmt.Errorf("graph throttled (delivery %d)", n)
		}
		return nil
	}
	s := startMemory(t, rec.deliver(clock), MemoryOptions{Clock: clock, RetryBackoff: time.Minute, MaxRetryBackoff: 90 * time.Second})
	if err := s.Schedule(context.Background(), msgWithID("flaky"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first delivery", func() bool { return len(rec.deliveries()) == 1 })
	waitFor(t, "requeue", func() bool { return s.Stats().Pending == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := len(rec.deliveries()); n != 1 {
		t.Fatalf("redelivered before the backoff: %d", n)
	}
	clock.Advance(time.Minute) // first backoff: RetryBackoff
	waitFor(t, "second delivery", func() bool { return len(rec.deliveries()) == 2 })
	waitFor(t, "requeue", func() bool { return s.Stats().Pending == 1 })
	clock.Advance(time.Minute) // second backoff doubles to 2m, capped at 90s
	time.Sleep(20 * time.Millisecond)
	if n := len(rec.deliveries()); n != 2 {
		t.Fatalf("redelivered before the doubled backoff: %d", n)
	}
	clock.Advance(30 * time.Second)
	waitFor(t, "third delivery", func() bool { return len(rec.deliveries()) == 3 })
	waitFor(t, "settled", func() bool { return s.Stats().Delivered == 1 })

	var counts []int
	for _, d := range rec.deliveries() {
		counts = append(counts, d.count)
	}
	if fmt.Sprint(counts) != "[1 2 3]" {
		t.Errorf("DeliveryCount per delivery = %v", counts)
	}
	if st := s.Stats(); st.Failed != 2 || st.Delivered != 1 || st.Dropped != 0 || st.Pending != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent slog writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestMemorySchedulerDropsAfterMaxDeliveries(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := newRecorder()
	var calls atomic.Int32
	rec.answer = func(workflow.Message, int) error {
		if calls.Add(1) == 2 {
			panic("handler bug")
		}
		return errors.New("policy: roles[0]: privileged")
	}
	s := startMemory(t, rec.deliver(workflow.SystemClock{}), MemoryOptions{MaxDeliveries: 3, RetryBackoff: time.Millisecond, Log: log})
	if err := s.Schedule(context.Background(), msgWithID("ada.lovelace@fabrikam.com/poison"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "drop", func() bool { return s.Stats().Dropped == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := len(rec.deliveries()); n != 3 {
		t.Errorf("%d deliveries, want exactly MaxDeliveries=3", n)
	}
	if st := s.Stats(); st.Failed != 3 || st.Pending != 0 {
		t.Errorf("stats = %+v", st)
	}
	out := logs.String()
	for _, want := range []string{
		`level=ERROR msg="message dropped after max deliveries"`,
		`messageId=a***@fabrikam.com/poison`,
		`deliveryCount=3`,
		`policy: roles[0]: privileged`,
		`deliver panicked: handler bug`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "lovelace") {
		t.Errorf("log shows an unmasked e-mail address")
	}
}

func TestMemorySchedulerBoundsConcurrency(t *testing.T) {
	var cur, peak atomic.Int32
	release := make(chan struct{})
	deliver := func(ctx context.Context, m workflow.Message) error {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		cur.Add(-1)
		return nil
	}
	s := startMemory(t, deliver, MemoryOptions{MaxConcurrent: 3})
	for i := range 10 {
		if err := s.Schedule(context.Background(), msgWithID(fmt.Sprintf("m%d", i)), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three in flight", func() bool { return s.Stats().InFlight == 3 })
	time.Sleep(20 * time.Millisecond)
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
	if st := s.Stats(); st.Pending != 7 {
		t.Errorf("pending = %d, want 7", st.Pending)
	}
	close(release)
	waitFor(t, "all delivered", func() bool { return s.Stats().Delivered == 10 })
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
}

// The handler schedules the next reminder from inside a delivery, as the
// workflow does: no deadlock, and the chain runs to its end.
func TestMemorySchedulerReentrantSchedule(t *testing.T) {
	var s *MemoryScheduler
	var mu sync.Mutex
	var seen []string
	deliver := func(ctx context.Context, m workflow.Message) error {
		mu.Lock()
		seen = append(seen, m.ID)
		n := len(seen)
		mu.Unlock()
		if n < 5 {
			return s.Schedule(ctx, msgWithID(fmt.Sprintf("k/reminder/%d", n+1)), time.Now().Add(time.Millisecond))
		}
		return nil
	}
	s = startMemory(t, deliver, MemoryOptions{MaxConcurrent: 1})
	if err := s.Schedule(context.Background(), msgWithID("k/reminder/1"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the chain", func() bool { return s.Stats().Delivered == 5 })
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seen, " "); got != "k/reminder/1 k/reminder/2 k/reminder/3 k/reminder/4 k/reminder/5" {
		t.Errorf("deliveries = %s", got)
	}
}

func TestMemorySchedulerStop(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var deliveries atomic.Int32
	deliver := func(ctx context.Context, m workflow.Message) error {
		deliveries.Add(1)
		if m.ID == "slow" {
			close(started)
			<-release
		}
		return nil
	}
	s := NewMemoryScheduler(deliver, MemoryOptions{PollInterval: time.Millisecond})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	if err := s.Schedule(ctx, msgWithID("slow"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Schedule(ctx, msgWithID("later"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	<-started

	// Stop waits for the in-flight delivery; a short deadline reports it.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := s.Stop(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a delivery running = %v, want deadline exceeded", err)
	}
	if err := s.Schedule(ctx, msgWithID("after-stop"), time.Time{}); !errors.Is(err, ErrStopped) {
		t.Errorf("Schedule after Stop = %v, want ErrStopped", err)
	}
	close(release)
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if n := deliveries.Load(); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

func TestMemorySchedulerStopsWithStartContext(t *testing.T) {
	s := NewMemoryScheduler(func(context.Context, workflow.Message) error { return nil }, MemoryOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	waitFor(t, "ErrStopped", func() bool {
		return errors.Is(s.Schedule(context.Background(), msgWithID("x"), time.Time{}), ErrStopped)
	})
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("Stop: %v", err)
	}
	// Stop without Start is fine too.
	if err := NewMemoryScheduler(nil, MemoryOptions{}).Stop(context.Background()); err != nil {
		t.Errorf("Stop without Start: %v", err)
	}
}

func TestMemorySchedulerValidates(t *testing.T) {
	s := NewMemoryScheduler(func(context.Context, workflow.Message) error { return nil }, MemoryOptions{})
	bad := msgWithID("x")
	bad.Event.Type = ""
	tests := []struct {
		name string
		msg  workflow.Message
		want string
	}{
		{"no id", msgWithID(""), "message id: must not be empty"},
		{"invalid event", bad, "type"},
	}
	for _, tt := range tests {
		if err := s.Schedule(context.Background(), tt.msg, time.Time{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want mention of %q", tt.name, err, tt.want)
		}
	}
	if st := s.Stats(); st.Pending != 0 {
		t.Errorf("invalid messages were queued: %+v", st)
	}
}
