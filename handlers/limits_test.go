package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
)

// TestEventsRefusesOversizedBodies: a body above MaxBodyBytes is refused
// without being processed, whether its size is announced (Content-Length)
// or not (chunked), and a body at the limit still goes through.
func TestEventsRefusesOversizedBodies(t *testing.T) {
	const limit = 64 << 10
	proc := &fakeProcessor{}
	srv, _ := server(t, handlers.Options{Processor: proc, MaxBodyBytes: limit})
	small := envelope{body: readFile(t, "testdata/message-body.json")}.bytes(t)
	padded := func(n int) []byte { // a valid envelope of n bytes
		var m map[string]any
		_ = json.Unmarshal(small, &m)
		m["Metadata"].(map[string]any)["Padding"] = ""
		b, _ := json.Marshal(m)
		m["Metadata"].(map[string]any)["Padding"] = strings.Repeat("x", n-len(b))
		b, _ = json.Marshal(m)
		return b
	}
	if r := invoke(t, srv, "OnboardingEvents", padded(limit)); r.status != http.StatusOK {
		t.Fatalf("a body of exactly the limit: status %d %q", r.status, r.logs)
	}
	for _, chunked := range []bool{false, true} {
		body := padded(limit + 1)
		var rd io.Reader = bytes.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // unknown length: sent chunked
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/OnboardingEvents", rd)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := decodeReply(t, resp)
		resp.Body.Close()
		if r.status != http.StatusInternalServerError || !strings.Contains(strings.Join(r.logs, " "), "envelope: the invocation body is larger than 65536 bytes (MAX_INVOCATION_BYTES)") {
			t.Errorf("chunked=%v: status %d logs %q", chunked, r.status, r.logs)
		}
	}
	if n := len(proc.deliveries()); n != 1 {
		t.Errorf("%d deliveries processed, want only the one within the limit", n)
	}
	if handlers.DefaultMaxBodyBytes != 1<<20 {
		t.Errorf("default limit %d", handlers.DefaultMaxBodyBytes)
	}
}

// TestEventsRepliesCannotForgeLogLines: ids from the message are quoted in
// the reply's Logs, and no Logs entry holds a line break, whatever the
// message carries.
func TestEventsRepliesCannotForgeLogLines(t *testing.T) {
	forged := "m-1\n2026-11-30T00:00:00Z [Information] Executed 'Functions.OnboardingEvents' (Succeeded)"
	for name, env := range map[string][]byte{
		"processed": envelope{body: readFile(t, "testdata/message-body.json"),
			meta: map[string]json.RawMessage{"MessageId": hostString(forged)}}.bytes(t),
		"rejected": envelope{body: []byte(`{"specversion":"1.0"}`),
			meta: map[string]json.RawMessage{"MessageId": hostString(forged)}}.bytes(t),
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := server(t, handlers.Options{Processor: &fakeProcessor{}, Failures: &fakeRecorder{}})
			r := invoke(t, srv, "OnboardingEvents", env)
			for _, l := range r.logs {
				if strings.ContainsAny(l, "\r\n") {
					t.Errorf("Logs entry with a line break: %q", l)
				}
			}
			if !strings.Contains(r.logs[0], `message "m-1\n2026-11-30`) {
				t.Errorf("MessageId not quoted: %q", r.logs[0])
			}
		})
	}
	srv, _ := server(t, handlers.Options{})
	r := invoke(t, srv, "Onboarding%0AEvents", []byte(`{}`))
	if r.status != http.StatusNotFound || strings.ContainsAny(strings.Join(r.logs, ""), "\r\n") {
		t.Errorf("unknown function: %d %q", r.status, r.logs)
	}
}
