package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Memory is a workflow.Store held in process memory: for tests and for
// `serve` with STATE_STORE=memory. It keeps records as JSON, so what a
// caller gets back is exactly what Dir and Tables would give (and never
// aliases the caller's slices or maps). Safe for concurrent use.
type Memory struct {
	mu       sync.RWMutex
	records  map[string]memEntry
	failures map[string][]byte
}

type memEntry struct {
	data    []byte
	etag    string
	version uint64
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{records: map[string]memEntry{}, failures: map[string][]byte{}}
}

var _ workflow.Store = (*Memory)(nil)

// Load returns the record for key, or an error wrapping workflow.ErrNotFound.
func (m *Memory) Load(ctx context.Context, key string) (workflow.Record, error) {
	if err := ctx.Err(); err != nil {
		return workflow.Record{}, fmt.Errorf("store load %q: %w", key, err)
	}
	m.mu.RLock()
	e, ok := m.records[key]
	m.mu.RUnlock()
	if !ok {
		return workflow.Record{}, fmt.Errorf("store load %q: %w", key, workflow.ErrNotFound)
	}
	return decodeRecord("store load", key, e.data, e.etag)
}

// Save creates or conditionally replaces rec (see workflow.Store).
func (m *Memory) Save(ctx context.Context, rec *workflow.Record) error {
	const op = "store save"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %q: %w", op, rec.Key, err)
	}
	data, err := encodeRecord(op, rec)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, exists := m.records[rec.Key]
	if err := checkETag(op, rec, exists, cur.etag); err != nil {
		return err
	}
	next := memEntry{data: data, version: cur.version + 1}
	next.etag = newETag(next.version)
	m.records[rec.Key] = next
	rec.ETag = next.etag
	return nil
}

// List returns all records in key order.
func (m *Memory) List(ctx context.Context) ([]workflow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store list: %w", err)
	}
	m.mu.RLock()
	keys := slices.Sorted(maps.Keys(m.records))
	entries := make([]memEntry, len(keys))
	for i, k := range keys {
		entries[i] = m.records[k]
	}
	m.mu.RUnlock()
	out := make([]workflow.Record, 0, len(keys))
	for i, k := range keys {
		rec, err := decodeRecord("store list", k, entries[i].data, entries[i].etag)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// SaveFailure stores (replaces) the failure recorded for f.MessageID.
func (m *Memory) SaveFailure(ctx context.Context, f workflow.Failure) error {
	const op = "store save failure"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %q: %w", op, f.MessageID, err)
	}
	data, err := encodeFailure(op, f)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.failures[f.MessageID] = data
	m.mu.Unlock()
	return nil
}

// Failure returns the failure recorded for messageID, or an error wrapping
// workflow.ErrNotFound.
func (m *Memory) Failure(ctx context.Context, messageID string) (workflow.Failure, error) {
	const op = "store failure"
	if err := ctx.Err(); err != nil {
		return workflow.Failure{}, fmt.Errorf("%s %q: %w", op, messageID, err)
	}
	m.mu.RLock()
	data, ok := m.failures[messageID]
	m.mu.RUnlock()
	if !ok {
		return workflow.Failure{}, fmt.Errorf("%s %q: %w", op, messageID, workflow.ErrNotFound)
	}
	return decodeFailure(op, messageID, data)
}
