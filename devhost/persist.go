package devhost

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The data directory holds one bbolt file, queues.db, for every queue.
// bbolt commits a transaction with fdatasync before Update returns, so a
// change the Queue acknowledged is on disk; a crash leaves the file at the
// last committed transaction (copy-on-write pages and a double meta page:
// there are no temporary files to clean up).
//
// One bucket per queue, named "q/<queue>", holds:
//
//	"m" + 8-byte key        one message (entryRecord, JSON); key = the
//	                        sequence number it was first given
//	"m" + 8-byte key + "d"  a MessageId remembered for duplicate detection,
//	                        next to the message it came with
//	"r" + original id       how often a dead letter with that id was replayed
//	"s"                     sequence numbers below this are reserved
//
// Keys grow with the sequence number, so a send appends at the right edge
// of the tree next to its duplicate-detection record: a send writes one
// leaf page, the pages above it and bbolt's meta page, whatever the queue
// length. Sequence numbers are reserved seqBlock at a time, so "s" is
// written once per seqBlock sends; after a crash numbering resumes above
// the reservation (gaps, never reuse: Service Bus numbers are unique and
// increasing, not dense).
const (
	queuesFile   = "queues.db"
	bucketPrefix = "q/"
	seqBlock     = 1024
)

// dataDirLockTimeout is how long NewBroker waits for another process to
// release the queue file.
var dataDirLockTimeout = 2 * time.Second

var keySeqReserved = []byte("s")

func entryKey(key int64) []byte {
	b := make([]byte, 9)
	b[0] = 'm'
	binary.BigEndian.PutUint64(b[1:], uint64(key))
	return b
}

func dedupeKey(key int64) []byte { return append(entryKey(key), 'd') }

func replayKey(base string) []byte { return append([]byte("r"), base...) }

// ErrNotDurable: a change could not be written to the data directory. The
// broker stops accepting changes after the first one (its memory no longer
// matches the disk); restart `onboard dev` to continue from what is on disk.
var ErrNotDurable = errors.New("change not saved to the data directory")

// diskOp is one write of a queue's change.
type diskOp struct {
	queue string
	key   []byte // nil: only make sure the queue's bucket exists
	val   []byte
	del   bool
}

// commitBatch is the set of changes one bbolt transaction writes (group
// commit: every change submitted while the previous transaction was being
// written shares the next one and its fsync).
type commitBatch struct {
	ops  []diskOp
	done chan struct{}
	err  error
}

func (b *commitBatch) wait() error { <-b.done; return b.err }

// persister writes queue changes to queues.db in submission order.
type persister struct {
	db     *bolt.DB
	path   string
	logger *slog.Logger

	mu      sync.Mutex
	open    *commitBatch // collecting changes for the next transaction
	failed  error        // the first failed write; every later change fails with it
	closing bool
	wake    chan struct{}
	stopped chan struct{}
}

// openPersister opens (creating it) the queue file in dataDir and starts
// its writer.
func openPersister(dataDir string, logger *slog.Logger) (*persister, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dataDir, queuesFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: dataDirLockTimeout,
		// The free list is rebuilt on open rather than written by every
		// commit, so a commit's size does not grow with the file.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("data dir: %s is in use by another process (another onboard dev on the same --data-dir?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("data dir: open %s: %w", path, err)
	}
	p := &persister{db: db, path: path, logger: logger, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go p.run()
	return p, nil
}

// submit queues ops for the next transaction and returns the batch to wait
// on. Callers submit while holding their queue's lock, so one queue's
// changes reach the disk in the order they were made.
func (p *persister) submit(ops []diskOp) *commitBatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed != nil || p.closing {
		err := p.failed
		if err == nil {
			err = fmt.Errorf("%w: the broker is closed", ErrNotDurable)
		}
		b := &commitBatch{done: make(chan struct{}), err: err}
		close(b.done)
		return b
	}
	if p.open == nil {
		p.open = &commitBatch{done: make(chan struct{})}
	}
	p.open.ops = append(p.open.ops, ops...)
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return p.open
}

func (p *persister) run() {
	defer close(p.stopped)
	for {
		p.mu.Lock()
		for p.open == nil && !p.closing {
			p.mu.Unlock()
			<-p.wake
			p.mu.Lock()
		}
		b := p.open
		p.open = nil
		p.mu.Unlock()
		if b == nil {
			return // closing, nothing left to write
		}
		p.commit(b)
	}
}

