package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// batchEntry is one change on its way through $batch.
type batchEntry struct {
	index int // position in Apply's changes (and result)
	item  msgraphgocore.BatchItem
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
// to re-send single items, so Apply drives msgraphgocore.BatchRequest
// itself: one per chunk, rebuilt from the kept BatchItems for a re-send.
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
	chunks, err := d.buildChunks(ctx, guestID, changes, errs)
	if err != nil {
		for i, c := range changes {
			if errs[i] == nil {
				errs[i] = &workflow.TransientError{Op: opName(c), Err: err}
			}
		}
		return errs
	}
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
// Changes that cannot be sent get their error in errs; changes with nothing
// to send are left nil. A non-nil error means items could not be built at all.
func (d *Directory) buildChunks(ctx context.Context, guestID string, changes []workflow.Change, errs []error) ([][]batchEntry, error) {
	var chunks [][]batchEntry
	var cur []batchEntry
	br := msgraphgocore.NewBatchRequest(d.adapter)
	for i, c := range changes {
		ri, err := d.requestFor(ctx, guestID, c)
		if err != nil {
			var perm *workflow.PermanentError
			if !errors.As(err, &perm) {
				err = &workflow.PermanentError{Op: opName(c), Reason: "cannot build the request", Err: err}
			}
			errs[i] = err
			continue
		}
		if ri == nil {
			continue
		}
		if len(cur) == MaxBatchItems {
			chunks = append(chunks, cur)
			cur = nil
			br = msgraphgocore.NewBatchRequest(d.adapter)
		}
		item, err := br.AddBatchRequestStep(*ri)
		if err != nil {
			return nil, fmt.Errorf("build batch item: %w", err)
		}
		rel, err := relativeURL(deref(item.GetUrl()), d.base)
		if err != nil {
			return nil, fmt.Errorf("batch item url: %w", err)
		}
		item.SetUrl(&rel)
		item.SetHeaders(canonicalHeaders(item.GetHeaders()))
		cur = append(cur, batchEntry{index: i, item: item})
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks, nil
}

// canonicalHeaders writes item header names as Graph documents them
// ("Content-Type"); kiota lower-cases every header name.
func canonicalHeaders(h msgraphgocore.RequestHeader) msgraphgocore.RequestHeader {
	out := make(msgraphgocore.RequestHeader, len(h))
	for k, v := range h {
		out[http.CanonicalHeaderKey(k)] = v
	}
	return out
}

// relativeURL makes a batch item URL relative to the Graph root, as $batch
// requires. The core strips the adapter's base URL, but a builder created
// with another base (the SDK's default graph.microsoft.com survives
// SetBaseUrl on existing builders, reference §13) leaves an absolute URL;
// then the scheme and host are dropped, and the version segment of base
// (or the default's /v1.0) is removed from the path.
func relativeURL(raw, base string) (string, error) {
	if !strings.Contains(raw, "://") {
		if !strings.HasPrefix(raw, "/") {
			raw = "/" + raw
		}
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	p := u.EscapedPath()
	prefixes := []string{"/v1.0", "/beta"}
	if b, err := url.Parse(base); err == nil && b.Path != "" {
		prefixes = append([]string{strings.TrimRight(b.EscapedPath(), "/")}, prefixes...)
	}
	for _, pre := range prefixes {
		if pre != "" && (p == pre || strings.HasPrefix(p, pre+"/")) {
			p = strings.TrimPrefix(p, pre)
			break
		}
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, nil
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
	log := d.log.With(slog.Int(logkey.Batch, n))
	for attempt := 1; len(pending) > 0; attempt++ {
		resp, err := d.sendBatch(ctx, sem, pending)
		if err != nil {
			log.WarnContext(ctx, "batch request failed", slog.Int(logkey.Items, len(pending)), slog.Int(logkey.Attempt, attempt), slog.Any(logkey.Error, err))
			for _, e := range pending {
				errs[e.index] = classify(opName(changes[e.index]), err)
			}
			return
		}
		answers, allIDs := indexAnswers(resp)
		var retry []batchEntry
		var wait time.Duration
		for _, e := range pending {
			c := changes[e.index]
			id := deref(e.item.GetId())
			r := answers[strings.ToLower(id)]
			if r == nil || r.GetStatus() == nil {
				errs[e.index] = &workflow.TransientError{Op: opName(c), Err: fmt.Errorf("graph $batch returned no answer for item %s", id)}
				continue
			}
			status := int(*r.GetStatus())
			if status >= 200 && status < 300 {
				errs[e.index] = nil
				continue
			}
			a := itemAPIError(resp, r, allIDs)
			if retryableItem(status) && attempt < d.opts.ItemMaxAttempts {
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
		log.InfoContext(ctx, "re-sending throttled batch items", slog.Int(logkey.Items, len(retry)),
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

// indexAnswers maps the answers by item id (ids are case-insensitive).
// allIDs is false when an answer has no id: the core's lookup helpers
// dereference every id and would panic on such a response.
func indexAnswers(resp msgraphgocore.BatchResponse) (map[string]msgraphgocore.BatchItem, bool) {
	m := make(map[string]msgraphgocore.BatchItem)
	allIDs := true
	for _, r := range resp.GetResponses() {
		if r == nil || r.GetId() == nil {
			allIDs = false
			continue
		}
		m[strings.ToLower(*r.GetId())] = r
	}
	return m, allIDs
}

// sendBatch posts one $batch with the given items, holding a concurrency
// slot. A panic while reading the answer (the core's item deserializer
// asserts header values are strings) is returned as an error.
func (d *Directory) sendBatch(ctx context.Context, sem chan struct{}, entries []batchEntry) (resp msgraphgocore.BatchResponse, err error) {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-sem }()
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("graph $batch answer could not be read: %v", p)
		}
	}()
	items := make([]msgraphgocore.BatchItem, len(entries))
	for i, e := range entries {
		items[i] = e.item
	}
	br := msgraphgocore.NewBatchRequest(d.adapter)
	br.SetRequests(items)
	return br.Send(ctx, d.adapter)
}

// retryableItem is the set of item statuses worth re-sending at once, the
// same set the SDK retry handler uses for whole requests.
func retryableItem(status int) bool { return status == 429 || status == 503 || status == 504 }

// backoff is base·2^(attempt-1) with up to 50% jitter.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << (attempt - 1)
	return d + time.Duration(rand.Int64N(int64(d/2)+1))
}

// itemAPIError reads a failed item: Graph's error through the error mapping
// registered for batches (an *odataerrors.ODataError), falling back to the
// raw body, plus the item's Retry-After header.
func itemAPIError(resp msgraphgocore.BatchResponse, r msgraphgocore.BatchItem, sdkSafe bool) *APIError {
	a := &APIError{Status: int(*r.GetStatus())}
	for k, v := range r.GetHeaders() {
		if strings.EqualFold(k, "Retry-After") {
			a.RetryAfter = httpx.ParseRetryAfter(v, time.Now())
		}
	}
	if sdkSafe {
		_, err := msgraphgocore.GetBatchResponseById[models.Entityable](resp, deref(r.GetId()), models.CreateEntityFromDiscriminatorValue)
		if sa, ok := apiErrorFromSDK(err); ok && sa.Code != "" {
			a.Code, a.Message, a.Targets, a.RequestID, a.sdk = sa.Code, sa.Message, sa.Targets, sa.RequestID, sa.sdk
			return a
		}
	}
	// No Content-Type item header, or a body the mapping cannot read.
	if e, ok := r.GetBody()["error"].(map[string]any); ok {
		a.Code = str(e["code"])
		a.Message = str(e["message"])
		if t := str(e["target"]); t != "" {
			a.Targets = append(a.Targets, t)
		}
		if details, ok := e["details"].([]any); ok {
			for _, dv := range details {
				if dm, ok := dv.(map[string]any); ok && str(dm["target"]) != "" {
					a.Targets = append(a.Targets, str(dm["target"]))
				}
			}
		}
		if ie, ok := e["innerError"].(map[string]any); ok {
			a.RequestID = str(ie["request-id"])
		}
	}
	return a
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case *string:
		if s != nil {
			return *s
		}
	}
	return ""
}
