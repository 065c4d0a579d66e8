package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	onboard "github.com/b2b-onboarding/onboard"
	"github.com/b2b-onboarding/onboard/devhost"
)

// TestServeNeverLeavesAnInvocationUnfinished drives serve's handler through
// the host emulator with good and bad messages and status requests. The
// host never completes an invocation whose reply is empty or null (it waits
// for functionTimeout and restarts the handler), and fails one whose reply
// is not a JSON invocation result: every reply must be a JSON object. The
// app's host.json is used with a short functionTimeout, so such a reply
// would show as a "timeout" here instead of hanging the test.
func TestServeNeverLeavesAnInvocationUnfinished(t *testing.T) {
	h := newHarness(t)
	root := t.TempDir()
	if err := os.CopyFS(root, onboard.AppFiles); err != nil {
		t.Fatal(err)
	}
	hostJSON, err := os.ReadFile(filepath.Join(root, "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	short := strings.Replace(string(hostJSON), `"functionTimeout": "00:10:00"`, `"functionTimeout": "00:00:05"`, 1)
	if short == string(hostJSON) {
		t.Fatal("host.json has no functionTimeout of 00:10:00 to shorten")
	}
	if err := os.WriteFile(filepath.Join(root, "host.json"), []byte(short), 0o644); err != nil {
		t.Fatal(err)
	}
	broker, err := devhost.NewBroker(devhost.BrokerOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	var mu sync.Mutex
	var invs []devhost.Invocation
	host, err := devhost.NewHost(devhost.HostOptions{AppRoot: root, HandlerURL: h.url, Broker: broker,
		Settings: map[string]string{"ONBOARDING_QUEUE": "onboarding"}, Logger: slog.New(slog.DiscardHandler),
		OnInvocation: func(inv devhost.Invocation) { mu.Lock(); invs = append(invs, inv); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-host.Ready()
	front := httptest.NewServer(host.Handler())
	defer front.Close()

	q, _ := broker.Queue("onboarding")
	bodies := [][]byte{
		cloudEvent("partner-approved", "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a", `{"partnerId":"P-1","email":"ada@fabrikam.com","displayName":"Ada"}`),
		[]byte(`{"not":"a cloud event"}`), []byte(`{half`), {}, []byte("null"),
		cloudEvent("unknown-type", "0b0b0b0b-0000-4000-8000-000000000001", `{}`),
	}
	for _, b := range bodies {
		if _, err := q.Send(ctx, devhost.Message{Body: b, ContentType: structuredCT}); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/api/onboarding/ada@fabrikam.com", "/api/onboarding/nobody@x.com", "/api/onboarding/%20"} {
		resp, err := http.Get(front.URL + path + "?code=" + devhost.DevFunctionKey)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(invs)
		mu.Unlock()
		if st := q.Stats(); n >= len(bodies)+3 && st.Active+st.Locked == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d invocations after 20s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d invocations", len(invs))
	for _, inv := range invs {
		var he *devhost.HandlerError
		if errors.As(inv.Err, &he) && he.Kind != "status" { // a non-2xx JSON answer is a deliberate failure
			t.Errorf("%s invocation (message %q) ended with %v: the reply was not a JSON invocation result", inv.Function, inv.MessageID, inv.Err)
		}
	}
}
