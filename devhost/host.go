package devhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DefaultHostVersion is the Functions host version the emulator announces
// (X-Azure-Functions-HostVersion and User-Agent).
const DefaultHostVersion = "4.1036.1.23224"

// Readiness defaults: the host's InitializationTimeout is 30 s.
const (
	DefaultReadinessTimeout  = 30 * time.Second
	DefaultReadinessInterval = 50 * time.Millisecond
	defaultShutdownGrace     = 10 * time.Second
)

// HostOptions configures a Host.
type HostOptions struct {
	// AppRoot holds host.json and the function folders (see LoadApp).
	AppRoot string
	// HandlerURL is the custom handler's base URL, e.g.
	// "http://127.0.0.1:40123" (the host's FUNCTIONS_CUSTOMHANDLER_PORT).
	HandlerURL string
	// Broker provides the queues the Service Bus triggers read.
	Broker *Broker
	// Settings are the app settings used for %NAME% in function.json and
	// for the Service Bus namespace shown in Metadata.Client.
	Settings map[string]string
	// HostVersion is announced in headers (default DefaultHostVersion).
	HostVersion string
	// ReadinessTimeout bounds the wait for the handler's first HTTP
	// answer (default 30 s); ReadinessInterval is the polling interval.
	ReadinessTimeout  time.Duration
	ReadinessInterval time.Duration
	// ShutdownGrace is how long Run lets in-flight invocations finish after
	// its context ends before cancelling them (default 10 s).
	ShutdownGrace time.Duration
	// Namespace overrides Metadata.Client.FullyQualifiedNamespace (default:
	// the <connection>__fullyQualifiedNamespace setting, else the
	// Endpoint of the <connection> connection string, else "localhost").
	Namespace string
	// ClientIdentifier overrides Metadata.Client.Identifier (default
	// "<namespace>-<NewID()>", as the Service Bus SDK names its clients).
	ClientIdentifier string
	// FunctionKeys are the keys an HTTP trigger with authLevel "function"
	// accepts (in the code query parameter or the x-functions-key header),
	// besides MasterKey (default: DevFunctionKey). MasterKey alone opens
	// authLevel "admin" and "system" (default: DevMasterKey).
	FunctionKeys []string
	MasterKey    string
	// Now and NewID make envelopes reproducible in tests (defaults:
	// time.Now and UUIDv4). NewID is called for each invocation id, then
	// for its sys.RandGuid.
	Now   func() time.Time
	NewID func() string
	// HTTPClient calls the handler (default: a loopback client without
	// proxy or timeout; invocations are bounded by functionTimeout).
	HTTPClient *http.Client
	// Logger receives host events and the handler's Logs (default slog.Default()).
	Logger *slog.Logger
	// OnInvocation, when set, is called after every invocation.
	OnInvocation func(Invocation)
}

// Invocation describes one finished invocation of the handler.
type Invocation struct {
	Function     string
	InvocationID string
	// Trigger is the trigger binding type ("serviceBusTrigger", "httpTrigger").
	Trigger string
	// MessageID, SequenceNumber and DeliveryCount describe the message of
	// a Service Bus invocation.
	MessageID      string
	SequenceNumber int64
	DeliveryCount  int
	// StatusCode is the handler's HTTP status (0 if it did not answer).
	StatusCode int
	// ResponseStatus is, for an HTTP function, the status its caller got:
	// the one of the function's http output binding, not the handler's
	// own answer to the host (which is 200 whenever the invocation ran).
	ResponseStatus int
	// Err is nil when the invocation succeeded; otherwise a *HandlerError.
	Err error
	// Settlement is what happened to the message: "completed",
	// "abandoned", "deadlettered" (abandoned on its last delivery),
	// "lock lost" or "not settled" (autoCompleteMessages false).
	Settlement string
	// Logs are the reply's Logs entries.
	Logs     []string
	Duration time.Duration
}

// HandlerError says why the host counts an invocation as failed.
type HandlerError struct {
	Function     string
	InvocationID string
	// Kind is one of "transport" (no HTTP answer), "timeout"
	// (functionTimeout reached: the host restarts the handler), "restart"
	// (in flight while the host restarted the handler), "status"
	// (non-2xx), "content-type" (reply not labelled JSON), "body" (reply
	// not a JSON result, or a Logs entry that is not text).
	Kind       string
	StatusCode int
	Detail     string
	Err        error
}

