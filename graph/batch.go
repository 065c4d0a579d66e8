package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// The $batch request and its answer are written and read here with
// encoding/json, not with msgraph-sdk-go-core's BatchRequest: that one
// builds every item from a RequestInformation, re-parses the answer into a
// kiota JSON tree and needs the SDK's typed models to read a failed item
// (reference §8). The batch is still sent through the SDK's request adapter
// (authentication, retry of the outer request, telemetry).

// batchItem is one request of a $batch (json-batching): url is relative to
// the version root, e.g. "/groups/{id}/members/$ref".
type batchItem struct {
	ID      string      `json:"id"`
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers itemHeaders `json:"headers"`
	Body    any         `json:"body,omitempty"`
}

// itemHeaders are an item's headers: every item built here has a JSON body,
// and Graph requires its Content-Type.
type itemHeaders struct {
	ContentType string `json:"Content-Type"`
}

// batchRequest is the POST /$batch body.
type batchRequest struct {
	Requests []*batchItem `json:"requests"`
}

// batchAnswer is the $batch answer; answers may come in any order.
type batchAnswer struct {
	Responses []itemAnswer `json:"responses"`
}

// itemAnswer is one item's answer. Header names are matched
// case-insensitively (encoding/json does so for struct fields), and only
// Retry-After is kept; it may come as a string or a number.
type itemAnswer struct {
	ID      string `json:"id"`
	Status  int    `json:"status"`
	Headers struct {
		RetryAfter json.RawMessage `json:"Retry-After"`
	} `json:"headers"`
	Body json.RawMessage `json:"body"`
}

// graphErrorJSON is Graph's error body (reference §12), as far as it is read.
type graphErrorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Target  string `json:"target"`
		Details []struct {
			Target string `json:"target"`
		} `json:"details"`
		InnerError struct {
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// batchEntry is one change on its way through $batch.
type batchEntry struct {
	index int // position in Apply's changes (and result)
	item  *batchItem
}

// Apply sends all changes for the guest through POST /$batch: at most 20
// items per batch, up to Options.BatchConcurrency batches in flight, answers
// correlated by item id. Items Graph answers 429/503/504 are re-sent (only
// those, in a new batch with the same item ids) after the largest
// Retry-After among them or an exponential back-off, up to
// Options.ItemMaxAttempts and within Options.ItemRetryBudget; what is still
// throttled then is returned as a *workflow.TransientError carrying its
// Retry-After. The result has one entry per change: nil when the change is
// in place (including "already exists").
//
// The core's BatchRequestCollection sends its chunks serially and has no way
// to re-send single items, so Apply drives the batches itself: one per
// chunk, rebuilt from the kept items for a re-send.
func (d *Directory) Apply(ctx context.Context, guestID string, changes []workflow.Change) []error {
	errs := make([]error, len(changes))
	if len(changes) == 0 {
		return errs
	}
	if guestID == "" {
		for i, c := range changes {
			errs[i] = &workflow.PermanentError{Op: opName(c), Reason: "guest id is required"}
		}
		return errs
	}
	chunks := d.buildChunks(guestID, changes, errs)
	start := time.Now()
	sem := make(chan struct{}, d.opts.BatchConcurrency)
	var wg sync.WaitGroup
	for n, chunk := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.runChunk(ctx, n, chunk, changes, errs, sem)
		}()
	}
	wg.Wait()
	failed := 0
	for _, e := range errs {
		if e != nil {
			failed++
		}
	}
	d.log.InfoContext(ctx, "changes applied", slog.String(logkey.GuestID, guestID), slog.Int(logkey.Changes, len(changes)),
		slog.Int(logkey.Batches, len(chunks)), slog.Int(logkey.Failed, failed), slog.Int64(logkey.DurationMs, time.Since(start).Milliseconds()))
	return errs
}

