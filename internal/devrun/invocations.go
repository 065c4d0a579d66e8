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

// invocationLog writes dev's one line per invocation: which message (or
// HTTP function), the status, what happened to the message and, once, the
// reason. A message that failed permanently fails fast on every
// redelivery with the same reason until the queue dead-letters it; those
// repeats are not logged again, and the last delivery says
// "dead-lettered after N deliveries: <reason>" (WARN).
type invocationLog struct {
	log     *slog.Logger
	replies *replyLogs // failed replies' Logs; may be nil

	mu    sync.Mutex
	shown map[string]string // message id → permanent failure reason already logged
}

func newInvocationLog(log *slog.Logger, replies *replyLogs) *invocationLog {
	return &invocationLog{log: log, replies: replies, shown: map[string]string{}}
}

// maxShown bounds the remembered reasons; past it they are forgotten
// (a repeat is then logged once more).
const maxShown = 10000

// Log writes the line for one invocation (devhost's OnInvocation).
func (l *invocationLog) Log(inv devhost.Invocation) {
	logs := inv.Logs
	if len(logs) == 0 && l.replies != nil {
		logs = l.replies.take(inv.InvocationID)
	}
	took := slog.Duration(logkey.Took, inv.Duration.Round(time.Millisecond))
	sum := summarize(inv, logs)
	if inv.MessageID == "" {
		// an HTTP function: the status its caller got
		status := inv.ResponseStatus
		if status == 0 {
			status = inv.StatusCode
		}
		msg := fmt.Sprintf("%s → %d", inv.Function, status)
		level := slog.LevelInfo
		if inv.Err != nil {
			level = slog.LevelWarn
			sum.text = joinNonEmpty(sum.text, inv.Err.Error())
		}
		if sum.text != "" {
			msg += ": " + sum.text
		}
		l.log.LogAttrs(context.Background(), level, msg, took)
		return
	}
	reason := sum.text
	if reason == "" && inv.Err != nil {
		reason = inv.Err.Error()
	}
	head := fmt.Sprintf("message %s", inv.MessageID)
	switch {
	case inv.Settlement == "deadlettered":
		l.forget(inv.MessageID)
		l.log.LogAttrs(context.Background(), slog.LevelWarn,
			fmt.Sprintf("%s dead-lettered after %d deliveries: %s", head, inv.DeliveryCount, reason), took)
	case sum.permanent && l.seen(inv.MessageID, reason):
		// the same known failure again: said once already
	case inv.Err == nil:
		msg := fmt.Sprintf("%s → %d %s", head, inv.StatusCode, inv.Settlement)
		if reason != "" {
			msg += ": " + reason
		}
		l.log.LogAttrs(context.Background(), slog.LevelInfo, msg, took)
	default:
		msg := fmt.Sprintf("%s → %d %s (delivery %d): %s", head, inv.StatusCode, inv.Settlement, inv.DeliveryCount, reason)
		if sum.permanent {
			msg += "; fails fast until dead-lettered"
		}
		l.log.LogAttrs(context.Background(), slog.LevelInfo, msg, took)
	}
}

// seen reports whether reason was already logged for the message, and
// remembers it.
func (l *invocationLog) seen(id, reason string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shown[id] == reason {
		return true
	}
	if len(l.shown) >= maxShown {
		clear(l.shown)
	}
	l.shown[id] = reason
	return false
}

func (l *invocationLog) forget(id string) {
	l.mu.Lock()
	delete(l.shown, id)
	l.mu.Unlock()
}

// summary is what the handler's reply Logs say, without what the line
// already says.
type summary struct {
	text      string // the outcome, or the failure reason
	permanent bool   // a permanent failure: redeliveries fail fast with it
}

// summarize reads the handler's reply logs (handlers/events.go): the
// "message <id> (delivery <n>): " head the line already says is dropped,
// `<type> event "<id>"` becomes `<type>` when the event id is the message
// id, and a failure is reduced to its reason: "permanent failure: " and
// "known failure: " (the fail-fast repeat of the same reason) and
// "; failing until dead-lettered" are the line's to say.
func summarize(inv devhost.Invocation, logs []string) summary {
	quoted := fmt.Sprintf("message %s (delivery %d)", handlers.QuoteID(inv.MessageID), inv.DeliveryCount)
	bare := fmt.Sprintf("message %s (delivery %d)", inv.MessageID, inv.DeliveryCount)
	var s summary
	var parts []string
	for _, l := range logs {
		if inv.MessageID != "" {
			for _, prefix := range []string{quoted, bare} {
				if rest, ok := strings.CutPrefix(l, prefix); ok {
					l = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
					break
				}
			}
		}
		for _, p := range []string{"permanent failure: ", "rejected: "} {
			if rest, ok := strings.CutPrefix(l, p); ok {
				s.permanent, parts = true, nil // the reason alone
				l = strings.TrimSuffix(strings.TrimPrefix(rest, "known failure: "), "; failing until dead-lettered")
			}
		}
		if inv.MessageID != "" {
			for _, id := range []string{handlers.QuoteID(inv.MessageID), inv.MessageID} {
				l = strings.Replace(l, " event "+id, "", 1)
			}
		}
		if l != "" {
			parts = append(parts, l)
		}
		if s.permanent {
			break
		}
	}
	s.text = strings.Join(parts, "; ")
	return s
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
