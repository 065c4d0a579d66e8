// Package graphtest runs a graph.Directory against a graphsim tenant over
// real HTTP on 127.0.0.1, through the real msgraph-sdk-go client, for tests
// of the graph package and of packages built on it (handlers, workflow
// end-to-end tests). It also records the $batch payloads the client sends,
// so tests can check batch sizes, item URLs and bodies.
package graphtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graphsim"
)

// Env is one simulated tenant served on 127.0.0.1 and a Directory talking
// to it.
type Env struct {
	Sim     *graphsim.Server
	BaseURL string // http://127.0.0.1:PORT/v1.0
	Dir     *graph.Directory

	mu          sync.Mutex
	batches     []Batch
	inFlight    int // $batch requests being served
	maxInFlight int
}

// Batch is one recorded POST /$batch payload.
type Batch struct {
	Items []BatchItem
}

// BatchItem is one recorded $batch request item; Body is the item's body
// as sent.
type BatchItem struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// Start serves a graphsim tenant built from cfg on an httptest server and
// builds a Directory for it. opts.BaseURL is set to the server (without a
// Credential, requests carry no Authorization header); a nil
// Logger logs warnings to t; RetryDelay defaults to one second so that
// retry tests stay short. Everything is closed when the test ends.
func Start(t testing.TB, cfg graphsim.Config, opts graph.Options) *Env {
	t.Helper()
	sim, err := graphsim.New(cfg)
	if err != nil {
		t.Fatalf("graphsim: %v", err)
	}
	e := &Env{Sim: sim}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	e.BaseURL = srv.URL + "/v1.0"
	e.Dir = e.NewDirectory(t, opts)
	return e
}

// NewDirectory builds another Directory for the same tenant (e.g. with other
// batch options), with Start's defaults.
func (e *Env) NewDirectory(t testing.TB, opts graph.Options) *graph.Directory {
	t.Helper()
	opts.BaseURL = e.BaseURL
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = time.Second
	}
	d, err := graph.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("graph.New: %v", err)
	}
	return d
}

// Batches returns the $batch payloads received so far, in arrival order.
func (e *Env) Batches() []Batch {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Batch(nil), e.batches...)
}

// ResetBatches forgets the recorded payloads.
func (e *Env) ResetBatches() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batches = nil
}

// MaxBatchesInFlight is the largest number of $batch requests the server
// was serving at the same time.
func (e *Env) MaxBatchesInFlight() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxInFlight
}

// serve records $batch payloads and concurrency, and hands every request to
// the simulator unchanged.
func (e *Env) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/$batch") && r.Body != nil {
		raw, err := io.ReadAll(r.Body)
		if err == nil {
			r.Body = io.NopCloser(bytes.NewReader(raw))
			e.record(raw, r.Header.Get("Content-Encoding"))
		}
		e.mu.Lock()
		e.inFlight++
		e.maxInFlight = max(e.maxInFlight, e.inFlight)
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			e.inFlight--
			e.mu.Unlock()
		}()
	}
	e.Sim.ServeHTTP(w, r)
}

func (e *Env) record(raw []byte, encoding string) {
	if strings.EqualFold(encoding, "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return
		}
	}
	var payload struct {
		Requests []BatchItem `json:"requests"`
	}
	if json.Unmarshal(raw, &payload) != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batches = append(e.batches, Batch{Items: payload.Requests})
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
