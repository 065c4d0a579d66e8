package devhost

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Service Bus defaults used when QueueOptions leaves a field at zero.
const (
	DefaultMaxDeliveryCount         = 10
	DefaultLockDuration             = time.Minute
	DefaultDuplicateDetectionWindow = 10 * time.Minute
)

// QueueOptions configures a Queue. Zero values take the Service Bus
// defaults, so tests only set what they shorten.
type QueueOptions struct {
	// MaxDeliveryCount is how many deliveries a message gets before it is
	// dead-lettered with MaxDeliveryCountExceeded (default 10, minimum 1).
	MaxDeliveryCount int
	// LockDuration is the peek-lock duration (default 1 minute).
	LockDuration time.Duration
	// DuplicateDetectionWindow is how long a MessageID is remembered; a
	// send with a remembered id succeeds but is dropped (default 10
	// minutes; negative disables duplicate detection).
	DuplicateDetectionWindow time.Duration
	// DefaultTTL applies to messages without their own TimeToLive; zero
	// means messages never expire (Service Bus's TimeSpan.MaxValue).
	DefaultTTL time.Duration
	// Now is the clock (default time.Now). Waits use real timers, so a
	// frozen clock suits only tests that do not wait for time to pass.
	Now func() time.Time
	// NewID generates lock tokens and missing message ids (default UUIDv4).
	NewID func() string
	// FirstSequenceNumber is the sequence number of the first message
	// (default 1).
	FirstSequenceNumber int64
	// OnDeadLetter, when set, is called (outside the queue's lock) with
	// each message the queue dead-letters, whatever the reason.
	OnDeadLetter func(ReceivedMessage)
	// Logger receives dead-letter and expiry events (default slog.Default()).
	Logger *slog.Logger
}

