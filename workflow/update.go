package workflow

import (
	"context"
	"errors"
	"fmt"
)

// maxSaveAttempts bounds the load-mutate-save loop under contention.
const maxSaveAttempts = 8

// maxHistory keeps records small (Table Storage entities are at most 1 MiB).
const maxHistory = 50

// update loads the record for key (a fresh one when none exists), applies
// mutate and saves it with optimistic concurrency, reloading and re-applying
// mutate on a conflict. mutate must therefore be safe to apply again to a
// newer record. When mutate returns errNoChange nothing is saved. The
// outcome events of the transition mutate made are added to the record's
// outbox in the same save (noteOutcomes), and the record is handed to the
// delivery's publisher (PublishOutcomes).
func (e *Engine) update(ctx context.Context, key string, mutate func(*Record) error) (Record, error) {
	for attempt := 0; attempt < maxSaveAttempts; attempt++ {
		rec, err := e.Store.Load(ctx, key)
		if errors.Is(err, ErrNotFound) {
			now := e.Clock.Now().UTC()
			rec = Record{Key: key, Phase: PhaseNew, CreatedAt: now}
		} else if err != nil {
			return Record{}, storeError("load record", err)
		}
		before := rec // for noteOutcomes; mutate replaces Failure, never edits it
		if err := mutate(&rec); errors.Is(err, errNoChange) {
			pending(ctx).note(rec)
			return rec, nil
		} else if err != nil {
			return rec, err
		}
		e.noteOutcomes(before, &rec)
		rec.UpdatedAt = e.Clock.Now().UTC()
		if n := len(rec.History); n > maxHistory {
			rec.History = append([]HistoryEntry(nil), rec.History[n-maxHistory:]...)
		}
		err = e.Store.Save(ctx, &rec)
		if err == nil {
			pending(ctx).note(rec)
			return rec, nil
		}
		if !errors.Is(err, ErrConflict) {
			return rec, storeError("save record", err)
		}
	}
	return Record{}, &TransientError{Op: "save record", Err: fmt.Errorf("%w after %d attempts", ErrConflict, maxSaveAttempts)}
}

// storeError is how a Store failure (other than ErrNotFound and
// ErrConflict, which callers handle) leaves the workflow. An error the
// store classified keeps its class and its details: a *PermanentError
// (store.ErrInvalidKey, store.ErrTooLarge: no retry can fix it) stays
// permanent, so the dead-letter reason does not call it transient, and a
// *TransientError keeps the service's Retry-After. Anything else (a
// missing table, an answer the store did not recognise) is transient:
// retried later, and dead-lettered once RETRY_MAX_ELAPSED is spent.
func storeError(op string, err error) error {
	var t *TransientError
	if IsPermanent(err) || errors.As(err, &t) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &TransientError{Op: op, Err: err}
}

// errNoChange tells update that mutate left the record as it was.
var errNoChange = errors.New("no change")

// note appends a history entry.
func (r *Record) note(e *Engine, step, detail string) {
	r.History = append(r.History, HistoryEntry{At: e.Clock.Now().UTC(), Step: step, Detail: detail})
}
