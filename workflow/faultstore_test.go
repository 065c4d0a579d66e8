package workflow_test

import (
	"context"
	"sync"

	"github.com/b2b-onboarding/onboard/workflow"
)

// faultStore wraps a Store and fails its calls with injected errors:
// op ("load", "save", "failure", "saveFailure") → errors returned in
// order by the next calls (then the wrapped store answers).
type faultStore struct {
	workflow.Store
	mu   sync.Mutex
	fail map[string][]error
}

func newFaultStore(s workflow.Store) *faultStore {
	return &faultStore{Store: s, fail: map[string][]error{}}
}

func (s *faultStore) inject(op string, errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[op] = append(s.fail[op], errs...)
}

func (s *faultStore) next(op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return injected(s.fail, op)
}

func (s *faultStore) Load(ctx context.Context, key string) (workflow.Record, error) {
	if err := s.next("load"); err != nil {
		return workflow.Record{}, err
	}
	return s.Store.Load(ctx, key)
}

func (s *faultStore) Save(ctx context.Context, rec *workflow.Record) error {
	if err := s.next("save"); err != nil {
		return err
	}
	return s.Store.Save(ctx, rec)
}

func (s *faultStore) Failure(ctx context.Context, id string) (workflow.Failure, error) {
	if err := s.next("failure"); err != nil {
		return workflow.Failure{}, err
	}
	return s.Store.Failure(ctx, id)
}

func (s *faultStore) SaveFailure(ctx context.Context, f workflow.Failure) error {
	if err := s.next("saveFailure"); err != nil {
		return err
	}
	return s.Store.SaveFailure(ctx, f)
}
