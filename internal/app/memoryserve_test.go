package app

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graphsim"
)

// memoryServe is serve as `onboard serve` builds it with SCHEDULER=memory
// and STATE_STORE=memory, against a fresh Graph simulator, listening on a
// loopback port; served receives what Serve returned once ctx ended.
type memoryServe struct {
	sim    *graphsim.Server
	app    *App
	cfg    config.Config
	url    string
	ctx    context.Context
	cancel context.CancelFunc
	served chan error
}

// startMemoryServe starts a memoryServe with settings added to the
// simulator's GRAPH_BASE_URL, GRAPH_AUTH=none and the memory scheduler and
// store; the test's cleanup stops it.
func startMemoryServe(t *testing.T, settings map[string]string) *memoryServe {
	t.Helper()
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	gs := httptest.NewServer(sim)
	t.Cleanup(gs.Close)
	all := map[string]string{"GRAPH_BASE_URL": gs.URL + "/v1.0", "GRAPH_AUTH": "none", "SCHEDULER": "memory", "STATE_STORE": "memory"}
	maps.Copy(all, settings)
	cfg, err := config.Load(config.FromMap(all))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := Build(ctx, cfg, slog.New(slog.DiscardHandler), Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &memoryServe{sim: sim, app: a, cfg: cfg, url: "http://" + ln.Addr().String(), ctx: ctx, cancel: cancel, served: make(chan error, 1)}
	go func() { s.served <- a.Serve(ctx, ln) }()
	return s
}
