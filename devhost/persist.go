package devhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// flushDelay batches bursts of changes into one write per queue.
const flushDelay = 100 * time.Millisecond

// persister writes queue snapshots to <dir>/queues/<name>.json.
type persister struct {
	dir    string
	logger *slog.Logger

	mu      sync.Mutex
	dirty   map[*Queue]bool
	timer   *time.Timer
	flushMu sync.Mutex // one flush at a time
}

func newPersister(dataDir string, logger *slog.Logger) (*persister, error) {
	dir := filepath.Join(dataDir, "queues")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return &persister{dir: dir, logger: logger, dirty: map[*Queue]bool{}}, nil
}

// mark schedules q to be written soon.
func (p *persister) mark(q *Queue) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dirty[q] = true
	if p.timer == nil {
		p.timer = time.AfterFunc(flushDelay, p.flush)
	}
}

// flush writes every queue marked since the last flush.
func (p *persister) flush() {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	qs := make([]*Queue, 0, len(p.dirty))
	for q := range p.dirty {
		qs = append(qs, q)
	}
	p.dirty = map[*Queue]bool{}
	p.timer = nil
	p.mu.Unlock()
	for _, q := range qs {
		if err := p.write(q.snapshot()); err != nil {
			p.logger.Error("persist queue", "queue", q.name, "error", err)
		}
	}
}

// close writes the final state of qs.
func (p *persister) close(qs []*Queue) error {
	p.mu.Lock()
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.dirty = map[*Queue]bool{}
	p.mu.Unlock()
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	var errs []error
	for _, q := range qs {
		errs = append(errs, p.write(q.snapshot()))
	}
	return errors.Join(errs...)
}

func (p *persister) write(s queueSnapshot) error {
	data, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return fmt.Errorf("encode queue %s: %w", s.Name, err)
	}
	path := filepath.Join(p.dir, s.Name+".json")
	tmp, err := os.CreateTemp(p.dir, "."+s.Name+".*.tmp")
	if err != nil {
		return fmt.Errorf("write queue %s: %w", s.Name, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write queue %s: %w", s.Name, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write queue %s: %w", s.Name, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write queue %s: %w", s.Name, err)
	}
	return nil
}

