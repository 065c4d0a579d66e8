package devhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorded is one request the fake handler received.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// fakeHandler is an httptest custom handler: it records every invocation
// (not the readiness probes) and answers with respond.
type fakeHandler struct {
	mu          sync.Mutex
	reqs        []recorded
	probes      atomic.Int32
	inflight    atomic.Int32
	maxInflight atomic.Int32
	respond     func(w http.ResponseWriter, r recorded, n int)
	ctxs        []context.Context // request contexts, by request number - 1
}

// ctxOf is the context of the n-th request (1-based).
func (f *fakeHandler) ctxOf(n int) context.Context {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ctxs[n-1]
}

func (f *fakeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		f.probes.Add(1)
		w.WriteHeader(http.StatusNotFound) // any answer counts as ready
		return
	}
	cur := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		m := f.maxInflight.Load()
		if cur <= m || f.maxInflight.CompareAndSwap(m, cur) {
			break
		}
	}
	body, _ := io.ReadAll(r.Body)
	rec := recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	f.ctxs = append(f.ctxs, r.Context())
	n := len(f.reqs)
	f.mu.Unlock()
	if f.respond != nil {
		f.respond(w, rec, n)
		return
	}
	replyOK(w)
}

func (f *fakeHandler) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func replyOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"Outputs":{},"Logs":["handled"],"ReturnValue":null}`)
}

// writeApp creates an app root with host.json and function folders.
func writeApp(t *testing.T, hostJSON string, functions map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if hostJSON != "" {
		if err := os.WriteFile(filepath.Join(dir, "host.json"), []byte(hostJSON), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, fj := range functions {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "function.json"), []byte(fj), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sbFunction(binding, queue, dataType string) string {
	dt := ""
	if dataType != "" {
		dt = fmt.Sprintf(`, "dataType": %q`, dataType)
	}
	return fmt.Sprintf(`{"bindings":[{"name":%q,"type":"serviceBusTrigger","direction":"in","queueName":%q,"connection":"ServiceBusConnection"%s}]}`, binding, queue, dt)
}

// harness runs a Host against a fake handler until the test ends.
type harness struct {
	host    *Host
	broker  *Broker
	handler *fakeHandler
	server  *httptest.Server

	mu   sync.Mutex
	invs []Invocation
}

func (h *harness) invocations() []Invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Invocation(nil), h.invs...)
}

type harnessConfig struct {
	app      string
	queue    QueueOptions
	host     HostOptions // AppRoot, HandlerURL, Broker and OnInvocation are filled in
	handler  *fakeHandler
	noRun    bool
	settings map[string]string
}

func startHarness(t *testing.T, cfg harnessConfig) *harness {
	t.Helper()
	if cfg.handler == nil {
		cfg.handler = &fakeHandler{}
	}
	if cfg.queue.Logger == nil {
		cfg.queue.Logger = quietLogger()
	}
	b, err := NewBroker(BrokerOptions{Queue: cfg.queue, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cfg.handler)
	t.Cleanup(srv.Close)
	h := &harness{broker: b, handler: cfg.handler, server: srv}
	opts := cfg.host
	opts.AppRoot, opts.HandlerURL, opts.Broker = cfg.app, srv.URL, b
	opts.Settings = cfg.settings
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	opts.OnInvocation = func(inv Invocation) {
		h.mu.Lock()
		h.invs = append(h.invs, inv)
		h.mu.Unlock()
	}
	host, err := NewHost(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.host = host
	if cfg.noRun {
		return h
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		b.Close()
	})
	select {
	case <-host.Ready():
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("host not ready")
	}
	return h
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// seqIDs returns a NewID that hands out ids in order.
func seqIDs(ids ...string) func() string {
	var mu sync.Mutex
	i := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		if i >= len(ids) {
			i++
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		}
		i++
		return ids[i-1]
	}
}

// goldenEnvelope reads a §6 example and compacts it as the host writes it
// (testdata/README.md).
func goldenEnvelope(t *testing.T, file string) []byte {
	t.Helper()
	pretty, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, pretty); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEnvelopeMatchesReferenceByteForByte(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "ref6_body.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != 301 {
		t.Fatalf("reference body is %d bytes, want 301", len(body))
	}
	enqueued := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	utcNow := time.Date(2024, 5, 1, 12, 34, 57, 123456700, time.UTC)
	cases := []struct {
		name, dataType, golden string
	}{
		{"dataType binary", "binary", "ref6_1_binary.json"},
		{"no dataType", "", "ref6_2_string.json"},
		{"dataType string", "string", "ref6_2_string.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := writeApp(t, `{"version":"2.0"}`, map[string]string{"OnboardingEvents": sbFunction("msg", "onboarding", tc.dataType)})
			h := startHarness(t, harnessConfig{
				app: app,
				// the project's queue: default TTL P14D
				queue: QueueOptions{Now: func() time.Time { return enqueued }, FirstSequenceNumber: 17,
					DefaultTTL: 14 * 24 * time.Hour, NewID: seqIDs("7ebe3bcf-bae7-455e-99ea-568500a75173")},
				// ids in the order the host takes them: its Service Bus client
				// (Identifier <namespace>-<guid>), the invocation, sys.RandGuid
				host: HostOptions{Now: func() time.Time { return utcNow },
					NewID: seqIDs("0d5c1a7e-3b9f-4c2a-8e61-5f4a2b7c9d10", "5a0c0f0e-2b1e-4a53-9c7e-2f6b8f0d1c11", "24ad4c06-24ad-4e5b-8294-3da9714877e9")},
				settings: map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net"},
			})
			q, _ := h.broker.Queue("onboarding")
			// a message the app sent itself: Subject = the CloudEvent type
			mustSend(t, q, Message{MessageID: "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a", Body: body,
				ContentType: "application/cloudevents+json; charset=utf-8", CorrelationID: "P-1042",
				Subject:               "com.contoso.procurement.partner-approved",
				ApplicationProperties: map[string]any{"origin": "procurement"}})
			eventually(t, 5*time.Second, "the invocation", func() bool { return len(h.invocations()) == 1 })

			req := h.handler.requests()[0]
			if want := goldenEnvelope(t, tc.golden); !bytes.Equal(req.Body, want) {
				t.Fatalf("envelope differs from §6:\n got %s\nwant %s", req.Body, want)
			}
			if req.Method != http.MethodPost || req.Path != "/OnboardingEvents" {
				t.Fatalf("request line = %s %s", req.Method, req.Path)
			}
			for k, want := range map[string]string{
				"Content-Type":                   "application/json; charset=utf-8",
				"X-Azure-Functions-InvocationId": "5a0c0f0e-2b1e-4a53-9c7e-2f6b8f0d1c11",
				"X-Azure-Functions-HostVersion":  "4.1036.1.23224",
				"User-Agent":                     "Azure-Functions-Host/4.1036.1.23224",
			} {
				if got := req.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			inv := h.invocations()[0]
			if inv.Err != nil || inv.Settlement != "completed" || len(inv.Logs) != 1 || inv.Logs[0] != "handled" {
				t.Fatalf("invocation = %+v", inv)
			}
			if st := q.Stats(); st.Active+st.Locked+st.DeadLetter != 0 {
				t.Fatalf("message not completed: %+v", st)
			}
		})
	}
}

func TestEnvelopeDecodesAsReferenceSection7(t *testing.T) {
	// What a Go handler does with the envelope (reference §7) must give back
	// the exact message, for awkward bodies too.
	bodies := map[string][]byte{
		"json":         []byte(`{"a":"<b>&\"q\"","n":1}`),
		"controls":     []byte("tab\tnl\ncr\r\x01\x1f\u2028\u0085"),
		"non-ascii":    []byte("Ada Lovelace – “Zürich” 🚀"),
		"empty":        {},
		"backslashes":  []byte(`C:\path\"x"`),
		"html escapes": []byte(`<script>&amp;</script>`),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			m := ReceivedMessage{Message: Message{MessageID: "id-1", Body: body, Subject: `sub"j`,
				ApplicationProperties: map[string]any{"s": "x", "i": int64(3), "f": 2.5, "b": true,
					"t": time.Date(2024, 5, 1, 1, 2, 3, 400000000, time.UTC)}},
				SequenceNumber: 5, DeliveryCount: 2, LockToken: "tok", EnqueuedTime: time.Date(2024, 5, 1, 1, 2, 3, 999000000, time.UTC),
				ExpiresAt: time.Date(2024, 5, 2, 1, 2, 3, 0, time.UTC)}
			for _, binary := range []bool{true, false} {
				env := serviceBusEnvelope("msg", binary, m, clientInfo{"ns", "id"}, sysData{"F", time.Unix(0, 0), "g"})
				var req struct {
					Data     map[string]json.RawMessage
					Metadata map[string]json.RawMessage
				}
				if err := json.Unmarshal(env, &req); err != nil {
					t.Fatalf("binary=%v: not JSON: %v\n%s", binary, err, env)
				}
				var got []byte
				if binary {
					if err := json.Unmarshal(req.Data["msg"], &got); err != nil {
						t.Fatal(err)
					}
				} else {
					var lit, text string
					if err := json.Unmarshal(req.Data["msg"], &lit); err != nil {
						t.Fatal(err)
					}
					if err := json.Unmarshal([]byte(lit), &text); err != nil {
						t.Fatal(err)
					}
					got = []byte(text)
				}
				if !bytes.Equal(got, body) {
					t.Fatalf("binary=%v: body %q, want %q", binary, got, body)
				}
				var dc struct {
					DeliveryCount  int64  `json:"DeliveryCount,string"`
					SequenceNumber int64  `json:"SequenceNumber,string"`
					Subject        string `json:"Subject"`
					Label          string `json:"Label"`
					EnqueuedUtc    string `json:"EnqueuedTimeUtc"`
					Enqueued       string `json:"EnqueuedTime"`
					ExpiresAt      string `json:"ExpiresAt"`
					Props          map[string]any
				}
				all, _ := json.Marshal(req.Metadata)
				if err := json.Unmarshal(all, &dc); err != nil {
					t.Fatal(err)
				}
				var subj string
				_ = json.Unmarshal([]byte(dc.Subject), &subj)
				if dc.DeliveryCount != 2 || dc.SequenceNumber != 5 || subj != `sub"j` || dc.Label != dc.Subject ||
					dc.EnqueuedUtc != "2024-05-01T01:02:03" || dc.Enqueued != "2024-05-01T01:02:03+00:00" ||
					dc.ExpiresAt != "2024-05-02T01:02:03+00:00" {
					t.Fatalf("metadata = %+v", dc)
				}
				if want := `{"b":true,"f":2.5,"i":3,"s":"x","t":"2024-05-01T01:02:03.4Z"}`; string(req.Metadata["ApplicationProperties"]) != want {
					t.Fatalf("ApplicationProperties = %s, want %s", req.Metadata["ApplicationProperties"], want)
				}
				for _, absent := range []string{"ContentType", "CorrelationId", "ReplyTo", "To", "DeadLetterSource", "SessionId"} {
					if _, ok := req.Metadata[absent]; ok {
						t.Errorf("null %s sent", absent)
					}
				}
			}
		})
	}
}

