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
	// DiscardExpired removes expired messages instead of dead-lettering
	// them (the queue property deadLetteringOnMessageExpiration: false).
	DiscardExpired bool
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
	// key identifies the message in the data directory: the sequence
	// number it was first given, which never changes (seq does, when a
	// scheduled message becomes active).
	key           int64
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

	// Persistence (nil disk: in memory only). Every change queues its
	// writes in pending; unlock hands them to the disk writer, in order,
	// and waits until they are on disk.
	disk        *persister
	pending     []diskOp
	seqReserved int64 // sequence numbers below this one are reserved on disk
}

type dedupeRecord struct {
	id  string
	at  time.Time
	key int64 // the entry key its disk record is stored under
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

// unlock hands the changes the locked section made to the disk writer
// (before releasing the lock, so that writes reach the disk in the order
// they were made), releases the lock, waits until the changes are on disk,
// then delivers the dead-letter notifications. It returns the error of the
// write, if any.
func (q *Queue) unlock() error {
	notify := q.pendingDL
	q.pendingDL = nil
	var batch *commitBatch
	if len(q.pending) > 0 {
		batch = q.disk.submit(q.pending)
		q.pending = nil
	}
	q.mu.Unlock()
	var err error
	if batch != nil {
		if err = batch.wait(); err != nil {
			err = fmt.Errorf("queue %s: %w", q.name, err)
		}
	}
	for _, m := range notify {
		q.opts.Logger.Warn("message dead-lettered", "queue", q.name, "messageId", m.MessageID,
			"sequenceNumber", m.SequenceNumber, "deliveryCount", m.DeliveryCount,
			"reason", m.DeadLetterReason, "description", m.DeadLetterErrorDescription)
		if q.opts.OnDeadLetter != nil {
			q.opts.OnDeadLetter(m)
		}
	}
	return err
}

// finish is unlock for operations that return an error: a failed write
// becomes their error unless they already have one.
func (q *Queue) finish(err *error) {
	if werr := q.unlock(); werr != nil && *err == nil {
		*err = werr
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
// accepted and dropped, as Service Bus does. With a data directory, Send
// returns only once the message is on disk (fsynced).
func (q *Queue) Send(ctx context.Context, msg Message) (res SendResult, err error) {
	if err := ctx.Err(); err != nil {
		return SendResult{}, err
	}
	if err := msg.validate(); err != nil {
		return SendResult{}, err
	}
	msg = msg.clone()
	q.mu.Lock()
	defer q.finish(&err)
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
	q.remember(msg.MessageID, now, e.key)
	return SendResult{MessageID: msg.MessageID, SequenceNumber: e.seq, Scheduled: e.state == StateScheduled}, nil
}

// isDuplicate reports whether id was seen within the duplicate detection
// window, forgetting ids that fell out of it; caller holds the lock.
func (q *Queue) isDuplicate(id string, now time.Time) bool {
	w := q.opts.DuplicateDetectionWindow
	if w < 0 {
		return false
	}
	cut := now.Add(-w)
	i := 0
	for ; i < len(q.dedupeOrder) && !q.dedupeOrder[i].at.After(cut); i++ {
		d := q.dedupeOrder[i]
		if at, ok := q.dedupe[d.id]; ok && at.Equal(d.at) {
			delete(q.dedupe, d.id)
		}
		q.dropKey(dedupeKey(d.key))
	}
	if i > 0 {
		q.dedupeOrder = append(q.dedupeOrder[:0:0], q.dedupeOrder[i:]...)
	}
	at, ok := q.dedupe[id]
	return ok && at.After(cut)
}

// remember records id for duplicate detection, on disk next to the entry
// stored under key; caller holds the lock.
func (q *Queue) remember(id string, now time.Time, key int64) {
	if q.opts.DuplicateDetectionWindow < 0 {
		return
	}
	q.dedupe[id] = now
	d := dedupeRecord{id: id, at: now, key: key}
	q.dedupeOrder = append(q.dedupeOrder, d)
	q.saveDedupe(d)
}

// takeSeq hands out the next sequence number; caller holds the lock.
func (q *Queue) takeSeq() int64 {
	s := q.nextSeq
	q.nextSeq++
	q.reserveSeq(s)
	return s
}

// enqueue stores msg as a new message; caller holds the lock.
func (q *Queue) enqueue(msg Message, now time.Time) *entry {
	if msg.TimeToLive == 0 {
		msg.TimeToLive = q.opts.DefaultTTL
	}
	seq := q.takeSeq()
	e := &entry{key: seq, msg: msg, seq: seq, index: -1}
	if msg.ScheduledEnqueueTime.After(now) {
		e.state = StateScheduled
		e.enqueued = msg.ScheduledEnqueueTime
		q.scheduled.push(e)
		q.save(e)
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
	q.noteExpiry(e)
	q.active.push(e)
	q.save(e)
	q.broadcast()
}

// noteExpiry keeps nextTTL the earliest expiry among available messages;
// caller holds the lock.
func (q *Queue) noteExpiry(e *entry) {
	if !e.expiresAt.IsZero() && (q.nextTTL.IsZero() || e.expiresAt.Before(q.nextTTL)) {
		q.nextTTL = e.expiresAt
	}
}

// noteLock keeps nextLockExpiry the earliest lock expiry; caller holds the lock.
func (q *Queue) noteLock(e *entry) {
	if q.nextLockExpiry.IsZero() || e.lockedUntil.Before(q.nextLockExpiry) {
		q.nextLockExpiry = e.lockedUntil
	}
}

// deadLetter moves e to the dead-letter sub-queue; caller holds the lock
// and has already taken e out of the heap or lock table holding it.
func (q *Queue) deadLetter(e *entry, reason, desc string, now time.Time) {
	e.state = StateDeadLettered
	e.lockToken = ""
	e.lockedUntil = time.Time{}
	e.dlReason, e.dlDesc, e.dlAt = reason, desc, now
	q.dlq = append(q.dlq, e)
	q.save(e)
	q.pendingDL = append(q.pendingDL, e.view(q.name))
}

// expire ends an expired message: dead-lettered with TTLExpiredException,
// or removed when the queue discards expired messages. Caller holds the
// lock and has taken e out of the heap or lock table holding it.
func (q *Queue) expire(e *entry, now time.Time) {
	if !q.opts.DiscardExpired {
		q.deadLetter(e, ReasonTTLExpired, "The message expired and was dead lettered.", now)
		return
	}
	q.drop(e)
	q.opts.Logger.Info("expired message removed", "queue", q.name, "messageId", e.msg.MessageID,
		"sequenceNumber", e.seq, "expiresAt", e.expiresAt)
}

// tick applies everything time makes happen: scheduled messages coming due
// (with a new sequence number, as Service Bus gives them), locks expiring,
// messages expiring. Caller holds the lock.
func (q *Queue) tick(now time.Time) {
	for e := q.scheduled.peek(); e != nil && !e.msg.ScheduledEnqueueTime.After(now); e = q.scheduled.peek() {
		q.scheduled.pop()
		e.seq = q.takeSeq()
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
			q.noteLock(e)
		}
	}
	if !q.nextTTL.IsZero() && !now.Before(q.nextTTL) {
		q.nextTTL = time.Time{}
		var expired []*entry
		for _, e := range q.active.items {
			if e.expired(now) {
				expired = append(expired, e)
			} else {
				q.noteExpiry(e)
			}
		}
		for _, e := range expired {
			q.active.remove(e)
			q.expire(e, now)
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
		q.expire(e, now)
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
			q.expire(e, now)
			continue
		}
		e.state = StateLocked
		e.deliveryCount++
		e.lockToken = q.opts.NewID()
		e.lockedUntil = now.Add(q.opts.LockDuration)
		q.locked[e.lockToken] = e
		q.noteLock(e)
		q.save(e)
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
// waiting; ok is false when none is available (or when the delivery could
// not be saved to the data directory; the writer logs why).
func (q *Queue) TryReceive() (msg ReceivedMessage, ok bool) {
	q.mu.Lock()
	if q.closed {
		q.unlock()
		return ReceivedMessage{}, false
	}
	now := q.opts.Now()
	q.tick(now)
	msg, ok = q.receiveLocked(now)
	if err := q.unlock(); err != nil {
		return ReceivedMessage{}, false
	}
	return msg, ok
}

// Receive waits until a message is available (sent, scheduled and due, or
// released by abandon or lock expiry) and takes it under a peek-lock. It
// sleeps between changes rather than polling, and returns ctx.Err() when
// ctx ends or ErrClosed when the queue is closed. With a data directory the
// delivery (its DeliveryCount and lock) is on disk before Receive returns,
// so a crash cannot hand the same delivery count out twice.
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
			if err := q.unlock(); err != nil {
				return ReceivedMessage{}, err
			}
			return m, nil
		}
		wake := q.nextWake()
		changed := q.changed
		if err := q.unlock(); err != nil {
			return ReceivedMessage{}, err
		}

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
	return e, nil
}

// Complete removes the message delivered under lockToken. It fails with
// ErrLockLost if the lock expired or the token is unknown.
func (q *Queue) Complete(lockToken string) (err error) {
	q.mu.Lock()
	defer q.finish(&err)
	q.tick(q.opts.Now())
	e, err := q.settle("complete", lockToken)
	if err != nil {
		return err
	}
	q.drop(e)
	return nil
}

// Abandon releases the lock so the message is delivered again (with
// DeliveryCount+1), or dead-lettered with MaxDeliveryCountExceeded when this
// was its last allowed delivery.
func (q *Queue) Abandon(lockToken string) (err error) {
	q.mu.Lock()
	defer q.finish(&err)
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
func (q *Queue) DeadLetter(lockToken, reason, description string) (err error) {
	q.mu.Lock()
	defer q.finish(&err)
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
func (q *Queue) RenewLock(lockToken string) (until time.Time, err error) {
	q.mu.Lock()
	defer q.finish(&err)
	now := q.opts.Now()
	q.tick(now)
	e, ok := q.locked[lockToken]
	if !ok {
		return time.Time{}, fmt.Errorf("renew lock on %s: lock token %q: %w", q.name, lockToken, ErrLockLost)
	}
	e.lockedUntil = now.Add(q.opts.LockDuration)
	q.save(e)
	q.nextLockExpiry = time.Time{}
	for _, l := range q.locked {
		q.noteLock(l)
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
