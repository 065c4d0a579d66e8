package devhost

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// replaySep separates a replayed message's original id from the replay
// number: "<old>/replay/<n>".
const replaySep = "/replay/"

func sortEntriesBySeq(es []*entry) {
	slices.SortFunc(es, func(a, b *entry) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
}

// DeadLetters returns the dead-letter sub-queue, oldest dead-letter first.
func (q *Queue) DeadLetters() []ReceivedMessage {
	q.mu.Lock()
	defer q.unlock()
	q.tick(q.opts.Now())
	out := make([]ReceivedMessage, len(q.dlq))
	for i, e := range q.dlq {
		out[i] = e.view(q.name)
	}
	return out
}

// findDeadLetter returns the index of the first dead letter with messageID,
// or -1. Caller holds the lock.
func (q *Queue) findDeadLetter(messageID string) int {
	return slices.IndexFunc(q.dlq, func(e *entry) bool { return e.msg.MessageID == messageID })
}

// DeadLetterByID returns the (first) dead letter with messageID, or an
// error wrapping ErrNotFound.
func (q *Queue) DeadLetterByID(messageID string) (ReceivedMessage, error) {
	q.mu.Lock()
	defer q.unlock()
	q.tick(q.opts.Now())
	i := q.findDeadLetter(messageID)
	if i < 0 {
		return ReceivedMessage{}, fmt.Errorf("dead letter %q in %s: %w", messageID, q.name, ErrNotFound)
	}
	return q.dlq[i].view(q.name), nil
}

// ReplayResult reports a replayed dead letter.
type ReplayResult struct {
	// OldMessageID is the dead letter's id; NewMessageID the fresh id it was
	// resubmitted with.
	OldMessageID   string `json:"oldMessageId"`
	NewMessageID   string `json:"newMessageId"`
	SequenceNumber int64  `json:"sequenceNumber"`
}

// ReplayDeadLetter resubmits the (first) dead letter with messageID to the
// main queue with a fresh MessageID ("<old>/replay/<n>", so duplicate
// detection cannot drop it), the same body and properties and a reset
// delivery count, and removes it from the dead-letter sub-queue.
func (q *Queue) ReplayDeadLetter(ctx context.Context, messageID string) (res ReplayResult, err error) {
	if err := ctx.Err(); err != nil {
		return ReplayResult{}, err
	}
	q.mu.Lock()
	defer q.finish(&err)
	if q.closed {
		return ReplayResult{}, fmt.Errorf("replay on %s: %w", q.name, ErrClosed)
	}
	now := q.opts.Now()
	q.tick(now)
	i := q.findDeadLetter(messageID)
	if i < 0 {
		return ReplayResult{}, fmt.Errorf("dead letter %q in %s: %w", messageID, q.name, ErrNotFound)
	}
	old := q.dlq[i]
	msg := old.msg.clone()
	msg.MessageID = q.replayID(messageID, now)
	msg.ScheduledEnqueueTime = time.Time{}
	q.dlq = slices.Delete(q.dlq, i, i+1)
	q.drop(old)
	e := q.enqueue(msg, now)
	q.remember(msg.MessageID, now, e.key)
	return ReplayResult{OldMessageID: messageID, NewMessageID: msg.MessageID, SequenceNumber: e.seq}, nil
}

// replayID picks a fresh id for a replay of id, one duplicate detection
// does not know. A replay of a replay counts on from the same original id.
// Caller holds the lock.
func (q *Queue) replayID(id string, now time.Time) string {
	base := id
	if i := strings.LastIndex(id, replaySep); i >= 0 {
		if _, err := strconv.Atoi(id[i+len(replaySep):]); err == nil {
			base = id[:i]
		}
	}
	for {
		q.replays[base]++
		q.saveReplays(base)
		cand := base + replaySep + strconv.Itoa(q.replays[base])
		if len(cand) > maxMessageIDLength {
			cand = q.opts.NewID()
		}
		if !q.isDuplicate(cand, now) {
			return cand
		}
	}
}

// PurgeDeadLetters empties the dead-letter sub-queue and returns how many
// messages it removed.
func (q *Queue) PurgeDeadLetters() (n int, err error) {
	q.mu.Lock()
	defer q.finish(&err)
	q.tick(q.opts.Now())
	n = len(q.dlq)
	for _, e := range q.dlq {
		q.drop(e)
	}
	q.dlq = nil
	return n, nil
}
