package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Engine runs the onboarding reconcile for each delivered event.
type Engine struct {
	Directory Directory
	Store     Store
	Scheduler Scheduler
	// Publisher sends outcome events; nil records and publishes none.
	Publisher Publisher
	Clock     Clock
	Policy    Policy
	Config    Config
	Log       *slog.Logger

	sponsors sync.Map // sponsor object id → sponsorVerdict (learnSponsors)

	// handler is Handler's chain, built on the first Handle: the stages
	// read the Engine's fields when they run, not when they are chained,
	// so one chain serves every delivery.
	handlerOnce sync.Once
	handler     HandlerFunc
}

func (e *Engine) logger() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}

// Status finds a record by onboarding key (an email, normalized here),
// guest object id or procurement request id.
func (e *Engine) Status(ctx context.Context, query string) (Record, error) {
	query = strings.TrimSpace(query)
	if strings.Contains(query, "@") {
		key, err := NormalizeEmail(query)
		if err != nil {
			return Record{}, err
		}
		return e.Store.Load(ctx, key)
	}
	recs, err := e.Store.List(ctx)
	if err != nil {
		return Record{}, err
	}
	for _, r := range recs {
		if strings.EqualFold(r.GuestID, query) {
			return r, nil
		}
		for _, id := range r.RequestIDs {
			if id == query {
				return r, nil
			}
		}
	}
	return Record{}, fmt.Errorf("onboarding %q: %w", query, ErrNotFound)
}
