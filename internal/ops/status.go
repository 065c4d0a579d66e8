package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/workflow"
)

// StatusOptions are what `onboard status` was asked.
type StatusOptions struct {
	Key    string // email, guest object id or request id
	JSON   bool   // print the record itself
	DevURL string // the dev runtime (default)
	URL    string // a deployed function app, instead of DevURL
	Code   string // function key; for DevURL the dev runtime's by default
}

// Status asks the OnboardingStatus HTTP function (GET
// /api/onboarding/{key}) and writes the onboarding for people, or the
// record as JSON.
func Status(ctx context.Context, o StatusOptions, stdout io.Writer, now time.Time) error {
	key := strings.TrimSpace(o.Key)
	if key == "" {
		return errors.New("give one onboarding key: an email address, guest object id or procurement request id")
	}
	base, fnKey := o.DevURL, o.Code
	if o.URL != "" {
		base = o.URL
	} else if fnKey == "" {
		fnKey = devhost.DevFunctionKey // onboard dev enforces authLevel too
	}
	u, err := statusURL(base, key, fnKey)
	if err != nil {
		return err
	}
	raw, err := fetchStatus(ctx, u, key)
	if errors.Is(err, errNoOnboarding) {
		return notFound(ctx, o, key, stdout, now)
	}
	if err != nil {
		return err
	}
	if o.JSON {
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			return fmt.Errorf("status answer is not JSON: %w", err)
		}
		out.WriteByte('\n')
		_, err := stdout.Write(out.Bytes())
		return err
	}
	var rec workflow.Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("status answer is not an onboarding record: %w", err)
	}
	writeStatus(stdout, rec, now)
	return nil
}

// errNoOnboarding: the status function knows no onboarding for the key.
var errNoOnboarding = errors.New("no onboarding found")

// notFound explains a key without an onboarding: an event that was
// refused or invalid leaves none, only a dead letter. On the dev runtime
// the dead letters whose event names the key (its address or request id)
// are shown; the error points to `onboard dlq list`.
func notFound(ctx context.Context, o StatusOptions, key string, stdout io.Writer, now time.Time) error {
	err := fmt.Errorf("no onboarding found for %s; an event that was refused or invalid leaves none: its dead letter says why (`onboard dlq list`)", key)
	if o.URL != "" || o.JSON {
		return err
	}
	get, _, gerr := config.UserSettings()
	if gerr != nil {
		return err
	}
	target := Target{DevURL: o.DevURL, DevURLGiven: true}
	backend, closeFn, berr := openDLQ(ctx, target, get, io.Discard)
	if berr != nil {
		return err
	}
	defer closeFn()
	dls, lerr := backend.list(ctx)
	if lerr != nil {
		return err
	}
	var found []deadLetter
	for _, dl := range dls {
		if namesKey(dl, key) {
			found = append(found, dl)
		}
	}
	if len(found) == 0 {
		return err
	}
	fmt.Fprintf(stdout, "%s: no onboarding; dead-lettered event%s naming it:\n", key, plural(len(found)))
	for _, dl := range found {
		fmt.Fprintf(stdout, "  message %s  %s, %d deliveries: %s\n", dl.MessageID, stamp(dl.DeadLetteredAt, now), dl.DeliveryCount, recordedReason(dl))
		fmt.Fprintf(stdout, "    onboard dlq show %s\n", dl.MessageID)
	}
	return fmt.Errorf("no onboarding found for %s (%d dead letter%s above)", key, len(found), plural(len(found)))
}

// namesKey reports whether a dead letter is about key: the onboarding the
// workflow recorded for it, or the address or request id in its event's
// data (a refused source records no onboarding).
func namesKey(dl deadLetter, key string) bool {
	norm, _ := workflow.NormalizeEmail(key)
	if dl.Recorded != nil && dl.Recorded.Key != "" && (dl.Recorded.Key == norm || strings.EqualFold(dl.Recorded.Key, key)) {
		return true
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(dl.Body, &doc) != nil {
		return false
	}
	if d, ok := doc["data"]; ok {
		doc = nil
		if json.Unmarshal(d, &doc) != nil {
			return false
		}
	}
	var email, requestID string
	json.Unmarshal(doc["email"], &email)
	json.Unmarshal(doc["requestId"], &requestID)
	if e, err := workflow.NormalizeEmail(email); err == nil && norm != "" && e == norm {
		return true
	}
	return requestID != "" && requestID == key
}

// statusURL is GET <base>/api/onboarding/{key}[?code=…].
func statusURL(base, key, code string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--url/--dev-url %q: must be an absolute http(s) URL", base)
	}
	// the key is one path segment, even with a '/' in it
	u.RawPath = strings.TrimRight(u.EscapedPath(), "/") + "/api/onboarding/" + url.PathEscape(key)
	u.Path = strings.TrimRight(u.Path, "/") + "/api/onboarding/" + key
	if code != "" {
		u.RawQuery = url.Values{"code": {code}}.Encode()
	}
	return u.String(), nil
}