// load reads every saved queue.
func (p *persister) load() ([]queueSnapshot, error) {
	files, err := filepath.Glob(filepath.Join(p.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []queueSnapshot
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var s queueSnapshot
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("read %s: not a queue snapshot: %w", f, err)
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); s.Name != want {
			return nil, fmt.Errorf("read %s: name %q does not match the file name", f, s.Name)
		}
		if err := ValidateQueueName(s.Name); err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// queueSnapshot is the persisted form of a queue.
type queueSnapshot struct {
	Name     string           `json:"name"`
	NextSeq  int64            `json:"nextSequenceNumber"`
	Messages []entrySnapshot  `json:"messages"`
	Dedupe   []dedupeSnapshot `json:"duplicateDetection,omitempty"`
	Replays  map[string]int   `json:"replays,omitempty"`
}

type dedupeSnapshot struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

type entrySnapshot struct {
	MessageID             string         `json:"messageId"`
	Body                  []byte         `json:"body"`
	ContentType           string         `json:"contentType,omitempty"`
	Subject               string         `json:"subject,omitempty"`
	CorrelationID         string         `json:"correlationId,omitempty"`
	ReplyTo               string         `json:"replyTo,omitempty"`
	To                    string         `json:"to,omitempty"`
	ApplicationProperties []propSnapshot `json:"applicationProperties,omitempty"`
	ScheduledEnqueueTime  time.Time      `json:"scheduledEnqueueTime"`
	TimeToLive            time.Duration  `json:"timeToLive,omitempty"`
	Seq                   int64          `json:"sequenceNumber"`
	Enqueued              time.Time      `json:"enqueuedTime"`
	ExpiresAt             time.Time      `json:"expiresAt"`
	DeliveryCount         int            `json:"deliveryCount"`
	State                 MessageState   `json:"state"`
	DLReason              string         `json:"deadLetterReason,omitempty"`
	DLDesc                string         `json:"deadLetterErrorDescription,omitempty"`
	DLAt                  time.Time      `json:"deadLetteredAt"`
}

// propSnapshot keeps an application property's Go type across a restart.
type propSnapshot struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func encodeProps(m map[string]any) []propSnapshot {
	out := make([]propSnapshot, 0, len(m))
	for k, v := range m {
		var typ string
		switch v.(type) {
		case nil:
			typ = "null"
		case string:
			typ = "string"
		case bool:
			typ = "bool"
		case float32, float64:
			typ = "float"
		case uint, uint8, uint16, uint32, uint64:
			typ = "uint"
		case time.Time:
			typ = "time"
		case []byte:
			typ = "bytes"
		default:
			typ = "int"
		}
		raw, _ := json.Marshal(v)
		out = append(out, propSnapshot{Name: k, Type: typ, Value: raw})
	}
	return out
}

func decodeProps(ps []propSnapshot) (map[string]any, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(ps))
	for _, p := range ps {
		var err error
		switch p.Type {
		case "null":
			m[p.Name] = nil
		case "string":
			m[p.Name], err = unmarshalAs[string](p.Value)
		case "bool":
			m[p.Name], err = unmarshalAs[bool](p.Value)
		case "float":
			m[p.Name], err = unmarshalAs[float64](p.Value)
		case "uint":
			m[p.Name], err = unmarshalAs[uint64](p.Value)
		case "int":
			m[p.Name], err = unmarshalAs[int64](p.Value)
		case "time":
			m[p.Name], err = unmarshalAs[time.Time](p.Value)
		case "bytes":
			m[p.Name], err = unmarshalAs[[]byte](p.Value)
		default:
			err = fmt.Errorf("unknown type %q", p.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("application property %q: %w", p.Name, err)
		}
	}
	return m, nil
}

// unmarshalAs decodes raw as a T, so that the value keeps the Go type
// encodeProps recorded for it.
func unmarshalAs[T any](raw json.RawMessage) (any, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

// snapshot captures the queue's state. A locked message is saved as active:
// its lock does not survive a restart, but its delivery count does.
func (q *Queue) snapshot() queueSnapshot {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := queueSnapshot{Name: q.name, NextSeq: q.nextSeq}
	all := make([]*entry, 0, q.active.Len()+len(q.locked)+q.scheduled.Len()+len(q.dlq))
	all = append(all, q.active.items...)
	all = append(all, q.scheduled.items...)
	for _, e := range q.locked {
		all = append(all, e)
	}
	all = append(all, q.dlq...)
	for _, e := range all {
		st := e.state
		if st == StateLocked {
			st = StateActive
		}
		s.Messages = append(s.Messages, entrySnapshot{
			MessageID: e.msg.MessageID, Body: e.msg.Body, ContentType: e.msg.ContentType,
			Subject: e.msg.Subject, CorrelationID: e.msg.CorrelationID, ReplyTo: e.msg.ReplyTo, To: e.msg.To,
			ApplicationProperties: encodeProps(e.msg.ApplicationProperties),
			ScheduledEnqueueTime:  e.msg.ScheduledEnqueueTime, TimeToLive: e.msg.TimeToLive,
			Seq: e.seq, Enqueued: e.enqueued, ExpiresAt: e.expiresAt, DeliveryCount: e.deliveryCount,
			State: st, DLReason: e.dlReason, DLDesc: e.dlDesc, DLAt: e.dlAt,
		})
	}
	for _, d := range q.dedupeOrder {
		if at, ok := q.dedupe[d.id]; ok && at.Equal(d.at) {
			s.Dedupe = append(s.Dedupe, dedupeSnapshot{ID: d.id, At: d.at})
		}
	}
	// Copy the map: the snapshot is encoded after the lock is released.
	s.Replays = make(map[string]int, len(q.replays))
	for k, v := range q.replays {
		s.Replays[k] = v
	}
	return s
}

// restore loads a snapshot into an empty queue. Messages whose properties
// cannot be decoded are dead-lettered with a reason saying so.
func (q *Queue) restore(s queueSnapshot) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.NextSeq > q.nextSeq {
		q.nextSeq = s.NextSeq
	}
	var dlq []*entry
	for _, m := range s.Messages {
		props, err := decodeProps(m.ApplicationProperties)
		e := &entry{
			msg: Message{MessageID: m.MessageID, Body: m.Body, ContentType: m.ContentType, Subject: m.Subject,
				CorrelationID: m.CorrelationID, ReplyTo: m.ReplyTo, To: m.To, ApplicationProperties: props,
				ScheduledEnqueueTime: m.ScheduledEnqueueTime, TimeToLive: m.TimeToLive},
			seq: m.Seq, enqueued: m.Enqueued, expiresAt: m.ExpiresAt, deliveryCount: m.DeliveryCount,
			state: m.State, dlReason: m.DLReason, dlDesc: m.DLDesc, dlAt: m.DLAt, index: -1,
		}
		if m.Seq >= q.nextSeq {
			q.nextSeq = m.Seq + 1
		}
		if err != nil && e.state != StateDeadLettered {
			e.state, e.dlReason, e.dlDesc, e.dlAt = StateDeadLettered, "RestoreFailed", err.Error(), time.Now()
		}
		switch e.state {
		case StateScheduled:
			q.scheduled.push(e)
		case StateDeadLettered:
			dlq = append(dlq, e)
		default:
			e.state = StateActive
			q.active.push(e)
			if !e.expiresAt.IsZero() && (q.nextTTL.IsZero() || e.expiresAt.Before(q.nextTTL)) {
				q.nextTTL = e.expiresAt
			}
		}
	}
	slicesSortByDLAt(dlq)
	q.dlq = dlq
	for _, d := range s.Dedupe {
		q.dedupe[d.ID] = d.At
		q.dedupeOrder = append(q.dedupeOrder, dedupeRecord{id: d.ID, at: d.At})
	}
	for k, v := range s.Replays {
		q.replays[k] = v
	}
}

// slicesSortByDLAt keeps "oldest dead-letter first" across restarts.
func slicesSortByDLAt(es []*entry) {
	sortEntriesBySeq(es)
	slices.SortStableFunc(es, func(a, b *entry) int { return a.dlAt.Compare(b.dlAt) })
}
