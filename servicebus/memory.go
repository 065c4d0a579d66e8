package servicebus

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// DeliverFunc receives a due message from the MemoryScheduler. A nil error
// completes the message; an error makes the scheduler redeliver it later.
// DeliveryCount(ctx) tells which delivery this is.
type DeliverFunc func(ctx context.Context, m workflow.Message) error

// MemoryOptions tune a MemoryScheduler. Zero values take the defaults,
// which mirror Service Bus where it has an equivalent.
type MemoryOptions struct {
	// Clock decides when messages are due and ages the duplicate window
	// (default: the system clock).
	Clock workflow.Clock
	// DuplicateWindow: a Schedule of a message id accepted less than this
	// long ago is dropped, like Service Bus duplicate detection
	// (default 10 minutes, the Service Bus default).
	DuplicateWindow time.Duration
	// MaxDeliveries: after this many failed deliveries the message is
	// dropped with an error log (default 10, Service Bus MaxDeliveryCount).
	MaxDeliveries int
	// RetryBackoff is the delay before the first redelivery; it doubles
	// for each further one, up to MaxRetryBackoff (defaults 1s and 1m).
	// Unlike Service Bus (immediate redelivery after abandon) we wait, so a
	// failing handler does not spin.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// MaxConcurrent bounds deliveries in flight (default 4). With 1,
	// messages are delivered strictly in due order.
	MaxConcurrent int
	// PollInterval is the longest the scheduler sleeps before looking at
	// the clock again (default 1s); it matters only for clocks that do not
	// follow wall time, such as a test's fake clock.
	PollInterval time.Duration
	// Log receives delivery, redelivery and drop records (default: discard).
	Log *slog.Logger
}

