package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/internal/syncbuf"
	"github.com/b2b-onboarding/onboard/workflow"
)

// goldenBody is the 301-byte message body of reference §6.
const goldenMessageID = "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a"

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostString renders a .NET string the way the host does in the envelope:
// JsonConvert.SerializeObject(s), written as a JSON string.
func hostString(s string) json.RawMessage {
	inner, _ := json.Marshal(s)
	outer, _ := json.Marshal(string(inner))
	return outer
}

// envelope builds a Service Bus trigger envelope the way the host does,
// starting from the golden metadata of reference §6.1. mode is "binary"
// (base64), "string" (JSON string holding a JSON string literal) or
// "object" (a plain JSON object). meta entries replace golden ones; a nil
// value deletes the key.
type envelope struct {
	binding string
	body    []byte
	mode    string
	meta    map[string]json.RawMessage
}

func (e envelope) bytes(t *testing.T) []byte {
	t.Helper()
	var golden struct {
		Metadata map[string]json.RawMessage
	}
	if err := json.Unmarshal(readFile(t, "testdata/host-binary.json"), &golden); err != nil {
		t.Fatal(err)
	}
	meta := golden.Metadata
	for k, v := range e.meta {
		if v == nil {
			delete(meta, k)
		} else {
			meta[k] = v
		}
	}
	var data json.RawMessage
	switch e.mode {
	case "binary", "":
		data, _ = json.Marshal(base64.StdEncoding.EncodeToString(e.body))
	case "string":
		data = hostString(string(e.body))
	case "object":
		data = e.body
	default:
		t.Fatalf("unknown mode %q", e.mode)
	}
	binding := e.binding
	if binding == "" {
		binding = "msg"
	}
	b, err := json.Marshal(map[string]any{"Data": map[string]json.RawMessage{binding: data}, "Metadata": meta})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// props renders application properties as the host does: a real object.
func props(kv map[string]any) json.RawMessage {
	b, _ := json.Marshal(kv)
	return b
}

// fakeProcessor stands in for workflow.Engine.Handle.
type fakeProcessor struct {
	mu    sync.Mutex
	calls []workflow.Delivery
	fn    func(ctx context.Context, d workflow.Delivery) (workflow.Result, error)
}

func (p *fakeProcessor) Handle(ctx context.Context, d workflow.Delivery) (workflow.Result, error) {
	p.mu.Lock()
	p.calls = append(p.calls, d)
	p.mu.Unlock()
	if p.fn != nil {
		return p.fn(ctx, d)
	}
	return workflow.Result{Key: "ada@fabrikam.com", Action: "invited"}, nil
}

func (p *fakeProcessor) deliveries() []workflow.Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]workflow.Delivery(nil), p.calls...)
}

// fakeRecorder stands in for the failure log.
type fakeRecorder struct {
	mu       sync.Mutex
	failures []workflow.Failure
	err      error
}

func (r *fakeRecorder) RecordFailure(ctx context.Context, f workflow.Failure) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, f)
	return r.err
}

func (r *fakeRecorder) recorded() []workflow.Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]workflow.Failure(nil), r.failures...)
}

// syncBuffer is a goroutine-safe log sink that parses its lines.
type syncBuffer struct{ syncbuf.Buffer }

// logLines parses the JSON log lines.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// server starts the handler on a loopback test server, the way the host
// reaches it, with a JSON logger writing to the returned buffer.
func server(t *testing.T, opts handlers.Options) (*httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv := httptest.NewServer(handlers.New(opts))
	t.Cleanup(srv.Close)
	return srv, logs
}

// invokeReply is a decoded host reply plus its HTTP facts.
type invokeReply struct {
	status      int
	contentType string
	raw         map[string]json.RawMessage
	outputs     map[string]json.RawMessage
	logs        []string
}

// invoke POSTs an envelope as the host does (headers of reference §6).
func invoke(t *testing.T, srv *httptest.Server, function string, body []byte) invokeReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/"+function, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", "5a0c0f0e-2b1e-4a53-9c7e-2f6b8f0d1c11")
	req.Header.Set("X-Azure-Functions-HostVersion", "4.1036.1.23224")
	req.Header.Set("User-Agent", "Azure-Functions-Host/4.1036.1.23224")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeReply(t, resp)
}

func decodeReply(t *testing.T, resp *http.Response) invokeReply {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := invokeReply{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type")}
	if err := json.Unmarshal(b, &r.raw); err != nil {
		t.Fatalf("reply is not a JSON object: %q", b)
	}
	if err := json.Unmarshal(r.raw["Outputs"], &r.outputs); err != nil {
		t.Fatalf("Outputs is not an object: %s", b)
	}
	if err := json.Unmarshal(r.raw["Logs"], &r.logs); err != nil {
		t.Fatalf("Logs is not an array of strings: %s", b)
	}
	return r
}

// checkShape asserts the reply is exactly what the host parses.
func checkShape(t *testing.T, r invokeReply) {
	t.Helper()
	if r.contentType != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", r.contentType)
	}
	if len(r.raw) != 3 {
		t.Errorf("reply keys = %v, want Outputs, Logs, ReturnValue", keys(r.raw))
	}
	if string(r.raw["ReturnValue"]) != "null" {
		t.Errorf("ReturnValue = %s, want null", r.raw["ReturnValue"])
	}
	if len(r.logs) == 0 {
		t.Errorf("Logs is empty")
	}
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