// Error says which invocation failed and why.
func (e *HandlerError) Error() string {
	s := fmt.Sprintf("invocation %s of %s failed: %s", e.InvocationID, e.Function, e.Kind)
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying transport or timeout error, if any.
func (e *HandlerError) Unwrap() error { return e.Err }

// Host emulates the Azure Functions host in front of a custom handler: it
// waits for the handler's readiness, runs the Service Bus triggers against
// the embedded queues (up to maxConcurrentCalls concurrent invocations per
// function, complete on success, abandon on failure), and serves the HTTP
// triggers on /<routePrefix>/<route>. It reaches the handler over HTTP only,
// with the host's URL, headers and envelope.
type Host struct {
	opts    HostOptions
	app     *App
	handler *url.URL
	client  *http.Client
	ready   chan struct{}
	routes  []route
	clients map[string]clientInfo

	mu     sync.Mutex
	worker *worker // the handler "process" invocations go to

	runOnce sync.Once
}

// worker is one life of the handler process, as the host sees it. The
// host restarts the handler when an invocation exceeds functionTimeout:
// every invocation in flight on the old worker fails, and new ones wait
// until the handler answers the readiness probe again (reference §16).
// `onboard dev` runs the handler in-process, so the emulator cannot kill
// it: it cancels the in-flight requests (their contexts end in the
// handler), drops its idle connections and probes GET / again.
type worker struct {
	ctx    context.Context // ends when the host restarts the handler
	cancel context.CancelCauseFunc
	ready  chan struct{} // closed once the handler answered the readiness probe
	err    error         // why it never became ready, once ready is closed
}

func newWorker() *worker {
	w := &worker{ready: make(chan struct{})}
	w.ctx, w.cancel = context.WithCancelCause(context.Background())
	return w
}

// NewHost loads the app and checks the options; it does not contact the
// handler (Run does).
func NewHost(opts HostOptions) (*Host, error) {
	if opts.Broker == nil {
		return nil, errors.New("host: Broker is required")
	}
	u, err := url.Parse(opts.HandlerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("host: HandlerURL %q: must be an absolute http URL like http://127.0.0.1:PORT", opts.HandlerURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	app, err := LoadApp(opts.AppRoot, opts.Settings)
	if err != nil {
		return nil, err
	}
	if opts.HostVersion == "" {
		opts.HostVersion = DefaultHostVersion
	}
	if opts.ReadinessTimeout <= 0 {
		opts.ReadinessTimeout = DefaultReadinessTimeout
	}
	if opts.ReadinessInterval <= 0 {
		opts.ReadinessInterval = DefaultReadinessInterval
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = defaultShutdownGrace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = func() string { return uuid.NewString() }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	if opts.FunctionKeys == nil {
		opts.FunctionKeys = []string{DevFunctionKey}
	}
	if opts.MasterKey == "" {
		opts.MasterKey = DevMasterKey
	}
	h := &Host{opts: opts, app: app, handler: u, client: client, ready: make(chan struct{}), clients: map[string]clientInfo{},
		worker: newWorker()}
	for _, fn := range app.Functions {
		if fn.Disabled {
			continue
		}
		tr, _ := fn.Trigger()
		switch strings.ToLower(tr.Type) {
		case "servicebustrigger":
			ns := h.namespaceFor(tr.Connection)
			id := opts.ClientIdentifier
			if id == "" {
				id = ns + "-" + opts.NewID()
			}
			h.clients[fn.Name] = clientInfo{Namespace: ns, Identifier: id}
		case "httptrigger":
			r, err := newRoute(app.Host.RoutePrefix, fn, tr)
			if err != nil {
				return nil, err
			}
			h.routes = append(h.routes, r)
		}
	}
	return h, nil
}

var endpointRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)Endpoint=sb://([^/;]+)`) })

// namespaceFor finds the namespace a trigger's connection names.
func (h *Host) namespaceFor(conn string) string {
	if h.opts.Namespace != "" {
		return h.opts.Namespace
	}
	if conn == "" {
		conn = "AzureWebJobsServiceBus"
	}
	if ns := h.opts.Settings[conn+"__fullyQualifiedNamespace"]; ns != "" {
		return ns
	}
	if m := endpointRe().FindStringSubmatch(h.opts.Settings[conn]); m != nil {
		return m[1]
	}
	return "localhost"
}

// App returns the loaded function app.
func (h *Host) App() *App { return h.app }

// Ready is closed once the handler answered the readiness probe and the
// triggers are running.
func (h *Host) Ready() <-chan struct{} { return h.ready }

// WaitReady polls GET <handler>/ until any HTTP answer (the status code is
// ignored, as the host does), or fails after ReadinessTimeout.
func (h *Host) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, h.opts.ReadinessTimeout)
	defer cancel()
	probe := h.handler.String() + "/"
	var lastErr error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, probe, nil)
		resp, err := h.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("handler at %s not ready after %s: %w", probe, h.opts.ReadinessTimeout, lastErr)
			}
			return ctx.Err()
		case <-time.After(h.opts.ReadinessInterval):
		}
	}
}