// fetchStatus calls the status function and returns the record JSON, or
// an error saying what the function answered.
func fetchStatus(ctx context.Context, u, key string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("status function: %w (is `onboard dev` running, or is --url right?)", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("status function: reading the answer: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return raw, nil
	}
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		if strings.Contains(msg, "no onboarding") {
			return nil, errNoOnboarding
		}
		return nil, fmt.Errorf("GET %s: 404 %s (no status function there?)", redactCode(u), msg)
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fmt.Errorf("GET %s: %d: give the function key with --code", redactCode(u), resp.StatusCode)
	}
	return nil, fmt.Errorf("GET %s: %d: %s", redactCode(u), resp.StatusCode, msg)
}

// redactCode hides a function key in a URL shown in errors.
func redactCode(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Query().Get("code") == "" {
		return u
	}
	p.RawQuery = "code=REDACTED"
	return p.String()
}

// writeStatus renders a record for people.
func writeStatus(w io.Writer, rec workflow.Record, now time.Time) {
	var b strings.Builder
	row := func(k, format string, args ...any) { fmt.Fprintf(&b, "  %-13s %s\n", k, fmt.Sprintf(format, args...)) }
	fmt.Fprintf(&b, "%s: %s\n", rec.Key, rec.Phase)
	if rec.GuestID != "" {
		row("guest id", "%s", rec.GuestID)
	} else {
		row("guest id", "(not invited yet)")
	}
	if len(rec.RequestIDs) > 0 {
		row("requests", "%s", strings.Join(rec.RequestIDs, ", "))
	}
	inv := rec.Invite.Status
	if inv == "" {
		inv = "not sent"
	}
	if !rec.Invite.SentAt.IsZero() {
		inv += fmt.Sprintf(", first sent %s", stamp(rec.Invite.SentAt, now))
	}
	row("invitation", "%s", inv)
	row("emails sent", "%d", rec.Invite.EmailsSent)
	rem := fmt.Sprintf("%d sent", rec.Reminders.Sent)
	if rec.Reminders.Next > 0 {
		rem += fmt.Sprintf("; next #%d due %s", rec.Reminders.Next, stamp(rec.Reminders.NextDue, now))
		if d := rec.Reminders.NextDue.Sub(now); d > 0 {
			rem += fmt.Sprintf(" (in %s)", d.Round(time.Second))
		} else {
			rem += " (due now)"
		}
	} else {
		rem += "; none scheduled"
	}
	row("reminders", "%s", rem)
	done := make([]string, 0, len(rec.Done))
	for k := range rec.Done {
		if kind, _, _ := strings.Cut(k, ":"); kind == string(workflow.ChangeProperties) {
			k = kind
		}
		done = append(done, k)
	}
	slices.Sort(done)
	if len(done) == 0 {
		row("steps done", "none")
	} else {
		row("steps done", "%d: %s", len(done), strings.Join(done, ", "))
	}
	for _, m := range rec.Missing {
		row("missing", "%s (%s): %s", m.Change, m.State, m.Reason)
	}
	if rec.UserOrigin != "" {
		row("user", "%s by this app", rec.UserOrigin)
	}
	if rec.LastError != "" {
		row("last error", "%s", rec.LastError)
	}
	if f := rec.Failure; f != nil {
		if f.MessageID != "" {
			row("failure", "%s (message %s, %s)", f.Reason, f.MessageID, stamp(f.At, now))
		} else {
			row("failure", "%s (%s)", f.Reason, stamp(f.At, now))
		}
	}
	row("updated", "%s", stamp(rec.UpdatedAt, now))
	if len(rec.History) > 0 {
		b.WriteString("history:\n")
		for _, h := range rec.History {
			fmt.Fprintf(&b, "  %s  %-18s %s\n", stamp(h.At, now), h.Step, h.Detail)
		}
	}
	io.WriteString(w, b.String())
}

// stamp shows a time in local time, with the date only when it is not today.
func stamp(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t, now = t.Local(), now.Local()
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}