func (o QueueOptions) withDefaults() QueueOptions {
	if o.MaxDeliveryCount <= 0 {
		o.MaxDeliveryCount = DefaultMaxDeliveryCount
	}
	if o.LockDuration <= 0 {
		o.LockDuration = DefaultLockDuration
	}
	if o.DuplicateDetectionWindow == 0 {
		o.DuplicateDetectionWindow = DefaultDuplicateDetectionWindow
	}
	if o.DefaultTTL < 0 {
		o.DefaultTTL = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = func() string { return uuid.NewString() }
	}
	if o.FirstSequenceNumber <= 0 {
		o.FirstSequenceNumber = 1
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// entry is one message as the queue holds it.
type entry struct {
	msg           Message
	seq           int64
	enqueued      time.Time
	expiresAt     time.Time // zero: never
	deliveryCount int
	state         MessageState
	lockToken     string
	lockedUntil   time.Time
	dlReason      string
	dlDesc        string
	dlAt          time.Time
	index         int // position in the heap holding it, -1 if none
}

func (e *entry) expired(now time.Time) bool {
	return !e.expiresAt.IsZero() && !now.Before(e.expiresAt)
}

func (e *entry) view(queue string) ReceivedMessage {
	r := ReceivedMessage{
		Message:                    e.msg.clone(),
		SequenceNumber:             e.seq,
		EnqueuedTime:               e.enqueued,
		ExpiresAt:                  e.expiresAt,
		DeliveryCount:              e.deliveryCount,
		State:                      e.state,
		DeadLetterReason:           e.dlReason,
		DeadLetterErrorDescription: e.dlDesc,
		DeadLetteredAt:             e.dlAt,
	}
	if e.state == StateLocked {
		r.LockToken = e.lockToken
		r.LockedUntil = e.lockedUntil
	}
	if e.state == StateDeadLettered {
		r.DeadLetterSource = queue
	}
	return r
}

// Queue is an in-memory queue with Service Bus semantics: peek-lock
// delivery, abandon and lock expiry with DeliveryCount, dead-lettering after
// MaxDeliveryCount, scheduled messages, duplicate detection on MessageID,
// TTL expiry, and a dead-letter sub-queue. It is safe for concurrent use.
type Queue struct {
	name string
	opts QueueOptions

	mu             sync.Mutex
	nextSeq        int64
	active         entryHeap // available for delivery
	scheduled      entryHeap // not yet due
	locked         map[string]*entry
	nextLockExpiry time.Time // earliest lockedUntil among locked; zero if none
	nextTTL        time.Time // earliest expiresAt among active; zero if none
	dlq            []*entry  // in dead-letter order
	dedupe         map[string]time.Time
	dedupeOrder    []dedupeRecord
	replays        map[string]int
	changed        chan struct{} // closed and replaced on every change receivers care about
	closed         bool

	pendingDL []ReceivedMessage // dead-letter notifications to deliver after unlocking
	dirty     bool              // state changed since the last unlock
	onChange  func()            // persistence hook, called outside the lock
}

type dedupeRecord struct {
	id string
	at time.Time
}

// NewQueue returns an empty queue named name.
func NewQueue(name string, opts QueueOptions) *Queue {
	opts = opts.withDefaults()
	return &Queue{
		name:      name,
		opts:      opts,
		nextSeq:   opts.FirstSequenceNumber,
		active:    entryHeap{less: byEnqueued},
		scheduled: entryHeap{less: byScheduled},
		locked:    map[string]*entry{},
		dedupe:    map[string]time.Time{},
		replays:   map[string]int{},
		changed:   make(chan struct{}),
	}
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// Options returns the effective options (defaults applied).
func (q *Queue) Options() QueueOptions { return q.opts }

// unlock releases the lock, then runs the hooks the locked section queued:
// dead-letter notifications and the persistence hook.
func (q *Queue) unlock() {
	pending := q.pendingDL
	q.pendingDL = nil
	dirty := q.dirty
	q.dirty = false
	onChange := q.onChange
	q.mu.Unlock()
	for _, m := range pending {
		q.opts.Logger.Warn("message dead-lettered", "queue", q.name, "messageId", m.MessageID,
			"sequenceNumber", m.SequenceNumber, "deliveryCount", m.DeliveryCount,
			"reason", m.DeadLetterReason, "description", m.DeadLetterErrorDescription)
		if q.opts.OnDeadLetter != nil {
			q.opts.OnDeadLetter(m)
		}
	}
	if dirty && onChange != nil {
		onChange()
	}
}

// broadcast wakes every waiting receiver; caller holds the lock.
func (q *Queue) broadcast() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// SendResult reports what Send did.
type SendResult struct {
	MessageID      string
	SequenceNumber int64 // zero when Duplicate
	// Duplicate is true when the MessageID was seen within the duplicate
	// detection window: the send succeeded but the message was dropped.
	Duplicate bool
	// Scheduled is true when the message waits for its ScheduledEnqueueTime.
	Scheduled bool
}

// Send enqueues msg (scheduled if its ScheduledEnqueueTime is in the
// future). A MessageID seen within the duplicate detection window is
// accepted and dropped, as Service Bus does.
func (q *Queue) Send(ctx context.Context, msg Message) (SendResult, error) {
	if err := ctx.Err(); err != nil {
		return SendResult{}, err
	}
	if err := msg.validate(); err != nil {
		return SendResult{}, err
	}
	msg = msg.clone()
	q.mu.Lock()
	defer q.unlock()
	if q.closed {
		return SendResult{}, fmt.Errorf("send to %s: %w", q.name, ErrClosed)
	}
	if msg.MessageID == "" {
		msg.MessageID = q.opts.NewID()
	}
	now := q.opts.Now()
	if q.isDuplicate(msg.MessageID, now) {
		return SendResult{MessageID: msg.MessageID, Duplicate: true}, nil
	}
	e := q.enqueue(msg, now)
	return SendResult{MessageID: msg.MessageID, SequenceNumber: e.seq, Scheduled: e.state == StateScheduled}, nil
}

// isDuplicate checks and records id for duplicate detection; caller holds the lock.
func (q *Queue) isDuplicate(id string, now time.Time) bool {
	w := q.opts.DuplicateDetectionWindow
	if w < 0 {
		return false
	}
	cut := now.Add(-w)
	i := 0
	for ; i < len(q.dedupeOrder) && !q.dedupeOrder[i].at.After(cut); i++ {
		if at, ok := q.dedupe[q.dedupeOrder[i].id]; ok && at.Equal(q.dedupeOrder[i].at) {
			delete(q.dedupe, q.dedupeOrder[i].id)
		}
	}
	if i > 0 {
		q.dedupeOrder = append(q.dedupeOrder[:0:0], q.dedupeOrder[i:]...)
	}
	if at, ok := q.dedupe[id]; ok && at.After(cut) {
		return true
	}
	q.dedupe[id] = now
	q.dedupeOrder = append(q.dedupeOrder, dedupeRecord{id: id, at: now})
	q.dirty = true
	return false
}

// enqueue stores msg as a new message; caller holds the lock.
func (q *Queue) enqueue(msg Message, now time.Time) *entry {
	if msg.TimeToLive == 0 {
		msg.TimeToLive = q.opts.DefaultTTL
	}
	e := &entry{msg: msg, seq: q.nextSeq, index: -1}
	q.nextSeq++
	q.dirty = true
	if msg.ScheduledEnqueueTime.After(now) {
		e.state = StateScheduled
		e.enqueued = msg.ScheduledEnqueueTime
		q.scheduled.push(e)
		q.broadcast() // waiting receivers re-arm their timers for the new due time
		return e
	}
	e.enqueued = now
	q.activate(e)
	return e
}

// activate makes e available for delivery; caller holds the lock.
func (q *Queue) activate(e *entry) {
	e.state = StateActive
	e.lockToken = ""
	e.lockedUntil = time.Time{}
	if e.msg.TimeToLive > 0 && e.expiresAt.IsZero() {
		e.expiresAt = e.enqueued.Add(e.msg.TimeToLive)
	}
	if !e.expiresAt.IsZero() && (q.nextTTL.IsZero() || e.expiresAt.Before(q.nextTTL)) {
		q.nextTTL = e.expiresAt
	}
	q.active.push(e)
	q.dirty = true
	q.broadcast()
}

// deadLetter moves e to the dead-letter sub-queue; caller holds the lock
// and has already taken e out of the heap or lock table holding it.
func (q *Queue) deadLetter(e *entry, reason, desc string, now time.Time) {
	e.state = StateDeadLettered
	e.lockToken = ""
	e.lockedUntil = time.Time{}
	e.dlReason, e.dlDesc, e.dlAt = reason, desc, now
	q.dlq = append(q.dlq, e)
	q.dirty = true
	q.pendingDL = append(q.pendingDL, e.view(q.name))
}

// tick applies everything time makes happen: scheduled messages coming due,
// locks expiring, messages expiring. Caller holds the lock.
func (q *Queue) tick(now time.Time) {
	for e := q.scheduled.peek(); e != nil && !e.msg.ScheduledEnqueueTime.After(now); e = q.scheduled.peek() {
		q.scheduled.pop()
		q.activate(e)
	}
	if !q.nextLockExpiry.IsZero() && !now.Before(q.nextLockExpiry) {
		q.nextLockExpiry = time.Time{}
		for tok, e := range q.locked {
			if !now.Before(e.lockedUntil) {
				delete(q.locked, tok)
				q.release(e, now)
				continue
			}
			if q.nextLockExpiry.IsZero() || e.lockedUntil.Before(q.nextLockExpiry) {
				q.nextLockExpiry = e.lockedUntil
			}
		}
	}
	if !q.nextTTL.IsZero() && !now.Before(q.nextTTL) {
		q.nextTTL = time.Time{}
		var expired []*entry
		for _, e := range q.active.items {
			if e.expired(now) {
				expired = append(expired, e)
			} else if !e.expiresAt.IsZero() && (q.nextTTL.IsZero() || e.expiresAt.Before(q.nextTTL)) {
				q.nextTTL = e.expiresAt
			}
		}
		for _, e := range expired {
			q.active.remove(e)
			q.deadLetter(e, ReasonTTLExpired, "The message expired and was dead lettered.", now)
		}
	}
}

// release ends a delivery that was not completed (abandon or lock expiry):
// the message goes back to the queue, or to the dead-letter sub-queue when
// its deliveries are used up or it expired meanwhile. Caller holds the lock
// and has removed e from the lock table.
func (q *Queue) release(e *entry, now time.Time) {
	switch {
	case e.deliveryCount >= q.opts.MaxDeliveryCount:
		q.deadLetter(e, ReasonMaxDeliveryCountExceeded,
			fmt.Sprintf("Message could not be consumed after %d delivery attempts.", q.opts.MaxDeliveryCount), now)
	case e.expired(now):
		q.deadLetter(e, ReasonTTLExpired, "The message expired and was dead lettered.", now)
	default:
		q.activate(e)
	}
}

// receiveLocked takes the next available message under a new lock, or
// reports false. Caller holds the lock and has ticked.
func (q *Queue) receiveLocked(now time.Time) (ReceivedMessage, bool) {
	for q.active.Len() > 0 {
		e := q.active.pop()
		if e.expired(now) {
			q.deadLetter(e, ReasonTTLExpired, "The message expired and was dead lettered.", now)
			continue
		}
		e.state = StateLocked
		e.deliveryCount++
		e.lockToken = q.opts.NewID()
		e.lockedUntil = now.Add(q.opts.LockDuration)
		q.locked[e.lockToken] = e
		if q.nextLockExpiry.IsZero() || e.lockedUntil.Before(q.nextLockExpiry) {
			q.nextLockExpiry = e.lockedUntil
		}
		q.dirty = true
		return e.view(q.name), true
	}
	return ReceivedMessage{}, false
}

// nextWake is the earliest time something becomes available without a
// send: a scheduled message due or a lock expiring. Zero if nothing is pending.
func (q *Queue) nextWake() time.Time {
	var t time.Time
	if e := q.scheduled.peek(); e != nil {
		t = e.msg.ScheduledEnqueueTime
	}
	if !q.nextLockExpiry.IsZero() && (t.IsZero() || q.nextLockExpiry.Before(t)) {
		t = q.nextLockExpiry
	}
	return t
}

// TryReceive takes the next available message under a peek-lock without
// waiting; ok is false when none is available.
func (q *Queue) TryReceive() (msg ReceivedMessage, ok bool) {
	q.mu.Lock()
	defer q.unlock()
	if q.closed {
		return ReceivedMessage{}, false
	}
	now := q.opts.Now()
	q.tick(now)
	return q.receiveLocked(now)
}

// Receive waits until a message is available (sent, scheduled and due, or
// released by abandon or lock expiry) and takes it under a peek-lock. It
// sleeps between changes rather than polling, and returns ctx.Err() when
// ctx ends or ErrClosed when the queue is closed.
func (q *Queue) Receive(ctx context.Context) (ReceivedMessage, error) {
	for {
		q.mu.Lock()
		if q.closed {
			q.unlock()
			return ReceivedMessage{}, fmt.Errorf("receive from %s: %w", q.name, ErrClosed)
		}
		now := q.opts.Now()
		q.tick(now)
		if m, ok := q.receiveLocked(now); ok {
			q.unlock()
			return m, nil
		}
		wake := q.nextWake()
		changed := q.changed
		q.unlock()

		var timer *time.Timer
		var fire <-chan time.Time
		if !wake.IsZero() {
			d := wake.Sub(now)
			if d < time.Millisecond {
				d = time.Millisecond // the clock may be frozen in tests; never spin
			}
			timer = time.NewTimer(d)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return ReceivedMessage{}, ctx.Err()
		case <-changed:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// settle looks up a live lock; caller holds the lock and has ticked, so an
// expired lock is already gone.
func (q *Queue) settle(op, lockToken string) (*entry, error) {
	e, ok := q.locked[lockToken]
	if !ok {
		return nil, fmt.Errorf("%s on %s: lock token %q: %w", op, q.name, lockToken, ErrLockLost)
	}
	delete(q.locked, lockToken)
	q.dirty = true
	return e, nil
}

// Complete removes the message delivered under lockToken. It fails with
// ErrLockLost if the lock expired or the token is unknown.
func (q *Queue) Complete(lockToken string) error {
	q.mu.Lock()
	defer q.unlock()
	q.tick(q.opts.Now())
	_, err := q.settle("complete", lockToken)
	return err
}

// Abandon releases the lock so the message is delivered again (with
// DeliveryCount+1), or dead-lettered with MaxDeliveryCountExceeded when this
// was its last allowed delivery.
func (q *Queue) Abandon(lockToken string) error {
	q.mu.Lock()
	defer q.unlock()
	now := q.opts.Now()
	q.tick(now)
	e, err := q.settle("abandon", lockToken)
	if err != nil {
		return err
	}
	q.release(e, now)
	return nil
}

// DeadLetter moves the message delivered under lockToken to the dead-letter
// sub-queue with the given reason and description (an explicit dead-letter,
// which custom handlers cannot request but other receivers can).
func (q *Queue) DeadLetter(lockToken, reason, description string) error {
	q.mu.Lock()
	defer q.unlock()
	now := q.opts.Now()
	q.tick(now)
	e, err := q.settle("dead-letter", lockToken)
	if err != nil {
		return err
	}
	q.deadLetter(e, reason, description, now)
	return nil
}

// RenewLock extends the lock of a delivery by LockDuration from now and
// returns the new expiry, as the Functions host's auto-renewal does.
func (q *Queue) RenewLock(lockToken string) (time.Time, error) {
	q.mu.Lock()
	defer q.unlock()
	now := q.opts.Now()
	q.tick(now)
	e, ok := q.locked[lockToken]
	if !ok {
		return time.Time{}, fmt.Errorf("renew lock on %s: lock token %q: %w", q.name, lockToken, ErrLockLost)
	}
	e.lockedUntil = now.Add(q.opts.LockDuration)
	q.nextLockExpiry = time.Time{}
	for _, l := range q.locked {
		if q.nextLockExpiry.IsZero() || l.lockedUntil.Before(q.nextLockExpiry) {
			q.nextLockExpiry = l.lockedUntil
		}
	}
	return e.lockedUntil, nil
}

// QueueStats counts a queue's messages by state.
type QueueStats struct {
	Name string `json:"name"`
	// Active counts messages available for delivery now (Service Bus's
	// ActiveMessageCount also includes Locked).
	Active     int `json:"active"`
	Locked     int `json:"locked"`
	Scheduled  int `json:"scheduled"`
	DeadLetter int `json:"deadLetter"`
}

// Stats counts the messages by state, after applying due schedules, lock
// expiries and TTL expiries.
func (q *Queue) Stats() QueueStats {
	q.mu.Lock()
	defer q.unlock()
	q.tick(q.opts.Now())
	return QueueStats{Name: q.name, Active: q.active.Len(), Locked: len(q.locked),
		Scheduled: q.scheduled.Len(), DeadLetter: len(q.dlq)}
}

// Peek returns every message of the main queue (active, locked and
// scheduled) in sequence-number order, without locking any.
func (q *Queue) Peek() []ReceivedMessage {
	q.mu.Lock()
	defer q.unlock()
	q.tick(q.opts.Now())
	all := make([]*entry, 0, q.active.Len()+len(q.locked)+q.scheduled.Len())
	all = append(all, q.active.items...)
	all = append(all, q.scheduled.items...)
	for _, e := range q.locked {
		all = append(all, e)
	}
	sortEntriesBySeq(all)
	out := make([]ReceivedMessage, len(all))
	for i, e := range all {
		out[i] = e.view(q.name)
	}
	return out
}

// Close wakes and fails waiting receivers; later sends and receives fail
// with ErrClosed. Messages stay readable through Stats, Peek and the
// dead-letter operations.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.unlock()
	if !q.closed {
		q.closed = true
		q.broadcast()
	}
}
