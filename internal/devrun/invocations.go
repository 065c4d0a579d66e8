package devrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// replyLogs keeps the Logs of the handler's failed replies by invocation
// id. The host emulator hands OnInvocation the Logs of successful replies
// only (like the real host, it does not read the body of a non-2xx
// answer), but the reason of a failure is in exactly those Logs; dev runs
// the handler in-process, so it reads them on the way out.
type replyLogs struct {
	mu   sync.Mutex
	logs map[string][]string
}

func newReplyLogs() *replyLogs { return &replyLogs{logs: map[string][]string{}} }

// wrap returns h, capturing the Logs of every non-2xx reply.
func (c *replyLogs) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(handlers.InvocationIDHeader)
		if id == "" || r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		tw := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(tw, r)
		if tw.status >= 200 && tw.status <= 299 {
			return
		}
		var reply struct{ Logs []string }
		if json.Unmarshal(tw.body.Bytes(), &reply) == nil && len(reply.Logs) > 0 {
			c.mu.Lock()
			c.logs[id] = reply.Logs
			c.mu.Unlock()
		}
	})
}

// take returns and forgets the captured Logs of an invocation.
func (c *replyLogs) take(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.logs[id]
	delete(c.logs, id)
	return l
}

// teeWriter copies the first 64 KiB of a reply.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (t *teeWriter) WriteHeader(code int) {
	t.status = code
	t.ResponseWriter.WriteHeader(code)
}

func (t *teeWriter) Write(b []byte) (int, error) {
	if room := 64<<10 - t.body.Len(); room > 0 {
		t.body.Write(b[:min(room, len(b))])
	}
	return t.ResponseWriter.Write(b)
}

// logInvocation writes the one line per invocation: which message (or HTTP
// function), the handler's status, what happened to the message, and the
// handler's own summary from its reply logs (failed replies' logs come
// from replies, when set).
func logInvocation(log *slog.Logger, replies *replyLogs, inv devhost.Invocation) {
	level := slog.LevelInfo
	if inv.Err != nil {
		level = slog.LevelWarn
	}
	logs := inv.Logs
	if len(logs) == 0 && replies != nil {
		logs = replies.take(inv.InvocationID)
	}
	var msg string
	attrs := []slog.Attr{}
	if inv.MessageID != "" {
		msg = fmt.Sprintf("message %s → %d %s", inv.MessageID, inv.StatusCode, inv.Settlement)
		attrs = append(attrs, slog.Int(logkey.DeliveryCount, inv.DeliveryCount))
	} else {
		msg = fmt.Sprintf("%s → %d", inv.Function, inv.StatusCode)
	}
	if summary := invocationSummary(inv, logs); summary != "" {
		attrs = append(attrs, slog.String(logkey.Log, summary))
	} else if inv.Err != nil {
		attrs = append(attrs, slog.String(logkey.Error, inv.Err.Error()))
	}
	attrs = append(attrs, slog.String(logkey.Function, inv.Function), slog.Duration(logkey.Took, inv.Duration.Round(time.Millisecond)))
	log.LogAttrs(context.Background(), level, msg, attrs...)
}

// invocationSummary joins the handler's reply logs, dropping the
// "message <id> (delivery <n>): " prefix the line already says (the id as
// handlers.QuoteID renders it, or bare).
func invocationSummary(inv devhost.Invocation, logs []string) string {
	quoted := fmt.Sprintf("message %s (delivery %d)", handlers.QuoteID(inv.MessageID), inv.DeliveryCount)
	bare := fmt.Sprintf("message %s (delivery %d)", inv.MessageID, inv.DeliveryCount)
	out := make([]string, 0, len(logs))
	for _, l := range logs {
		if inv.MessageID != "" {
			for _, prefix := range []string{quoted, bare} {
				if rest, ok := strings.CutPrefix(l, prefix); ok {
					l = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
					break
				}
			}
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}
