package devrun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/internal/logging"
	"github.com/b2b-onboarding/onboard/workflow"
)

// consoleHandler is the human log format of `dev`: one line per record,
// "15:04:05.000 INFO  message  key=value …". Attributes are rendered by
// slog's TextHandler (quoting, groups), only the time, level and message
// columns are its own.
type consoleHandler struct {
	w     io.Writer
	color bool // level and outcome in ANSI colour
	mu    *sync.Mutex
	buf   *bytes.Buffer // shared by inner and its derivatives; guarded by mu
	inner slog.Handler  // writes the attributes into buf
}

// newConsoleHandler returns a consoleHandler writing to w at level and
// above, with e-mail addresses masked in the message and every attribute.
func newConsoleHandler(w io.Writer, level slog.Leveler, color bool) *consoleHandler {
	buf := &bytes.Buffer{}
	inner := slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return logging.MaskEmails(groups, a)
		}})
	return &consoleHandler{w: w, color: color, mu: &sync.Mutex{}, buf: buf, inner: inner}
}

func (h *consoleHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *consoleHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	attrs := strings.TrimSpace(h.buf.String())
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	level, msg := fmt.Sprintf("%-5s", levelName(r.Level)), workflow.MaskEmails(r.Message)
	if h.color {
		level, msg = logging.Colorize(levelTone(r.Level), level), colorOutcome(msg)
	}
	line := fmt.Sprintf("%s %s %s", t.Format("15:04:05.000"), level, msg)
	if attrs != "" {
		line += "  " + attrs
	}
	_, err := io.WriteString(h.w, line+"\n")
	return err
}

func (h *consoleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &consoleHandler{w: h.w, color: h.color, mu: h.mu, buf: h.buf, inner: h.inner.WithAttrs(as)}
}

func (h *consoleHandler) WithGroup(name string) slog.Handler {
	return &consoleHandler{w: h.w, color: h.color, mu: h.mu, buf: h.buf, inner: h.inner.WithGroup(name)}
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

// levelTone is the colour tone of a level (logging.Colorize).
func levelTone(l slog.Level) string { return strings.ToLower(levelName(l)) }

// outcomeRe finds the outcome in an invocation line (invocationLog):
// "→ 200 completed", "→ 404", "→ 500 abandoned", "dead-lettered after 10
// deliveries".
var outcomeRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`→ [0-9]{3}(?: [a-z]+(?: [a-z]+)?)?|dead-lettered after [0-9]+ deliveries`)
})

// colorOutcome colours the outcome of an invocation line: green for a
// completed message or a 2xx/3xx answer, yellow for a message that comes
// back or a 4xx, red for a dead letter or a 5xx answer.
func colorOutcome(msg string) string {
	return outcomeRe().ReplaceAllStringFunc(msg, func(o string) string {
		tone := "ok"
		switch {
		case strings.HasPrefix(o, "dead-lettered"), strings.HasSuffix(o, "deadlettered"):
			tone = "error"
		case strings.Contains(o, " abandoned"), strings.Contains(o, " lock lost"), strings.HasPrefix(o, "→ 4"):
			tone = "warn"
		case strings.HasPrefix(o, "→ 5"):
			tone = "error"
		}
		return logging.Colorize(tone, o)
	})
}

// dropHandler discards the records drop matches; `dev` uses it to leave out
// lines its own per-invocation line already says.
type dropHandler struct {
	next slog.Handler
	drop func(r slog.Record) bool
}

func (h dropHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h dropHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.drop(r) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h dropHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return dropHandler{next: h.next.WithAttrs(as), drop: h.drop}
}

func (h dropHandler) WithGroup(name string) slog.Handler {
	return dropHandler{next: h.next.WithGroup(name), drop: h.drop}
}

// devLoggers builds the loggers of `dev`: app for the handler, engine and
// Graph adapter, host for the host emulator. In text format both leave out
// the records the per-invocation line repeats (the handler's "event
// handled"/"status answered", the host's "invocation succeeded"/"failed"
// and its copies of the handler's reply logs, the queue's dead-lettering
// after MaxDeliveryCount, which the last delivery's line reports with the
// reason); JSON keeps everything. color colours the text format's level
// and outcomes. E-mail addresses are masked in both.
func devLoggers(w io.Writer, format, level string, color bool) (app, host *slog.Logger) {
	if format == "json" {
		l := logging.New(w, "json", level)
		return l, l
	}
	base := newConsoleHandler(w, logging.Level(level), color)
	repeats := map[string]bool{
		"event handled": true, "event failed permanently": true, "message rejected": true, "status answered": true,
		"invocation succeeded": true, "invocation failed": true,
	}
	drop := func(r slog.Record) bool {
		if repeats[r.Message] || r.Message == "message dead-lettered" && maxDeliveries(r) {
			return true
		}
		fromHandler := false
		r.Attrs(func(a slog.Attr) bool {
			fromHandler = a.Key == "source" && a.Value.String() == "handler"
			return !fromHandler
		})
		return fromHandler
	}
	l := slog.New(dropHandler{next: base, drop: drop})
	return l, l
}

// maxDeliveries reports whether a "message dead-lettered" record is the
// queue's MaxDeliveryCountExceeded one.
func maxDeliveries(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == "reason" && a.Value.String() == devhost.ReasonMaxDeliveryCountExceeded
		return !found
	})
	return found
}
