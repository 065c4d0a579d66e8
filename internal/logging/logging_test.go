package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerMasksEmails(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log := New(&buf, format, "info").With("key", "ada.lovelace@fabrikam.com")
		log.Info("invited grace@contoso.com", "messageId", "ada.lovelace@fabrikam.com/reminder/1",
			"error", errors.New("user bob@x.org not found"), slog.Group("g", "to", "eve@y.org"))
		log.Debug("hidden at info level")
		out := buf.String()
		for _, leak := range []string{"ada.lovelace@", "grace@", "bob@", "eve@"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s log leaks %q: %s", format, leak, out)
			}
		}
		if !strings.Contains(out, "@fabrikam.com") || strings.Contains(out, "hidden") {
			t.Errorf("%s log: %s", format, out)
		}
	}
}