func (o MemoryOptions) withDefaults() MemoryOptions {
	if o.Clock == nil {
		o.Clock = workflow.SystemClock{}
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = 10 * time.Minute
	}
	if o.MaxDeliveries <= 0 {
		o.MaxDeliveries = 10
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = time.Second
	}
	if o.MaxRetryBackoff <= 0 {
		o.MaxRetryBackoff = time.Minute
	}
	if o.MaxRetryBackoff < o.RetryBackoff {
		o.MaxRetryBackoff = o.RetryBackoff
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// ErrStopped is returned by MemoryScheduler.Schedule after Stop (or after
// the context given to Start ended): nothing would deliver the message.
var ErrStopped = errors.New("memory scheduler stopped")

// MemoryStats counts what a MemoryScheduler did, for tests and the dev
// runtime's output.
type MemoryStats struct {
	Pending    int // accepted, not yet delivered (including those awaiting redelivery)
	InFlight   int // being delivered now
	Delivered  int // deliveries that succeeded
	Failed     int // deliveries that returned an error (each attempt)
	Dropped    int // messages given up after MaxDeliveries
	Duplicates int // Schedule calls dropped by duplicate detection
}

// MemoryScheduler is the workflow.Scheduler for SCHEDULER=memory: it keeps
// scheduled messages in the process and, when due, hands them to a
// DeliverFunc (the handler), so `serve` runs the whole flow without Service
// Bus. It keeps the Service Bus behaviours the workflow relies on:
// duplicate detection on the message id within a window, delivery not
// before the scheduled time, redelivery of failed deliveries and giving up
// after a maximum delivery count.
//
// Differences from Service Bus, by design: messages live only in memory
// (lost when the process ends); a failed delivery is redelivered after an
// exponential backoff rather than at once; a message that exhausts
// MaxDeliveries is dropped with an error log (there is no dead-letter queue
// here — the dev runtime's embedded queue has one). Schedule validates the
// message exactly as the Service Bus Scheduler does (Encode), so memory mode
// does not accept what production would refuse.
//
// It is safe for concurrent use; the DeliverFunc may call Schedule.
type MemoryScheduler struct {
	deliver DeliverFunc
	opts    MemoryOptions

	mu       sync.Mutex
	queue    memQueue
	seq      uint64
	seen     map[string]time.Time // message id -> accepted at
	seenFIFO []seenEntry          // acceptance order, for pruning
	stats    MemoryStats
	started  bool
	stopped  bool
	stopLoop chan struct{}
	loopDone chan struct{}
	inflight sync.WaitGroup

	wake chan struct{}
	sem  chan struct{}
}

type seenEntry struct {
	id string
	at time.Time
}

// NewMemoryScheduler returns a scheduler that calls deliver for due
// messages once started.
func NewMemoryScheduler(deliver DeliverFunc, opts MemoryOptions) *MemoryScheduler {
	opts = opts.withDefaults()
	return &MemoryScheduler{
		deliver:  deliver,
		opts:     opts,
		seen:     map[string]time.Time{},
		wake:     make(chan struct{}, 1),
		sem:      make(chan struct{}, opts.MaxConcurrent),
		stopLoop: make(chan struct{}),
		loopDone: make(chan struct{}),
	}
}

var _ workflow.Scheduler = (*MemoryScheduler)(nil)

// Schedule accepts msg for delivery at at (as soon as possible when at is
// not in the future). A message id accepted within the duplicate window is
// silently dropped and nil returned, as Service Bus does. Messages may be
// scheduled before Start; after Stop, Schedule returns ErrStopped.
func (s *MemoryScheduler) Schedule(ctx context.Context, msg workflow.Message, at time.Time) error {
	if err := checkMessageID(msg.ID); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	if _, _, err := Encode(msg); err != nil {
		return fmt.Errorf("schedule %s: %w", workflow.MaskEmails(msg.ID), err)
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return fmt.Errorf("schedule %s: %w", workflow.MaskEmails(msg.ID), ErrStopped)
	}
	now := s.opts.Clock.Now()
	s.pruneSeenLocked(now)
	if acceptedAt, dup := s.seen[msg.ID]; dup {
		s.stats.Duplicates++
		s.mu.Unlock()
		s.opts.Log.DebugContext(ctx, "duplicate message dropped",
			slog.String(logkey.MessageID, workflow.MaskEmails(msg.ID)),
			slog.Time(logkey.FirstAcceptedAt, acceptedAt))
		return nil
	}
	s.seen[msg.ID] = now
	s.seenFIFO = append(s.seenFIFO, seenEntry{id: msg.ID, at: now})
	if at.IsZero() {
		at = now
	}
	s.seq++
	heap.Push(&s.queue, &memItem{msg: msg, due: at, seq: s.seq})
	s.mu.Unlock()
	s.poke()
	s.opts.Log.DebugContext(ctx, "message scheduled in memory",
		slog.String(logkey.MessageID, workflow.MaskEmails(msg.ID)),
		slog.String(logkey.EventType, msg.Event.Type),
		slog.Time(logkey.Due, at))
	return nil
}

// pruneSeenLocked forgets ids accepted a full window ago or earlier.
func (s *MemoryScheduler) pruneSeenLocked(now time.Time) {
	cutoff := now.Add(-s.opts.DuplicateWindow)
	i := 0
	for ; i < len(s.seenFIFO); i++ {
		e := s.seenFIFO[i]
		if e.at.After(cutoff) {
			break
		}
		if s.seen[e.id].Equal(e.at) {
			delete(s.seen, e.id)
		}
	}
	s.seenFIFO = s.seenFIFO[i:]
}

func (s *MemoryScheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Start begins delivering due messages in the background and returns at
// once. Deliveries run with contexts derived from ctx; when ctx ends the
// scheduler stops as if Stop had been called (call Stop anyway to wait for
// in-flight deliveries). Start may be called once.
func (s *MemoryScheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("memory scheduler: Start called twice or after Stop")
	}
	s.started = true
	go s.loop(ctx)
	return nil
}

// Stop stops delivering, then waits until in-flight deliveries return or
// ctx ends (returning ctx's error). Undelivered messages are discarded
// with the scheduler. Stop is idempotent and may be called without Start.
func (s *MemoryScheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	wasStopped, started := s.stopped, s.started
	s.stopped = true
	s.mu.Unlock()
	if !wasStopped {
		close(s.stopLoop)
	}
	if !started {
		return nil
	}
	select {
	case <-s.loopDone:
	case <-ctx.Done():
		return fmt.Errorf("memory scheduler stop: %w", ctx.Err())
	}
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("memory scheduler stop: deliveries still running: %w", ctx.Err())
	}
}

// Stats returns a snapshot of the counters.
func (s *MemoryScheduler) Stats() MemoryStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Pending = s.queue.Len()
	return st
}

