package graphsim_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// A connection that never sent a request does not hold up shutdown: an
// HTTP client whose request was cancelled while dialling leaves one behind
// (at Ctrl-C in `onboard dev`, the handler's Graph calls are cancelled),
// and net/http waits 5 s before it counts such a connection as idle.
func TestServeStopsWithAConnectionThatSentNothing(t *testing.T) {
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond) // accepted: the server tracks it as new
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return within 2s of its context ending")
	}
}
