package workflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
)

// maxSaveAttempts bounds the load-mutate-save loop under contention.
const maxSaveAttempts = 8

// maxHistory keeps records small (Table Storage entities are at most 1 MiB).
const maxHistory = 50

// update loads the record for key (a fresh one when none exists), applies
// mutate and saves it with optimistic concurrency, reloading and re-applying
// mutate on a conflict. mutate must therefore be safe to apply again to a
// newer record. When mutate returns errNoChange nothing is saved.
func (e *Engine) update(ctx context.Context, key string, mutate func(*Record) error) (Record, error) {
	p, err := e.load(ctx, key)
	if err != nil {
		return Record{}, err
	}
	err = p.apply(ctx, mutate)
	return p.rec, err
}

// pending is a record read once and changed in memory: a reconcile stages
// its mutations on it and writes them with one Save (commit), so that an
// onboarding costs a few store round trips instead of a load and a save
// per step. On a conflict commit reads the record again and re-applies
// every staged mutation in order, so each must be safe to apply to a newer
// record (as update's mutate).
type pending struct {
	e    *Engine
	rec  Record
	base Record // as stored: noteOutcomes reports the transitions from it to rec
	muts []func(*Record) error
}

// load reads the record for key (a fresh one when none exists) to stage
// mutations on.
func (e *Engine) load(ctx context.Context, key string) (*pending, error) {
	p := &pending{e: e, rec: Record{Key: key}}
	if err := p.read(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// pendingFrom stages mutations on a record the caller has just read.
func (e *Engine) pendingFrom(rec Record) *pending { return &pending{e: e, rec: rec, base: rec} }

// read replaces the record with the stored one (or a fresh one).
func (p *pending) read(ctx context.Context) error {
	rec, err := p.e.Store.Load(ctx, p.rec.Key)
	if errors.Is(err, ErrNotFound) {
		rec = Record{Key: p.rec.Key, Phase: PhaseNew, CreatedAt: p.e.Clock.Now().UTC()}
	} else if err != nil {
		return storeError("load record", err)
	}
	p.rec, p.base = rec, rec
	return nil
}

// stage applies mutate to the record in memory and keeps it for commit;
// errNoChange leaves nothing to write, another error leaves the record as
// it was and is returned.
func (p *pending) stage(mutate func(*Record) error) error {
	r := p.rec
	if r.Done != nil {
		r.Done = maps.Clone(r.Done) // mutate may write it; rec must stay as it was on an error
	}
	if err := mutate(&r); errors.Is(err, errNoChange) {
		return nil
	} else if err != nil {
		return err
	}
	p.rec = r
	p.muts = append(p.muts, mutate)
	return nil
}

// apply stages mutate and commits it with whatever else is staged: update
// on a record the caller has read already, without reading it again.
func (p *pending) apply(ctx context.Context, mutate func(*Record) error) error {
	if err := p.stage(mutate); err != nil {
		return err
	}
	return p.commit(ctx)
}

// refresh reads the record again and re-applies the staged mutations: the
// record as it is now, with this reconcile's changes.
func (p *pending) refresh(ctx context.Context) error {
	muts := p.muts
	p.muts = nil
	if err := p.read(ctx); err != nil {
		return err
	}
	for _, m := range muts {
		if err := p.stage(m); err != nil {
			return err
		}
	}
	return nil
}

// commitWith commits what p staged at the end of a reconcile that ended in
// err and returns the error that decides the delivery: a failed save wins
// over success and over a permanent failure, so the retry saves what this
// attempt did before anything is dead-lettered; a transient failure keeps
// its own retry (and Retry-After). saved reports whether the store has
// everything p staged.
func (p *pending) commitWith(ctx context.Context, err error) (saved bool, _ error) {
	cerr := p.commit(ctx)
	if cerr != nil && (err == nil || IsPermanent(err)) {
		err = cerr
	}
	return cerr == nil, err
}

// commit saves the staged mutations, if any, in one Save. The outcome
// events of the transition from the stored record to the staged one are
// added to the record's outbox in the same save (noteOutcomes), and the
// record is handed to the delivery's publisher (PublishOutcomes).
func (p *pending) commit(ctx context.Context) error {
	for attempt := 0; attempt < maxSaveAttempts; attempt++ {
		if len(p.muts) == 0 {
			outboxOf(ctx).note(p.rec) // outcomes an earlier delivery left unpublished
			return nil
		}
		rec := p.rec
		p.e.noteOutcomes(p.base, &rec)
		rec.UpdatedAt = p.e.Clock.Now().UTC()
		if n := len(rec.History); n > maxHistory {
			rec.History = append([]HistoryEntry(nil), rec.History[n-maxHistory:]...)
		}
		err := p.e.Store.Save(ctx, &rec)
		if err == nil {
			p.rec, p.base, p.muts = rec, rec, nil
			outboxOf(ctx).note(rec)
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return storeError("save record", err)
		}
		if err := p.refresh(ctx); err != nil {
			return err
		}
	}
	return &TransientError{Op: "save record", Err: fmt.Errorf("%w after %d attempts", ErrConflict, maxSaveAttempts)}
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