func TestReadinessProbe(t *testing.T) {
	app := writeApp(t, "", map[string]string{"F": sbFunction("msg", "q", "binary")})
	t.Run("waits for the handler to answer", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens yet: the probe gets connection refused
		b, _ := NewBroker(BrokerOptions{Logger: quietLogger()})
		defer b.Close()
		host, err := NewHost(HostOptions{AppRoot: app, HandlerURL: "http://" + addr, Broker: b, Logger: quietLogger(),
			ReadinessInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- host.Run(ctx) }()
		defer func() { cancel(); <-done }()
		time.Sleep(100 * time.Millisecond)
		select {
		case <-host.Ready():
			t.Fatal("ready before the handler listened")
		default:
		}
		f := &fakeHandler{}
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("port %s taken meanwhile: %v", addr, err)
		}
		srv := &http.Server{Handler: f}
		go srv.Serve(ln)
		defer srv.Close()
		select {
		case <-host.Ready():
		case <-time.After(2 * time.Second):
			t.Fatal("not ready after the handler started")
		}
		if f.probes.Load() < 1 {
			t.Fatal("no GET / probe reached the handler")
		}
		// Triggers run only now: a message is delivered.
		q, _ := b.Queue("q")
		mustSend(t, q, Message{MessageID: "m"})
		eventually(t, 2*time.Second, "an invocation", func() bool { return len(f.requests()) == 1 })
	})
	t.Run("times out", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		b, _ := NewBroker(BrokerOptions{Logger: quietLogger()})
		defer b.Close()
		host, err := NewHost(HostOptions{AppRoot: app, HandlerURL: "http://" + addr, Broker: b, Logger: quietLogger(),
			ReadinessTimeout: 150 * time.Millisecond, ReadinessInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = host.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "not ready after") {
			t.Fatalf("Run = %v, want a readiness timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("gave up after %s", d)
		}
	})
}

