package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTPLimits bound what one connection to the handler may hold: the host
// sends a whole invocation at once over loopback, so a peer that trickles
// its headers or body, or idles on a kept-alive connection, is cut off
// instead of pinning a goroutine and its buffers. There is no write
// timeout: an invocation may run as long as the host's functionTimeout,
// which the host enforces. The body size is bounded by the handler
// (MAX_INVOCATION_BYTES).
var HTTPLimits = struct {
	ReadHeader, Read, Idle time.Duration
	MaxHeaderBytes         int
}{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 2 * time.Minute, MaxHeaderBytes: 64 << 10}

// ServeHTTP serves h on ln with HTTPLimits until ctx ends, then shuts down
// gracefully (in-flight requests get 10 s to finish).
func ServeHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: HTTPLimits.ReadHeader, ReadTimeout: HTTPLimits.Read,
		IdleTimeout: HTTPLimits.Idle, MaxHeaderBytes: HTTPLimits.MaxHeaderBytes}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	log.Info("stopped")
	return err
}
