package devhost

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
)

// BrokerOptions configures a Broker.
type BrokerOptions struct {
	// Queue holds the options every queue is created with.
	Queue QueueOptions
	// DataDir, when set, keeps the queues in DataDir/queues.db (bbolt):
	// every change is on disk before the operation that made it returns,
	// and NewBroker restores them. Empty keeps everything in memory.
	DataDir string
	// Logger receives broker events (default slog.Default()).
	Logger *slog.Logger
}

// Broker is the embedded namespace: a set of named queues created on first
// use, optionally persisted to a data directory.
type Broker struct {
	opts   BrokerOptions
	mu     sync.Mutex
	queues map[string]*Queue
	disk   *persister // nil when in memory
	closed bool
}

// NewBroker returns a broker; with DataDir set it restores the queues saved
// there (importing the snapshot files of older versions once). Only one
// process may use a data directory at a time.
func NewBroker(opts BrokerOptions) (*Broker, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Queue.Logger == nil {
		opts.Queue.Logger = opts.Logger
	}
	b := &Broker{opts: opts, queues: map[string]*Queue{}}
	if opts.DataDir == "" {
		return b, nil
	}
	p, err := openPersister(opts.DataDir, opts.Logger)
	if err != nil {
		return nil, err
	}
	qs, err := p.loadQueues(opts.Queue.withDefaults())
	if err == nil && len(qs) == 0 {
		if err = p.importLegacy(opts.DataDir); err == nil {
			qs, err = p.loadQueues(opts.Queue.withDefaults())
		}
	}
	if err != nil {
		p.close()
		return nil, err
	}
	b.disk = p
	for _, q := range qs {
		b.queues[q.name] = q
	}
	return b, nil
}

// ValidateQueueName checks a queue name against the rules the dev runtime
// enforces (Service Bus's, minus slashes, which its URLs cannot carry).
func ValidateQueueName(name string) error {
	if name == "" {
		return fmt.Errorf("queue name: must not be empty")
	}
	if len(name) > 260 {
		return fmt.Errorf("queue name %q: at most 260 characters", name)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
		if !ok {
			return fmt.Errorf("queue name %q: character %q at %d not allowed (letters, digits, '.', '-', '_')", name, r, i)
		}
	}
	return nil
}

// Queue returns the queue called name, creating it if needed.
func (b *Broker) Queue(name string) (*Queue, error) {
	if err := ValidateQueueName(name); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("queue %s: %w", name, ErrClosed)
	}
	if q, ok := b.queues[name]; ok {
		return q, nil
	}
	q := NewQueue(name, b.opts.Queue)
	b.queues[name] = q
	if b.disk == nil {
		return q, nil
	}
	// The queue exists on disk before anyone can send to it.
	q.disk = b.disk
	if err := b.disk.submit([]diskOp{{queue: name}}).wait(); err != nil {
		delete(b.queues, name)
		return nil, fmt.Errorf("queue %s: %w", name, err)
	}
	return q, nil
}

// Lookup returns the queue called name if it exists.
func (b *Broker) Lookup(name string) (*Queue, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q, ok := b.queues[name]
	return q, ok
}

// Names lists the queues, sorted.
func (b *Broker) Names() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	names := make([]string, 0, len(b.queues))
	for n := range b.queues {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Close closes every queue (waking their receivers) and, with a data
// directory, closes its file.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	qs := make([]*Queue, 0, len(b.queues))
	for _, q := range b.queues {
		qs = append(qs, q)
	}
	b.mu.Unlock()
	for _, q := range qs {
		q.Close()
	}
	if b.disk != nil {
		return b.disk.close()
	}
	return nil
}