// Run waits for the handler, starts maxConcurrentCalls receivers per
// Service Bus trigger, and blocks until ctx ends; then it stops receiving,
// lets in-flight invocations finish (up to ShutdownGrace) and returns. It
// may be called once.
func (h *Host) Run(ctx context.Context) error {
	err := errors.New("host: Run called twice")
	h.runOnce.Do(func() { err = h.run(ctx) })
	return err
}

func (h *Host) run(ctx context.Context) error {
	log := h.opts.Logger
	w := h.currentWorker()
	if err := h.WaitReady(ctx); err != nil {
		return err
	}
	close(w.ready)
	invokeCtx, cancelInvokes := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelInvokes()
	var wg sync.WaitGroup
	for _, fn := range h.app.Functions {
		if fn.Disabled {
			log.Info("function disabled", "function", fn.Name)
			continue
		}
		tr, _ := fn.Trigger()
		if !strings.EqualFold(tr.Type, "serviceBusTrigger") {
			continue
		}
		q, err := h.opts.Broker.Queue(tr.QueueName)
		if err != nil {
			return fmt.Errorf("function %s: %w", fn.Name, err)
		}
		log.Info("service bus trigger started", "function", fn.Name, "queue", tr.QueueName,
			"maxConcurrentCalls", h.app.Host.MaxConcurrentCalls, "dataType", tr.DataType)
		for range h.app.Host.MaxConcurrentCalls {
			wg.Go(func() { h.receiveLoop(ctx, invokeCtx, fn, tr, q) })
		}
	}
	close(h.ready)
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(h.opts.ShutdownGrace):
		log.Warn("cancelling in-flight invocations", "grace", h.opts.ShutdownGrace)
		cancelInvokes()
		<-done
	}
	return nil
}

func (h *Host) receiveLoop(ctx, invokeCtx context.Context, fn Function, tr Binding, q *Queue) {
	for {
		m, err := q.Receive(ctx)
		if err != nil {
			return // ctx ended or queue closed
		}
		h.processMessage(invokeCtx, fn, tr, q, m)
	}
}

// processMessage invokes the handler for one message and settles it the way
// the Service Bus extension does with autoCompleteMessages.
func (h *Host) processMessage(ctx context.Context, fn Function, tr Binding, q *Queue, m ReceivedMessage) {
	start := time.Now()
	invID := h.opts.NewID()
	sys := sysData{MethodName: fn.Name, UtcNow: h.opts.Now(), RandGuid: h.opts.NewID()}
	body := serviceBusEnvelope(tr.Name, strings.EqualFold(tr.DataType, "binary"), m, h.clients[fn.Name], sys)

	stopRenew := h.renewLocks(q, m)
	status, res, err := h.invoke(ctx, fn.Name, invID, body)
	stopRenew()

	inv := Invocation{Function: fn.Name, InvocationID: invID, Trigger: tr.Type, MessageID: m.MessageID,
		SequenceNumber: m.SequenceNumber, DeliveryCount: m.DeliveryCount, StatusCode: status, Err: err, Logs: res.logs}
	switch {
	case !h.app.Host.AutoCompleteMessages:
		inv.Settlement = "not settled"
	case err == nil:
		inv.Settlement = "completed"
		if cerr := q.Complete(m.LockToken); cerr != nil {
			inv.Settlement = "lock lost"
		}
	default:
		inv.Settlement = "abandoned"
		if m.DeliveryCount >= q.Options().MaxDeliveryCount {
			inv.Settlement = "deadlettered"
		}
		if aerr := q.Abandon(m.LockToken); aerr != nil {
			inv.Settlement = "lock lost"
		}
	}
	inv.Duration = time.Since(start)
	h.report(inv)
}