func TestMaxConcurrentCallsHonoured(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprintf("maxConcurrentCalls=%d", limit), func(t *testing.T) {
			app := writeApp(t, fmt.Sprintf(`{"version":"2.0","extensions":{"serviceBus":{"maxConcurrentCalls":%d}}}`, limit),
				map[string]string{"F": sbFunction("msg", "q", "binary")})
			f := &fakeHandler{respond: func(w http.ResponseWriter, _ recorded, _ int) {
				time.Sleep(25 * time.Millisecond)
				replyOK(w)
			}}
			h := startHarness(t, harnessConfig{app: app, handler: f})
			q, _ := h.broker.Queue("q")
			const n = 12
			for i := range n {
				mustSend(t, q, Message{MessageID: fmt.Sprint(i)})
			}
			eventually(t, 5*time.Second, "all invocations", func() bool { return len(h.invocations()) == n })
			if got := f.maxInflight.Load(); got != int32(limit) {
				t.Fatalf("max in-flight = %d, want exactly %d", got, limit)
			}
		})
	}
}

func TestFailuresAbandonThenDeadLetter(t *testing.T) {
	cases := []struct {
		name     string
		hostJSON string
		respond  func(w http.ResponseWriter, r recorded, n int)
		kind     string
	}{
		{"non-2xx", "", func(w http.ResponseWriter, _ recorded, _ int) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":"policy: roles[0]: privileged"}`)
		}, "status"},
		{"missing JSON content type", "", func(w http.ResponseWriter, _ recorded, _ int) {
			io.WriteString(w, `{"Outputs":{},"Logs":[],"ReturnValue":null}`) // Go labels it text/plain
		}, "content-type"},
		{"empty JSON reply never completes: ends at functionTimeout", `{"functionTimeout":"00:00:00.100"}`, func(w http.ResponseWriter, _ recorded, _ int) {
			w.Header().Set("Content-Type", "application/json")
		}, "timeout"},
		{"null reply never completes: ends at functionTimeout", `{"functionTimeout":"00:00:00.100"}`, func(w http.ResponseWriter, _ recorded, _ int) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "null")
		}, "timeout"},
		{"Logs entry is an object", "", func(w http.ResponseWriter, _ recorded, _ int) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"Outputs":{},"Logs":["ok",{"level":"info"}],"ReturnValue":null}`)
		}, "body"},
		{"Logs entry is an array", "", func(w http.ResponseWriter, _ recorded, _ int) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"Outputs":{},"Logs":[["a"]],"ReturnValue":null}`)
		}, "body"},
		{"Logs not an array", "", func(w http.ResponseWriter, _ recorded, _ int) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"Outputs":{},"Logs":"one line","ReturnValue":null}`)
		}, "body"},
		{"invalid JSON reply", "", func(w http.ResponseWriter, _ recorded, _ int) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"Outputs":`)
		}, "body"},
		{"connection dropped", "", func(w http.ResponseWriter, _ recorded, _ int) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, "transport"},
		{"functionTimeout", `{"functionTimeout":"00:00:00.100"}`, func(w http.ResponseWriter, _ recorded, _ int) {
			time.Sleep(400 * time.Millisecond)
			replyOK(w)
		}, "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := writeApp(t, tc.hostJSON, map[string]string{"F": sbFunction("msg", "q", "binary")})
			f := &fakeHandler{respond: tc.respond}
			h := startHarness(t, harnessConfig{app: app, handler: f, queue: QueueOptions{MaxDeliveryCount: 3}})
			q, _ := h.broker.Queue("q")
			mustSend(t, q, Message{MessageID: "poison", Body: []byte(`{}`)})
			eventually(t, 5*time.Second, "dead-lettering and its report", func() bool {
				return q.Stats().DeadLetter == 1 && len(h.invocations()) == 3
			})
			invs := h.invocations() // reported concurrently: order by delivery
			slices.SortFunc(invs, func(a, b Invocation) int { return a.DeliveryCount - b.DeliveryCount })
			if len(invs) != 3 {
				t.Fatalf("%d invocations, want 3 (MaxDeliveryCount)", len(invs))
			}
			for i, inv := range invs {
				var he *HandlerError
				if !errors.As(inv.Err, &he) || he.Kind != tc.kind {
					t.Fatalf("invocation %d: err = %v, want kind %s", i, inv.Err, tc.kind)
				}
				want := "abandoned"
				if i == 2 {
					want = "deadlettered"
				}
				if inv.DeliveryCount != i+1 || inv.Settlement != want {
					t.Fatalf("invocation %d: delivery %d settlement %q", i, inv.DeliveryCount, inv.Settlement)
				}
			}
			// The handler saw DeliveryCount 1, 2, 3 in the metadata.
			for i, r := range f.requests() {
				var env struct{ Metadata map[string]json.RawMessage }
				if err := json.Unmarshal(r.Body, &env); err != nil {
					t.Fatal(err)
				}
				if got, want := string(env.Metadata["DeliveryCount"]), fmt.Sprintf(`"%d"`, i+1); got != want {
					t.Fatalf("request %d: DeliveryCount %s, want %s", i, got, want)
				}
			}
			dl, _ := q.DeadLetterByID("poison")
			if dl.DeadLetterReason != ReasonMaxDeliveryCountExceeded || dl.DeliveryCount != 3 {
				t.Fatalf("dead letter = %+v", dl)
			}
		})
	}
}

