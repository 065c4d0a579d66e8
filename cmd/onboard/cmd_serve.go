package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/b2b-onboarding/onboard/config"
)

func init() {
	register("serve", "run the Functions custom handler (settings from the environment)", runServe)
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: onboard serve\n\nRuns the custom handler on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.\nSettings come from environment variables; see the README's Configuration table.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(config.FromEnviron())
	if err != nil {
		return err
	}
	log := newLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	a, err := buildApp(ctx, cfg, log, overrides{})
	if err != nil {
		return err
	}
	defer a.close(context.Background())
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", cfg.Port))
	if err != nil {
		return err
	}
	log.Info("custom handler listening", "addr", ln.Addr().String(), "graph", cfg.GraphBaseURL,
		"scheduler", cfg.Scheduler, "store", cfg.StateStore, "queue", cfg.Queue)
	return serveHTTP(ctx, ln, a.handler, log)
}

// httpLimits bound what one connection to the handler may hold: the host
// sends a whole invocation at once over loopback, so a peer that trickles
// its headers or body, or idles on a kept-alive connection, is cut off
// instead of pinning a goroutine and its buffers. There is no write
// timeout: an invocation may run as long as the host's functionTimeout,
// which the host enforces. The body size is bounded by the handler
// (MAX_INVOCATION_BYTES).
var httpLimits = struct {
	ReadHeader, Read, Idle time.Duration
	MaxHeaderBytes         int
}{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 2 * time.Minute, MaxHeaderBytes: 64 << 10}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: httpLimits.ReadHeader, ReadTimeout: httpLimits.Read,
		IdleTimeout: httpLimits.Idle, MaxHeaderBytes: httpLimits.MaxHeaderBytes}
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
