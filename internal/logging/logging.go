// Package logging builds the process logger of every onboard command:
// log/slog in text or JSON, with every e-mail address masked (DESIGN §5).
package logging

import (
	"io"
	"log/slog"
	"strings"

	"github.com/b2b-onboarding/onboard/workflow"
)

// New builds a logger from LOG_FORMAT ("json", else text) and LOG_LEVEL
// (an unknown level is info). Every string attribute, error and the
// message pass through MaskEmails, so no line carries a full address.
func New(w io.Writer, format, level string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: Level(level), ReplaceAttr: MaskEmails}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Level parses a LOG_LEVEL value; anything unknown is info.
func Level(level string) slog.Level {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToUpper(level)))
	return lv
}

// MaskEmails is a slog.HandlerOptions.ReplaceAttr that masks e-mail
// addresses (workflow.MaskEmails) in string values, errors and the
// message. slog calls it for every attribute, group members included.
func MaskEmails(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(workflow.MaskEmails(a.Value.String()))
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(workflow.MaskEmails(err.Error()))
		}
	}
	return a
}
