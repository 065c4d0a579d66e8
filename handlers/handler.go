package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Default function and binding names; they must match the function.json
// files under functions/ (a test checks that they do).
const (
	DefaultEventsFunction = "OnboardingEvents"
	DefaultEventsBinding  = "msg"
	DefaultStatusFunction = "OnboardingStatus"
	DefaultStatusBinding  = "req"
	DefaultStatusOutput   = "res"
)

// InvocationIDHeader carries the host's invocation id on every POST.
const InvocationIDHeader = "X-Azure-Functions-InvocationId"

// DefaultMaxBodyBytes bounds an invocation body when Options.MaxBodyBytes
// is zero. The queue is Service Bus Standard: a message is at most 256 KB
// (body, properties and headers together); the host sends the body
// base64-encoded (dataType binary, 4/3 of it) and the application
// properties twice in Metadata, so a legitimate invocation stays well below
// 1 MiB, while a body large enough to hurt the instance is refused before
// it is read. Raise it (MAX_INVOCATION_BYTES) for a Premium namespace with
// large messages.
const DefaultMaxBodyBytes = 1 << 20

// Processor handles one queue delivery; *workflow.Engine implements it.
// A nil error completes the message; an error makes the host abandon it.
type Processor interface {
	Handle(ctx context.Context, d workflow.Delivery) (workflow.Result, error)
}

// StatusReader finds an onboarding record by email, guest id or request
// id; *workflow.Engine implements it. It returns an error wrapping
// workflow.ErrNotFound when there is none.
type StatusReader interface {
	Status(ctx context.Context, query string) (workflow.Record, error)
}

// FailureRecorder stores the reason a message failed permanently, keyed by
// MessageId, so the dead-letter listing can show it (workflow.Store's
// SaveFailure has this shape). The handler calls it for envelopes and
// CloudEvents it cannot decode, before answering 500.
type FailureRecorder interface {
	RecordFailure(ctx context.Context, f workflow.Failure) error
}

// FailureRecorderFunc adapts a function to FailureRecorder, e.g.
// handlers.FailureRecorderFunc(store.SaveFailure) for a workflow.Store.
type FailureRecorderFunc func(ctx context.Context, f workflow.Failure) error

// RecordFailure calls fn.
func (fn FailureRecorderFunc) RecordFailure(ctx context.Context, f workflow.Failure) error {
	return fn(ctx, f)
}

// Options configure New. Processor and Status may be nil, in which case
// their function answers 500 "not configured"; the name fields default to
// the Default* constants.
type Options struct {
	Processor Processor
	Status    StatusReader
	Failures  FailureRecorder // optional
	Logger    *slog.Logger    // default slog.Default()

	EventsFunction string // trigger function (folder) name, default "OnboardingEvents"
	EventsBinding  string // its serviceBusTrigger binding name, default "msg"
	StatusFunction string // status function name, default "OnboardingStatus"
	StatusBinding  string // its httpTrigger binding name, default "req"
	StatusOutput   string // its http output binding name, default "res"

	// Now stamps recorded failures; default time.Now.
	Now func() time.Time

	// MaxBodyBytes bounds an invocation body; default DefaultMaxBodyBytes.
	// A larger one is refused (500, like any undecodable message) unread.
	MaxBodyBytes int64
}

// handler is the http.Handler returned by New; it holds no mutable state,
// so concurrent invocations are safe.
type handler struct {
	opts Options
	log  *slog.Logger
}

// New returns the custom handler's HTTP handler: GET / answers the host's
// readiness probe, POST /{EventsFunction} handles Service Bus deliveries,
// POST /{StatusFunction} answers the status HTTP function; anything else
// gets a JSON 404 (or 405 for a known function with a method other than
// POST). Every answer has Content-Type application/json.
func New(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.EventsFunction == "" {
		opts.EventsFunction = DefaultEventsFunction
	}
	if opts.EventsBinding == "" {
		opts.EventsBinding = DefaultEventsBinding
	}
	if opts.StatusFunction == "" {
		opts.StatusFunction = DefaultStatusFunction
	}
	if opts.StatusBinding == "" {
		opts.StatusBinding = DefaultStatusBinding
	}
	if opts.StatusOutput == "" {
		opts.StatusOutput = DefaultStatusOutput
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &handler{opts: opts, log: opts.Logger}
}

// invokeResponse is the reply the host expects (reference §8).
type invokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("handler panic", logkey.Path, workflow.MaskEmails(r.URL.Path), logkey.Panic, workflow.MaskEmails(toString(v)))
			writeInvoke(w, http.StatusInternalServerError, nil, []string{"internal error"})
		}
	}()
	path := r.URL.Path
	if path == "/" || path == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed on /"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"status":    "ready",
			"functions": []string{h.opts.EventsFunction, h.opts.StatusFunction},
		})
		return
	}
	name := strings.TrimPrefix(path, "/")
	var serve func(http.ResponseWriter, *http.Request, string)
	switch {
	case strings.EqualFold(name, h.opts.EventsFunction):
		serve, name = h.serveEvents, h.opts.EventsFunction
	case strings.EqualFold(name, h.opts.StatusFunction):
		serve, name = h.serveStatus, h.opts.StatusFunction
	default:
		h.log.Warn("unknown function", logkey.Path, workflow.MaskEmails(path), logkey.Method, r.Method, logkey.InvocationID, r.Header.Get(InvocationIDHeader))
		writeInvoke(w, http.StatusNotFound, nil, []string{"unknown function " + QuoteID(strings.TrimPrefix(path, "/"))})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeInvoke(w, http.StatusMethodNotAllowed, nil, []string{"function " + name + " is invoked with POST"})
		return
	}
	serve(w, r, name)
}

// readEnvelope reads an invocation body of at most MaxBodyBytes; a larger
// one is refused without reading it (Content-Length) or once the limit is
// passed (chunked), so it never sits in memory whole.
func (h *handler) readEnvelope(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := h.opts.MaxBodyBytes
	tooLarge := fieldError("envelope", "the invocation body is larger than %d bytes (MAX_INVOCATION_BYTES)", limit)
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, fieldError("envelope", "cannot read request body: %v", err)
	}
	return b, nil
}

// QuoteID renders an id from a message as the reply's Logs show it: emails
// masked, shortened, in Go quotes with control characters escaped, so a
// MessageId with a line break cannot forge a line in the host's log stream.
func QuoteID(id string) string {
	const max = 128 // Service Bus's MessageId limit
	id = workflow.MaskEmails(id)
	if utf8.RuneCountInString(id) > max {
		id = string([]rune(id)[:max]) + "…"
	}
	return strconv.Quote(id)
}

// writeInvoke writes the host's invocation reply. Callers mask the logs;
// characters that could break or disguise a log line are escaped here.
func writeInvoke(w http.ResponseWriter, status int, outputs map[string]any, logs []string) {
	if outputs == nil {
		outputs = map[string]any{}
	}
	if logs == nil {
		logs = []string{}
	}
	for i, l := range logs {
		logs[i] = workflow.EscapeHidden(l)
	}
	writeJSON(w, status, invokeResponse{Outputs: outputs, Logs: logs, ReturnValue: nil})
}

// writeJSON writes v with Content-Type application/json: without it the
// host rejects the reply (reference §8).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"Outputs":{},"Logs":["cannot encode reply"],"ReturnValue":null}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