func TestLogsScalarsBecomeText(t *testing.T) {
	app := writeApp(t, "", map[string]string{"F": sbFunction("msg", "q", "binary")})
	f := &fakeHandler{respond: func(w http.ResponseWriter, _ recorded, _ int) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"Outputs":{},"Logs":["text",1.50,true,null],"ReturnValue":null}`)
	}}
	h := startHarness(t, harnessConfig{app: app, handler: f})
	q, _ := h.broker.Queue("q")
	mustSend(t, q, Message{MessageID: "m"})
	eventually(t, 2*time.Second, "the invocation", func() bool { return len(h.invocations()) == 1 })
	inv := h.invocations()[0]
	if inv.Err != nil || inv.Settlement != "completed" || strings.Join(inv.Logs, "|") != "text|1.50|true" {
		t.Fatalf("invocation = %+v, want completed with logs text|1.50|true", inv)
	}
}

// TestFunctionTimeoutRestartsTheHandler: one invocation reaching
// functionTimeout makes the host restart the handler, which fails every
// invocation in flight (their requests are cancelled, as a killed process
// would drop them); the host probes the handler again before the next
// invocation, and both messages come back with DeliveryCount 2.
func TestFunctionTimeoutRestartsTheHandler(t *testing.T) {
	app := writeApp(t, `{"functionTimeout":"00:00:00.300","extensions":{"serviceBus":{"maxConcurrentCalls":2}}}`,
		map[string]string{"F": sbFunction("msg", "q", "binary")})
	stuckStarted, bystanderStarted := make(chan struct{}), make(chan struct{})
	var bystanderCancelled atomic.Bool
	f := &fakeHandler{}
	f.respond = func(w http.ResponseWriter, r recorded, n int) {
		var env struct{ Metadata map[string]json.RawMessage }
		_ = json.Unmarshal(r.Body, &env)
		id := string(env.Metadata["MessageId"])
		switch {
		case strings.Contains(id, "stuck") && strings.Contains(string(env.Metadata["DeliveryCount"]), "1"):
			close(stuckStarted)
			time.Sleep(time.Second) // past functionTimeout
		case strings.Contains(id, "bystander") && strings.Contains(string(env.Metadata["DeliveryCount"]), "1"):
			close(bystanderStarted)
			select {
			case <-f.ctxOf(n).Done():
				bystanderCancelled.Store(true)
				return
			case <-time.After(2 * time.Second):
			}
		}
		replyOK(w)
	}
	h := startHarness(t, harnessConfig{app: app, handler: f})
	q, _ := h.broker.Queue("q")
	mustSend(t, q, Message{MessageID: "stuck"})
	<-stuckStarted
	probesBefore := f.probes.Load()
	time.Sleep(150 * time.Millisecond) // half way to stuck's timeout: its deadline comes first
	mustSend(t, q, Message{MessageID: "bystander"})
	<-bystanderStarted
	eventually(t, 5*time.Second, "both messages completed on their second delivery", func() bool {
		n := 0
		for _, inv := range h.invocations() {
			if inv.Settlement == "completed" && inv.DeliveryCount == 2 {
				n++
			}
		}
		return n == 2
	})
	kinds := map[string]string{}
	for _, inv := range h.invocations() {
		var he *HandlerError
		if inv.DeliveryCount == 1 && errors.As(inv.Err, &he) {
			kinds[inv.MessageID] = he.Kind
		}
	}
	if kinds["stuck"] != "timeout" || kinds["bystander"] != "restart" {
		for _, inv := range h.invocations() {
			t.Logf("%s #%d %s %v (%s)", inv.MessageID, inv.DeliveryCount, inv.Settlement, inv.Err, inv.Duration)
		}
		t.Fatalf("first deliveries failed with %v, want stuck: timeout, bystander: restart", kinds)
	}
	if !bystanderCancelled.Load() {
		t.Fatal("the in-flight invocation's request was not cancelled by the restart")
	}
	if f.probes.Load() <= probesBefore {
		t.Fatal("no readiness probe after the restart")
	}
}

func TestJSONContentTypesAccepted(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "text/json", "Application/JSON"} {
		t.Run(ct, func(t *testing.T) {
			app := writeApp(t, "", map[string]string{"F": sbFunction("msg", "q", "")})
			f := &fakeHandler{respond: func(w http.ResponseWriter, _ recorded, _ int) {
				w.Header().Set("Content-Type", ct)
				io.WriteString(w, `{"Outputs":{},"Logs":[],"ReturnValue":null}`)
			}}
			h := startHarness(t, harnessConfig{app: app, handler: f})
			q, _ := h.broker.Queue("q")
			mustSend(t, q, Message{MessageID: "m"})
			eventually(t, 2*time.Second, "the invocation", func() bool { return len(h.invocations()) == 1 })
			if inv := h.invocations()[0]; inv.Err != nil || inv.Settlement != "completed" {
				t.Fatalf("invocation = %+v", inv)
			}
		})
	}
}

func TestLockRenewedWhileHandlerWorks(t *testing.T) {
	app := writeApp(t, "", map[string]string{"F": sbFunction("msg", "q", "binary")})
	f := &fakeHandler{respond: func(w http.ResponseWriter, _ recorded, _ int) {
		time.Sleep(450 * time.Millisecond) // three lock durations
		replyOK(w)
	}}
	h := startHarness(t, harnessConfig{app: app, handler: f, queue: QueueOptions{LockDuration: 150 * time.Millisecond}})
	q, _ := h.broker.Queue("q")
	mustSend(t, q, Message{MessageID: "slow"})
	eventually(t, 3*time.Second, "the invocation", func() bool { return len(h.invocations()) >= 1 })
	time.Sleep(160 * time.Millisecond)
	if n := len(f.requests()); n != 1 {
		t.Fatalf("%d deliveries: the lock expired during the invocation: %+v", n, h.invocations())
	}
	if inv := h.invocations()[0]; inv.Settlement != "completed" {
		t.Fatalf("settlement = %q", inv.Settlement)
	}
}

func TestAutoCompleteFalseLeavesMessageToLockExpiry(t *testing.T) {
	app := writeApp(t, `{"extensions":{"serviceBus":{"autoCompleteMessages":false,"maxAutoLockRenewalDuration":"00:00:00.010"}}}`,
		map[string]string{"F": sbFunction("msg", "q", "binary")})
	h := startHarness(t, harnessConfig{app: app, queue: QueueOptions{LockDuration: 30 * time.Millisecond, MaxDeliveryCount: 2}})
	q, _ := h.broker.Queue("q")
	mustSend(t, q, Message{MessageID: "m"})
	eventually(t, 3*time.Second, "dead-lettering after lock expiries", func() bool { return q.Stats().DeadLetter == 1 })
	for _, inv := range h.invocations() {
		if inv.Err != nil || inv.Settlement != "not settled" {
			t.Fatalf("invocation = %+v", inv)
		}
	}
}

func TestQueueNameFromAppSetting(t *testing.T) {
	app := writeApp(t, "", map[string]string{"F": sbFunction("msg", "%OnboardingQueue%", "binary")})
	h := startHarness(t, harnessConfig{app: app, settings: map[string]string{"OnboardingQueue": "onboarding-dev"}})
	if fi := h.host.Functions(); len(fi) != 1 || fi[0].Queue != "onboarding-dev" {
		t.Fatalf("functions = %+v", fi)
	}
	q, _ := h.broker.Queue("onboarding-dev")
	mustSend(t, q, Message{MessageID: "m"})
	eventually(t, 2*time.Second, "the invocation", func() bool { return len(h.invocations()) == 1 })

	b, _ := NewBroker(BrokerOptions{Logger: quietLogger()})
	defer b.Close()
	_, err := NewHost(HostOptions{AppRoot: app, HandlerURL: "http://127.0.0.1:1", Broker: b, Settings: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "OnboardingQueue") || !strings.Contains(err.Error(), "queueName") {
		t.Fatalf("missing setting: err = %v", err)
	}
}

func TestNamespaceFromConnectionSettings(t *testing.T) {
	app := writeApp(t, "", map[string]string{"F": sbFunction("msg", "q", "binary")})
	cases := map[string]map[string]string{
		"contoso.servicebus.windows.net":  {"ServiceBusConnection__fullyQualifiedNamespace": "contoso.servicebus.windows.net"},
		"fabrikam.servicebus.windows.net": {"ServiceBusConnection": "Endpoint=sb://fabrikam.servicebus.windows.net/;SharedAccessKeyName=x;SharedAccessKey=y"},
		"localhost":                       {},
	}
	for want, settings := range cases {
		b, _ := NewBroker(BrokerOptions{Logger: quietLogger()})
		h, err := NewHost(HostOptions{AppRoot: app, HandlerURL: "http://127.0.0.1:1", Broker: b, Settings: settings})
		if err != nil {
			t.Fatal(err)
		}
		if got := h.clients["F"]; got.Namespace != want || !strings.HasPrefix(got.Identifier, want+"-") {
			t.Errorf("settings %v: client = %+v, want namespace %s", settings, got, want)
		}
		b.Close()
	}
}
