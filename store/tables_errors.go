package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/workflow"
)

// callKind says which answers of the service mean what for the port.
type callKind int

const (
	callRead    callKind = iota // 404 → ErrNotFound
	callCreate                  // 409 → ErrConflict (already exists)
	callReplace                 // 412 → ErrConflict (stale ETag), 404 → ErrConflict (gone)
	callOther                   // no special meaning
)

// classify turns an aztables error into the Store port's vocabulary, by
// the HTTP status of the *azcore.ResponseError (see callKind); a missing
// table is never "not found" but a plain error. 408/429/5xx and failures
// without an HTTP answer become *workflow.TransientError (with the
// server's Retry-After); anything else is wrapped as is.
func classify(op, key string, err error, kind callKind) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %q: %w", op, key, err)
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		// No HTTP answer: connection refused, reset, DNS. Worth a retry later.
		return &workflow.TransientError{Op: op, Err: fmt.Errorf("%q: %w", key, err)}
	}
	switch {
	case re.StatusCode == http.StatusNotFound && re.ErrorCode == string(aztables.TableNotFound):
		return fmt.Errorf("%s %q: table missing: %w", op, key, err)
	case re.StatusCode == http.StatusNotFound && kind == callRead:
		return fmt.Errorf("%s %q: %w", op, key, workflow.ErrNotFound)
	case re.StatusCode == http.StatusNotFound && kind == callReplace:
		return fmt.Errorf("%s %q: record no longer exists (%s): %w", op, key, re.ErrorCode, workflow.ErrConflict)
	case re.StatusCode == http.StatusConflict && kind == callCreate,
		re.StatusCode == http.StatusPreconditionFailed && kind == callReplace:
		return fmt.Errorf("%s %q: %d %s: %w", op, key, re.StatusCode, re.ErrorCode, workflow.ErrConflict)
	case re.StatusCode == http.StatusRequestTimeout, re.StatusCode == http.StatusTooManyRequests, re.StatusCode >= 500:
		return &workflow.TransientError{Op: op, RetryAfter: retryAfterOf(re.RawResponse), Err: fmt.Errorf("%q: %w", key, err)}
	}
	return fmt.Errorf("%s %q: %w", op, key, err)
}

// retryAfterOf reads the Retry-After header of a failed Table Storage answer.
func retryAfterOf(resp *http.Response) time.Duration {
	if resp == nil {
		return 0
	}
	return httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
}
