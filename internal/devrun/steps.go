package devrun

import (
	"context"
	"log/slog"
	"sync"

	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// stepLog wraps the dev state store to log every workflow step as it is
// saved: the engine appends one HistoryEntry per step (approved, invited,
// provisioned, reminder-scheduled, reminder-sent, completed, expired,
// failed) and saves the record, so the entries a successful Save adds are
// exactly the steps that just happened. That gives `dev` its line per step
// without the engine logging anything itself.
type stepLog struct {
	workflow.Store
	log *slog.Logger

	mu   sync.Mutex
	seen map[string]int // key → history entries already logged
}

func newStepLog(s workflow.Store, log *slog.Logger) *stepLog {
	return &stepLog{Store: s, log: log, seen: map[string]int{}}
}

// Load remembers how much history the record has, so the next Save logs
// only what was added after it.
func (s *stepLog) Load(ctx context.Context, key string) (workflow.Record, error) {
	rec, err := s.Store.Load(ctx, key)
	if err == nil {
		s.mu.Lock()
		if _, ok := s.seen[key]; !ok {
			s.seen[key] = len(rec.History)
		}
		s.mu.Unlock()
	}
	return rec, err
}

// Save saves and logs the history entries the record gained.
func (s *stepLog) Save(ctx context.Context, rec *workflow.Record) error {
	creating := rec.ETag == ""
	if err := s.Store.Save(ctx, rec); err != nil {
		return err
	}
	s.mu.Lock()
	from, ok := s.seen[rec.Key]
	switch {
	case creating:
		from = 0
	case !ok:
		// replaced without a Load through this wrapper (the engine always
		// loads first): log only the newest entry
		from = max(len(rec.History)-1, 0)
	}
	from = min(from, len(rec.History))
	s.seen[rec.Key] = len(rec.History)
	s.mu.Unlock()
	for _, h := range rec.History[from:] {
		attrs := []slog.Attr{slog.String(logkey.Key, rec.Key), slog.String(logkey.Phase, string(rec.Phase))}
		if h.Detail != "" {
			attrs = append(attrs, slog.String(logkey.Detail, h.Detail))
		}
		s.log.LogAttrs(ctx, stepLevel(h.Step), "step "+h.Step, attrs...)
	}
	return nil
}

// stepLevel shows failures as errors and everything else as info.
func stepLevel(step string) slog.Level {
	if step == "failed" {
		return slog.LevelError
	}
	return slog.LevelInfo
}
