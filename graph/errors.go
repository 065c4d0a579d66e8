package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/workflow"
)

// APIError is a failed Graph answer reduced to what callers and logs need:
// HTTP status, Graph's error code and message, the request id and the
// Retry-After hint. It wraps the SDK error when that is safe to format.
type APIError struct {
	Status     int
	Code       string // e.g. Request_ResourceNotFound
	Message    string
	Targets    []string // error.details[].target, when Graph names properties
	RequestID  string
	RetryAfter time.Duration
	sdk        error
}

// Error reads like "graph 404 Request_ResourceNotFound: Resource 'x' does not exist".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Targets) > 0 {
		b.WriteString(" (target " + strings.Join(e.Targets, ", ") + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request-id " + e.RequestID + "]")
	}
	return b.String()
}

// Unwrap returns the SDK's error (an *odataerrors.ODataError for REST calls)
// when it carries a message; an ODataError without one panics when
// formatted, so it is not exposed.
func (e *APIError) Unwrap() error { return e.sdk }

// apiErrorFromSDK extracts an APIError from an SDK error, if it is one.
func apiErrorFromSDK(err error) (*APIError, bool) {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		a := &APIError{Status: oe.ResponseStatusCode}
		if h := oe.GetResponseHeaders(); h != nil {
			if v := h.Get("Retry-After"); len(v) > 0 {
				a.RetryAfter = httpx.ParseRetryAfter(v[0], time.Now())
			}
		}
		fillFromMainError(a, oe.GetErrorEscaped())
		if a.Message != "" {
			a.sdk = oe
		}
		return a, true
	}
	var ae *abstractions.ApiError
	if errors.As(err, &ae) && ae.ResponseStatusCode != 0 {
		a := &APIError{Status: ae.ResponseStatusCode, Message: ae.Message, sdk: ae}
		if ae.ResponseHeaders != nil {
			if v := ae.ResponseHeaders.Get("Retry-After"); len(v) > 0 {
				a.RetryAfter = httpx.ParseRetryAfter(v[0], time.Now())
			}
		}
		return a, true
	}
	return nil, false
}

func fillFromMainError(a *APIError, me odataerrors.MainErrorable) {
	if me == nil {
		return
	}
	a.Code = deref(me.GetCode())
	a.Message = deref(me.GetMessage())
	if t := deref(me.GetTarget()); t != "" {
		a.Targets = append(a.Targets, t)
	}
	for _, d := range me.GetDetails() {
		if d != nil {
			if t := deref(d.GetTarget()); t != "" {
				a.Targets = append(a.Targets, t)
			}
		}
	}
	if ie := me.GetInnerError(); ie != nil {
		a.RequestID = deref(ie.GetRequestId())
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// classifyStatus maps a failed answer to the workflow error types:
// 404 → NotFoundError, 408/429/5xx → TransientError (with Retry-After),
// other 4xx → PermanentError whose reason quotes Graph's code and message.
//
// Whether the request took effect: a 4xx answer (404 and 429 included)
// is Graph refusing it, so nothing happened (workflow.Refused); a 429 is
// marked TransientError.Refused. A 5xx or 408 proves nothing — Graph may
// have done the work before failing — so the outcome stays unknown, as it
// does for transport errors and time-outs (classify).
func classifyStatus(op string, a *APIError) error {
	switch {
	case a.Status == http.StatusNotFound:
		return &workflow.NotFoundError{Op: op, Err: a}
	case a.Status == http.StatusTooManyRequests:
		return &workflow.TransientError{Op: op, RetryAfter: a.RetryAfter, Refused: true, Err: a}
	case a.Status == http.StatusRequestTimeout || a.Status >= 500:
		return &workflow.TransientError{Op: op, RetryAfter: a.RetryAfter, Err: a}
	default:
		return &workflow.PermanentError{Op: op, Reason: permanentReason(a), Err: detailOf{a}}
	}
}

// detailOf carries the APIError under a PermanentError whose Reason already
// quotes status, code and message: its text is only what Reason lacks (the
// request id), so the message does not say everything twice.
type detailOf struct{ a *APIError }

func (d detailOf) Error() string {
	if d.a.RequestID == "" {
		return "no request id"
	}
	return "request-id " + d.a.RequestID
}

func (d detailOf) Unwrap() error { return d.a }

func permanentReason(a *APIError) string {
	reason := fmt.Sprintf("Graph %d", a.Status)
	if a.Code != "" {
		reason += " " + a.Code
	}
	if a.Message != "" {
		reason += ": " + a.Message
	}
	if len(a.Targets) > 0 {
		reason += " [" + strings.Join(a.Targets, ", ") + "]"
	}
	return reason
}

// classify turns any error of a REST call into a workflow error. Errors
// with an HTTP status go through classifyStatus; everything else (transport
// failures, time-outs, cancelled contexts, unreadable answers) is transient.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if a, ok := apiErrorFromSDK(err); ok {
		return classifyStatus(op, a)
	}
	return &workflow.TransientError{Op: op, Err: transportErr(err)}
}

// transportErr labels the usual causes so a log line tells them apart.
func transportErr(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("time-out: %w", err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("cancelled: %w", err)
	case errors.As(err, &ne):
		return fmt.Errorf("network: %w", err)
	default:
		return err
	}
}