// renewLocks renews the message's lock every third of the lock duration until
// stopped or MaxAutoLockRenewalDuration has passed, as the host does.
func (h *Host) renewLocks(q *Queue, m ReceivedMessage) (stop func()) {
	maxRenew := h.app.Host.MaxAutoLockRenewalDuration
	if maxRenew <= 0 {
		return func() {}
	}
	every := q.Options().LockDuration / 3
	deadline := time.Now().Add(maxRenew)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				if now.After(deadline) {
					return
				}
				if _, err := q.RenewLock(m.LockToken); err != nil {
					return
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// invocationResult is the handler's reply (reference §8).
type invocationResult struct {
	outputs     map[string]json.RawMessage
	returnValue json.RawMessage
	logs        []string
}

// isJSONMediaType reports whether the host's formatters would read a reply
// with this Content-Type as JSON (application/json or text/json).
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json"
}

func (h *Host) currentWorker() *worker {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.worker
}

// restartWorker is the host's answer to a functionTimeout: it replaces
// the worker w (unless that already happened), failing every invocation
// in flight on it, and probes the handler before the next invocation.
func (h *Host) restartWorker(w *worker, function, invID string) {
	h.mu.Lock()
	if h.worker != w {
		h.mu.Unlock()
		return
	}
	next := newWorker()
	h.worker = next
	h.mu.Unlock()
	h.opts.Logger.Warn("A function timeout has occurred. Restarting worker process executing invocationId '"+invID+"'.",
		"function", function, "invocationId", invID, "functionTimeout", h.app.Host.FunctionTimeout)
	w.cancel(fmt.Errorf("the host restarted the handler after invocation %s of %s reached functionTimeout %s", invID, function, h.app.Host.FunctionTimeout))
	h.client.CloseIdleConnections()
	go func() {
		next.err = h.WaitReady(next.ctx)
		close(next.ready)
	}()
}

// invoke POSTs an envelope to /{function} and interprets the reply as the
// host does. It returns the handler's status code (0 without an answer).
// An invocation that reaches functionTimeout restarts the handler; an
// empty or null 200 reply never completes, so it ends that way too.
func (h *Host) invoke(ctx context.Context, function, invID string, body []byte) (int, invocationResult, error) {
	fail := func(kind string, status int, detail string, err error) (int, invocationResult, error) {
		return status, invocationResult{}, &HandlerError{Function: function, InvocationID: invID, Kind: kind, StatusCode: status, Detail: detail, Err: err}
	}
	w := h.currentWorker()
	select { // invocations that arrive during a restart wait for readiness
	case <-w.ready:
		if w.err != nil {
			return fail("transport", 0, "the handler did not come back after a restart", w.err)
		}
	case <-ctx.Done():
		return fail("transport", 0, "", ctx.Err())
	}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(w.ctx, cancel)()
	if t := h.app.Host.FunctionTimeout; t > 0 {
		var cancelT context.CancelFunc
		ictx, cancelT = context.WithTimeout(ictx, t)
		defer cancelT()
	}
	// ended says why ictx ended: the timeout (the handler is restarted),
	// a restart caused by another invocation, or the caller.
	ended := func(status int, err error) (int, invocationResult, error) {
		switch {
		case w.ctx.Err() != nil:
			return fail("restart", status, context.Cause(w.ctx).Error(), err)
		case ctx.Err() == nil && errors.Is(ictx.Err(), context.DeadlineExceeded):
			h.restartWorker(w, function, invID)
			return fail("timeout", status, fmt.Sprintf("functionTimeout %s reached; the host restarts the handler", h.app.Host.FunctionTimeout), context.DeadlineExceeded)
		}
		return fail("transport", status, "", err)
	}
	req, err := http.NewRequestWithContext(ictx, http.MethodPost, h.handler.String()+"/"+function, bytes.NewReader(body))
	if err != nil {
		return fail("transport", 0, "", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-HostVersion", h.opts.HostVersion)
	req.Header.Set("X-Azure-Functions-InvocationId", invID)
	req.Header.Set("User-Agent", "Azure-Functions-Host/"+h.opts.HostVersion)
	resp, err := h.client.Do(req)
	if err != nil {
		if ictx.Err() != nil {
			return ended(0, err)
		}
		return fail("transport", 0, "", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		if ictx.Err() != nil {
			return ended(resp.StatusCode, err)
		}
		return fail("transport", resp.StatusCode, "reading the reply", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail("status", resp.StatusCode, snippet(data), nil)
	}
	ct := resp.Header.Get("Content-Type")
	if !isJSONMediaType(ct) {
		return fail("content-type", resp.StatusCode,
			fmt.Sprintf("Content-Type %q is not application/json; the host rejects the reply (Invalid HttpResponseMessage)", ct), nil)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		// The host sets a result only for a non-null reply: the invocation
		// stays unfinished until functionTimeout (reference §8).
		h.opts.Logger.Warn("empty reply: the host leaves the invocation unfinished until functionTimeout; reply {\"Outputs\":{},\"Logs\":[],\"ReturnValue\":null}",
			"function", function, "invocationId", invID, "functionTimeout", h.app.Host.FunctionTimeout)
		<-ictx.Done()
		return ended(resp.StatusCode, ictx.Err())
	}
	res, err := parseResult(trimmed)
	if err != nil {
		return fail("body", resp.StatusCode, "reply is not a JSON invocation result", err)
	}
	return resp.StatusCode, res, nil
}

// parseResult reads a reply as HttpScriptInvocationResult (reference §8):
// Outputs an object, ReturnValue anything, Logs an array whose entries
// Json.NET reads as strings: a string, a number or boolean as its JSON
// text, null accepted (and not logged), an object or array an error.
func parseResult(data []byte) (invocationResult, error) {
	var raw struct {
		Outputs     map[string]json.RawMessage
		Logs        json.RawMessage
		ReturnValue json.RawMessage
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return invocationResult{}, err
	}
	res := invocationResult{outputs: raw.Outputs, returnValue: raw.ReturnValue}
	if len(raw.Logs) == 0 || string(raw.Logs) == "null" {
		return res, nil
	}
	var logs []json.RawMessage
	if err := json.Unmarshal(raw.Logs, &logs); err != nil {
		return invocationResult{}, fmt.Errorf("Logs must be an array of strings: %w", err)
	}
	for i, l := range logs {
		switch l[0] {
		case '"':
			var s string
			_ = json.Unmarshal(l, &s)
			res.logs = append(res.logs, s)
		case '{', '[':
			return invocationResult{}, fmt.Errorf("Logs[%d] is a JSON %s: the host reads Logs as strings and fails the invocation", i, map[byte]string{'{': "object", '[': "array"}[l[0]])
		case 'n':
		default:
			res.logs = append(res.logs, string(l))
		}
	}
	return res, nil
}

func snippet(b []byte) string {
	const max = 300
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// report logs an invocation and its handler logs, and calls OnInvocation.
func (h *Host) report(inv Invocation) {
	log := h.opts.Logger.With("function", inv.Function, "invocationId", inv.InvocationID)
	for _, l := range inv.Logs {
		log.Info(l, "source", "handler")
	}
	attrs := []any{"trigger", inv.Trigger, "status", inv.StatusCode, "duration", inv.Duration.Round(time.Microsecond)}
	if inv.MessageID != "" {
		attrs = append(attrs, "messageId", inv.MessageID, "deliveryCount", inv.DeliveryCount, "settlement", inv.Settlement)
	}
	if inv.Err != nil {
		log.Warn("invocation failed", append(attrs, "error", inv.Err)...)
	} else {
		log.Info("invocation succeeded", attrs...)
	}
	if h.opts.OnInvocation != nil {
		h.opts.OnInvocation(inv)
	}
}