// buildChunks turns the changes into batch items, MaxBatchItems per chunk.
// An item's id is its change's position in changes, unique within Apply.
// Changes that cannot be sent get their error in errs; changes with nothing
// to send are left nil.
func (d *Directory) buildChunks(guestID string, changes []workflow.Change, errs []error) [][]batchEntry {
	var chunks [][]batchEntry
	var cur []batchEntry
	for i, c := range changes {
		item, err := d.requestFor(guestID, c)
		if err != nil {
			errs[i] = err // a *workflow.PermanentError naming the rule
			continue
		}
		if item == nil {
			continue
		}
		item.ID = strconv.Itoa(i)
		item.Headers.ContentType = "application/json"
		if len(cur) == MaxBatchItems {
			chunks = append(chunks, cur)
			cur = nil
		}
		if cur == nil {
			cur = make([]batchEntry, 0, min(MaxBatchItems, len(changes)-i))
		}
		cur = append(cur, batchEntry{index: i, item: item})
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks
}

// runChunk sends one chunk and re-sends its throttled items until each item
// has a final answer, the attempts or the retry budget are spent, or ctx ends.
func (d *Directory) runChunk(ctx context.Context, n int, chunk []batchEntry, changes []workflow.Change, errs []error, sem chan struct{}) {
	// Waiting past the budget or past ctx's deadline is pointless: such
	// items are returned at once with their Retry-After.
	deadline := time.Now().Add(d.opts.ItemRetryBudget)
	if cd, ok := ctx.Deadline(); ok && cd.Before(deadline) {
		deadline = cd
	}
	pending := chunk
	for attempt := 1; len(pending) > 0; attempt++ {
		resp, err := d.sendBatch(ctx, sem, pending)
		if err != nil {
			d.log.WarnContext(ctx, "batch request failed", slog.Int(logkey.Batch, n), slog.Int(logkey.Items, len(pending)), slog.Int(logkey.Attempt, attempt), slog.Any(logkey.Error, err))
			for _, e := range pending {
				errs[e.index] = classify(opName(changes[e.index]), err)
			}
			return
		}
		var retry []batchEntry
		var wait time.Duration
		for _, e := range pending {
			c := changes[e.index]
			r := resp.answerFor(e.item.ID)
			if r == nil || r.Status == 0 {
				errs[e.index] = &workflow.TransientError{Op: opName(c), Err: fmt.Errorf("graph $batch returned no answer for item %s", e.item.ID)}
				continue
			}
			if r.Status >= 200 && r.Status < 300 {
				errs[e.index] = nil
				continue
			}
			a := itemAPIError(r)
			if retryableItem(r.Status) && attempt < d.opts.ItemMaxAttempts {
				delay := a.RetryAfter
				if delay <= 0 {
					delay = backoff(d.opts.RetryDelay, attempt)
				}
				if time.Now().Add(delay).Before(deadline) {
					retry = append(retry, e)
					wait = max(wait, delay)
					errs[e.index] = classifyStatus(opName(c), a) // kept if ctx ends while waiting
					continue
				}
			}
			if alreadyDone(c.Kind, a) {
				errs[e.index] = nil
				continue
			}
			errs[e.index] = classifyStatus(opName(c), a)
		}
		if len(retry) == 0 {
			return
		}
		d.log.InfoContext(ctx, "re-sending throttled batch items", slog.Int(logkey.Batch, n), slog.Int(logkey.Items, len(retry)),
			slog.Int(logkey.Attempt, attempt+1), slog.String(logkey.RetryIn, wait.Round(time.Millisecond).String()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			for _, e := range retry {
				errs[e.index] = &workflow.TransientError{Op: opName(changes[e.index]), RetryAfter: workflow.RetryAfterOf(errs[e.index]),
					Err: fmt.Errorf("stopped waiting to re-send a throttled item: %w", ctx.Err())}
			}
			return
		case <-t.C:
		}
		pending = retry
	}
}

// answerFor is the answer to the item with the given id (ids are
// case-insensitive), nil if there is none. An answer without an id matches
// no item. A batch has at most 20 answers: a scan is cheaper than a map.
func (b *batchAnswer) answerFor(id string) *itemAnswer {
	for i := range b.Responses {
		if r := &b.Responses[i]; r.ID != "" && strings.EqualFold(r.ID, id) {
			return r
		}
	}
	return nil
}

// sendBatch posts one $batch with the given items through the SDK's
// adapter, holding a concurrency slot. An outer failure is the SDK's error
// (an *odataerrors.ODataError for a 4xx/5xx), an unreadable answer an error
// of its own.
func (d *Directory) sendBatch(ctx context.Context, sem chan struct{}, entries []batchEntry) (*batchAnswer, error) {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-sem }()
	items := make([]*batchItem, len(entries))
	for i, e := range entries {
		items[i] = e.item
	}
	info, err := d.newRequest(abstractions.POST, "/$batch", nil, batchRequest{Requests: items})
	if err != nil {
		return nil, err
	}
	var resp batchAnswer
	if err := d.sendJSON(ctx, info, &resp); err != nil {
		return nil, fmt.Errorf("graph $batch: %w", err)
	}
	return &resp, nil
}

// retryableItem is the set of item statuses worth re-sending at once, the
// same set the SDK retry handler uses for whole requests.
func retryableItem(status int) bool { return status == 429 || status == 503 || status == 504 }

// backoff is base·2^(attempt-1) with up to 50% jitter.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << (attempt - 1)
	return d + time.Duration(rand.Int64N(int64(d/2)+1))
}

// itemAPIError reads a failed item: its status, Retry-After header and
// Graph's error body. A body that is not Graph's error leaves code and
// message empty. No SDK error is wrapped: for a batch item, errors.As finds
// the APIError, not an *odataerrors.ODataError.
func itemAPIError(r *itemAnswer) *APIError {
	a := &APIError{Status: r.Status}
	if v := retryAfterText(r.Headers.RetryAfter); v != "" {
		a.RetryAfter = httpx.ParseRetryAfter(v, time.Now())
	}
	var ge graphErrorJSON
	if len(r.Body) == 0 || json.Unmarshal(r.Body, &ge) != nil {
		return a
	}
	e := &ge.Error
	a.Code, a.Message, a.RequestID = e.Code, e.Message, e.InnerError.RequestID
	if e.Target != "" {
		a.Targets = append(a.Targets, e.Target)
	}
	for _, dt := range e.Details {
		if dt.Target != "" {
			a.Targets = append(a.Targets, dt.Target)
		}
	}
	return a
}

// retryAfterText is a Retry-After header value given as a JSON string
// ("5", an HTTP date) or a number (5).
func retryAfterText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