// loop hands due messages to deliveries, at most MaxConcurrent at a time,
// in due order (ties in scheduling order).
func (s *MemoryScheduler) loop(ctx context.Context) {
	defer close(s.loopDone)
	defer func() {
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		// Take a delivery slot first, so a message is popped only when it
		// can be delivered at once (and stays countable as pending).
		select {
		case s.sem <- struct{}{}:
		case <-s.stopLoop:
			return
		case <-ctx.Done():
			return
		}
		s.mu.Lock()
		now := s.opts.Clock.Now()
		wait := s.opts.PollInterval
		var item *memItem
		if s.queue.Len() > 0 {
			if next := s.queue[0]; !next.due.After(now) {
				item = heap.Pop(&s.queue).(*memItem)
				s.stats.InFlight++
				s.inflight.Add(1)
			} else if d := next.due.Sub(now); d < wait {
				wait = d
			}
		}
		s.mu.Unlock()
		if item != nil {
			go s.deliverOne(ctx, item)
			continue
		}
		<-s.sem
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-s.wake:
		case <-s.stopLoop:
			return
		case <-ctx.Done():
			return
		}
	}
}

type deliveryCountKey struct{}

// DeliveryCount returns which delivery of the message the context belongs
// to (1 for the first), or 0 when ctx does not come from a MemoryScheduler
// delivery. It lets the handler fill workflow.Delivery.DeliveryCount.
func DeliveryCount(ctx context.Context) int {
	n, _ := ctx.Value(deliveryCountKey{}).(int)
	return n
}

// deliverOne runs one delivery and settles it: done, redeliver later, or
// drop after MaxDeliveries.
func (s *MemoryScheduler) deliverOne(ctx context.Context, item *memItem) {
	defer func() { <-s.sem }()
	defer s.inflight.Done()
	item.deliveries++
	err := s.call(context.WithValue(ctx, deliveryCountKey{}, item.deliveries), item.msg)
	log := s.opts.Log.With(
		slog.String(logkey.MessageID, workflow.MaskEmails(item.msg.ID)),
		slog.String(logkey.EventType, item.msg.Event.Type),
		slog.Int(logkey.DeliveryCount, item.deliveries))

	s.mu.Lock()
	defer s.poke()
	defer s.mu.Unlock()
	s.stats.InFlight--
	if err == nil {
		s.stats.Delivered++
		log.DebugContext(ctx, "message delivered")
		return
	}
	s.stats.Failed++
	if ctx.Err() != nil {
		// Shutting down: the failure is likely ours, not the handler's.
		// Keep the message (it would be redelivered by a restart in the
		// real system); it is discarded with the scheduler.
		item.deliveries--
		heap.Push(&s.queue, item)
		return
	}
	if item.deliveries >= s.opts.MaxDeliveries {
		s.stats.Dropped++
		log.ErrorContext(ctx, "message dropped after max deliveries",
			slog.Int(logkey.MaxDeliveryCount, s.opts.MaxDeliveries),
			slog.Any(logkey.Error, err))
		return
	}
	backoff := s.backoff(item.deliveries)
	item.due = s.opts.Clock.Now().Add(backoff)
	heap.Push(&s.queue, item)
	log.WarnContext(ctx, "delivery failed, redelivering",
		slog.String(logkey.RetryIn, backoff.Round(time.Millisecond).String()),
		slog.Any(logkey.Error, err))
}

// call runs the DeliverFunc, turning a panic into an error so one bad
// message cannot take the process down.
func (s *MemoryScheduler) call(ctx context.Context, m workflow.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("deliver panicked: %v", r)
		}
	}()
	return s.deliver(ctx, m)
}

// backoff is RetryBackoff doubled per failed delivery, capped.
func (s *MemoryScheduler) backoff(failed int) time.Duration {
	d := s.opts.RetryBackoff
	for i := 1; i < failed && d < s.opts.MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, s.opts.MaxRetryBackoff)
}

// memItem is one scheduled message.
type memItem struct {
	msg        workflow.Message
	due        time.Time
	seq        uint64 // scheduling order, breaks ties in due time
	deliveries int
}

// memQueue is a min-heap on (due, seq).
type memQueue []*memItem

func (q memQueue) Len() int { return len(q) }
func (q memQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q memQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *memQueue) Push(x any)   { *q = append(*q, x.(*memItem)) }
func (q *memQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return it
}