// commit writes one batch in one transaction (one fsync).
func (p *persister) commit(b *commitBatch) {
	err := p.db.Update(func(tx *bolt.Tx) error {
		buckets := map[string]*bolt.Bucket{}
		for _, op := range b.ops {
			bk := buckets[op.queue]
			if bk == nil {
				var err error
				if bk, err = tx.CreateBucketIfNotExists([]byte(bucketPrefix + op.queue)); err != nil {
					return err
				}
				bk.FillPercent = 0.9 // keys are appended in order: fill pages before splitting
				buckets[op.queue] = bk
			}
			var err error
			switch {
			case op.key == nil:
			case op.del:
				err = bk.Delete(op.key)
			default:
				err = bk.Put(op.key, op.val)
			}
			if err != nil {
				return fmt.Errorf("queue %s: %w", op.queue, err)
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("%w: %s: %w", ErrNotDurable, p.path, err)
		p.mu.Lock()
		if p.failed == nil {
			p.failed = err
		}
		p.mu.Unlock()
		p.logger.Error("writing the data directory failed; restart onboard dev to continue from what is on disk", "error", err)
	}
	b.err = err
	close(b.done)
}

// close writes what is still queued, stops the writer and closes the file.
func (p *persister) close() error {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	<-p.stopped
	return p.db.Close()
}

// The Queue's side: every change records the writes that make the disk
// match (nothing when the queue is in memory only). Caller holds q.mu.

func (q *Queue) put(key, val []byte) {
	if q.disk != nil {
		q.pending = append(q.pending, diskOp{queue: q.name, key: key, val: val})
	}
}

func (q *Queue) dropKey(key []byte) {
	if q.disk != nil {
		q.pending = append(q.pending, diskOp{queue: q.name, key: key, del: true})
	}
}

// save writes e's current state.
func (q *Queue) save(e *entry) {
	if q.disk == nil {
		return
	}
	data, err := json.Marshal(recordOf(e))
	if err != nil { // unreachable: Send validated every field
		panic(fmt.Sprintf("devhost: encode message %s: %v", e.msg.MessageID, err))
	}
	q.put(entryKey(e.key), data)
}

// drop removes e from the disk.
func (q *Queue) drop(e *entry) { q.dropKey(entryKey(e.key)) }

func (q *Queue) saveDedupe(d dedupeRecord) {
	if q.disk == nil {
		return
	}
	data, _ := json.Marshal(dedupeDiskRecord{ID: d.id, At: d.at})
	q.put(dedupeKey(d.key), data)
}

func (q *Queue) saveReplays(base string) {
	q.put(replayKey(base), []byte(strconv.Itoa(q.replays[base])))
}

// reserveSeq makes sure seq is below the reservation on disk.
func (q *Queue) reserveSeq(seq int64) {
	if q.disk != nil && seq >= q.seqReserved {
		q.seqReserved = seq + seqBlock
		q.put(keySeqReserved, []byte(strconv.FormatInt(q.seqReserved, 10)))
	}
}

// loadQueues reads every queue in the file, as it was at the last commit.
// A message that was locked keeps its lock until the lock's time is up
// (the receiver that held it is gone, as when a Functions instance
// crashes); it is then delivered again with DeliveryCount+1, or
// dead-lettered if that was its last delivery.
func (p *persister) loadQueues(opts QueueOptions) ([]*Queue, error) {
	var out []*Queue
	err := p.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			qname, ok := strings.CutPrefix(string(name), bucketPrefix)
			if !ok {
				return nil
			}
			if err := ValidateQueueName(qname); err != nil {
				return fmt.Errorf("%s: bucket %q: %w", p.path, name, err)
			}
			q, err := loadQueue(qname, bk, opts)
			if err != nil {
				return fmt.Errorf("%s: queue %s: %w", p.path, qname, err)
			}
			q.disk = p
			out = append(out, q)
			return nil
		})
	})
	return out, err
}

func loadQueue(name string, bk *bolt.Bucket, opts QueueOptions) (*Queue, error) {
	q := NewQueue(name, opts)
	var dedupe []dedupeRecord
	err := bk.ForEach(func(k, v []byte) error {
		switch {
		case len(k) == 9 && k[0] == 'm':
			var r entryRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("message key %x: %w", k, err)
			}
			key := int64(binary.BigEndian.Uint64(k[1:]))
			q.restoreEntry(r.entryOf(key))
			q.nextSeq = max(q.nextSeq, key+1)
		case len(k) == 10 && k[0] == 'm' && k[9] == 'd':
			var r dedupeDiskRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("duplicate detection key %x: %w", k, err)
			}
			key := int64(binary.BigEndian.Uint64(k[1:9]))
			dedupe = append(dedupe, dedupeRecord{id: r.ID, at: r.At, key: key})
			q.nextSeq = max(q.nextSeq, key+1)
		case k[0] == 'r':
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("replay count %q: %w", k, err)
			}
			q.replays[string(k[1:])] = n
		case string(k) == string(keySeqReserved):
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("sequence reservation %q: %w", v, err)
			}
			q.seqReserved = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Numbers below the reservation may have been handed out to messages
	// that are gone since: resume above it.
	q.nextSeq = max(q.nextSeq, q.seqReserved)
	slices.SortStableFunc(dedupe, func(a, b dedupeRecord) int { return a.at.Compare(b.at) })
	for _, d := range dedupe {
		q.dedupe[d.id] = d.at
		q.dedupeOrder = append(q.dedupeOrder, d)
	}
	sortEntriesBySeq(q.dlq)
	slices.SortStableFunc(q.dlq, func(a, b *entry) int { return a.dlAt.Compare(b.dlAt) })
	return q, nil
}

// restoreEntry puts a loaded message where its state says; caller owns q.
func (q *Queue) restoreEntry(e *entry) {
	q.nextSeq = max(q.nextSeq, e.seq+1)
	switch e.state {
	case StateScheduled:
		q.scheduled.push(e)
	case StateDeadLettered:
		q.dlq = append(q.dlq, e)
	case StateLocked:
		e.lockToken = q.opts.NewID() // nobody holds it: the lock can only expire
		q.locked[e.lockToken] = e
		q.noteLock(e)
	default:
		e.state = StateActive
		q.active.push(e)
		q.noteExpiry(e)
	}
}
