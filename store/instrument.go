package store

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Instrumented wraps a workflow.Store to count its round trips and,
// optionally, add a fixed latency to each: how tests and the benchmark
// harness (bench/) check the round trips an onboarding costs and what
// they cost at a real service's latency.
type Instrumented struct {
	workflow.Store
	// Delay is added before every call (Table Storage answers in
	// milliseconds; a local store in microseconds).
	Delay time.Duration

	loads, saves, lists, failureReads, failureSaves atomic.Int64
}

// Counts are the calls an Instrumented store saw.
type Counts struct {
	Load, Save, List, Failure, SaveFailure int64
}

// Total is the number of round trips.
func (c Counts) Total() int64 { return c.Load + c.Save + c.List + c.Failure + c.SaveFailure }

// Counts returns the calls so far.
func (s *Instrumented) Counts() Counts {
	return Counts{Load: s.loads.Load(), Save: s.saves.Load(), List: s.lists.Load(), Failure: s.failureReads.Load(), SaveFailure: s.failureSaves.Load()}
}

// Reset sets the counts to zero.
func (s *Instrumented) Reset() {
	for _, c := range []*atomic.Int64{&s.loads, &s.saves, &s.lists, &s.failureReads, &s.failureSaves} {
		c.Store(0)
	}
}

func (s *Instrumented) call(ctx context.Context, n *atomic.Int64) error {
	n.Add(1)
	if s.Delay <= 0 {
		return nil
	}
	t := time.NewTimer(s.Delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Load counts and delays, then loads.
func (s *Instrumented) Load(ctx context.Context, key string) (workflow.Record, error) {
	if err := s.call(ctx, &s.loads); err != nil {
		return workflow.Record{}, err
	}
	return s.Store.Load(ctx, key)
}

// Save counts and delays, then saves.
func (s *Instrumented) Save(ctx context.Context, rec *workflow.Record) error {
	if err := s.call(ctx, &s.saves); err != nil {
		return err
	}
	return s.Store.Save(ctx, rec)
}

// List counts and delays, then lists.
func (s *Instrumented) List(ctx context.Context) ([]workflow.Record, error) {
	if err := s.call(ctx, &s.lists); err != nil {
		return nil, err
	}
	return s.Store.List(ctx)
}

// SaveFailure counts and delays, then saves the failure.
func (s *Instrumented) SaveFailure(ctx context.Context, f workflow.Failure) error {
	if err := s.call(ctx, &s.failureSaves); err != nil {
		return err
	}
	return s.Store.SaveFailure(ctx, f)
}

// Failure counts and delays, then reads the failure.
func (s *Instrumented) Failure(ctx context.Context, messageID string) (workflow.Failure, error) {
	if err := s.call(ctx, &s.failureReads); err != nil {
		return workflow.Failure{}, err
	}
	return s.Store.Failure(ctx, messageID)
}
