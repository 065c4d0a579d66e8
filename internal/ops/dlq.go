package ops

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/internal/app"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// DLQ actions.
const (
	DLQList   = "list"
	DLQShow   = "show"
	DLQReplay = "replay"
	DLQPurge  = "purge"
)

// DLQOptions are what `onboard dlq` was asked.
type DLQOptions struct {
	Action string // DLQList, DLQShow, DLQReplay or DLQPurge
	ID     string // the message id of show and replay
	JSON   bool   // list/show: print JSON
	Target Target
	// Yes confirms purge without a question (--yes). Without it purge asks
	// on Confirm (a terminal), and refuses when there is none.
	Yes     bool
	Confirm io.Reader // the answer to purge's question; nil when not a terminal
}

// ErrNotConfirmed is returned by purge without --yes and without a
// terminal to ask on (a usage error: exit 2).
var ErrNotConfirmed = errors.New("purge deletes every dead letter and cannot be undone: confirm with --yes (no terminal to ask on)")

// DLQ works on the dead-letter queue of the dev runtime or of Service Bus.
// Each dead letter is shown with the reason the workflow recorded for its
// MessageId (the state store's failure log), not only
// MaxDeliveryCountExceeded. replay resubmits a dead letter with a fresh
// MessageId and prints it; purge deletes every dead letter and prints the
// count.
func DLQ(ctx context.Context, o DLQOptions, stdout, stderr io.Writer, now time.Time) error {
	if o.Action == DLQPurge && !o.Yes && o.Confirm == nil {
		return ErrNotConfirmed // before anything is opened
	}
	get, _, err := config.UserSettings()
	if err != nil {
		return err
	}
	backend, closeFn, err := openDLQ(ctx, o.Target, get, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	switch o.Action {
	case DLQList:
		return dlqList(ctx, backend, o.JSON, stdout, now)
	case DLQShow:
		dl, err := backend.show(ctx, o.ID)
		if err != nil {
			return err
		}
		if o.JSON {
			return writeJSON(stdout, dlqJSON([]deadLetter{dl})[0])
		}
		writeDLQShow(stdout, dl, now)
		return nil
	case DLQReplay:
		newID, err := backend.replay(ctx, o.ID)
		if newID != "" {
			fmt.Fprintf(stderr, "replayed %s as %s to %s\n", o.ID, newID, backend.where())
			fmt.Fprintln(stdout, newID)
		}
		return err
	case DLQPurge:
		if !o.Yes {
			if ok, err := confirmPurge(ctx, backend, o.Confirm, stderr); !ok || err != nil {
				return err
			}
		}
		n, err := backend.purge(ctx)
		fmt.Fprintf(stdout, "purged %d dead letter%s from %s\n", n, plural(n), backend.where())
		return err
	}
	return fmt.Errorf("unknown action %q: use list, show, replay or purge", o.Action)
}

// confirmPurge asks on in (a terminal) whether to delete the dead letters
// backend holds; ok is false when there are none or the answer is not yes.
func confirmPurge(ctx context.Context, backend dlqBackend, in io.Reader, stderr io.Writer) (ok bool, err error) {
	if in == nil {
		return false, ErrNotConfirmed
	}
	dls, err := backend.list(ctx)
	if err != nil {
		return false, err
	}
	if len(dls) == 0 {
		fmt.Fprintf(stderr, "no dead letters in %s: nothing to purge\n", backend.where())
		return false, nil
	}
	fmt.Fprintf(stderr, "Delete %d dead letter%s from %s? This cannot be undone. [y/N] ", len(dls), plural(len(dls)), backend.where())
	answer, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	return false, errors.New("purge cancelled: nothing deleted")
}

func dlqList(ctx context.Context, backend dlqBackend, asJSON bool, stdout io.Writer, now time.Time) error {
	dls, err := backend.list(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, dlqJSON(dls))
	}
	if len(dls) == 0 {
		fmt.Fprintf(stdout, "no dead letters in %s\n", backend.where())
		return nil
	}
	return writeDLQList(stdout, dls, now)
}

// openDLQ opens the dev runtime's or Service Bus's dead-letter queue.
func openDLQ(ctx context.Context, target Target, get config.Getenv, stderr io.Writer) (dlqBackend, func(), error) {
	if !target.useServiceBus(get) {
		c, err := devhost.NewClient(target.DevURL, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("--dev-url: %w", err)
		}
		queue, err := target.devQueue(ctx, c, get)
		if err != nil {
			return nil, nil, err
		}
		return &devDLQ{client: c, base: strings.TrimRight(target.DevURL, "/"), queue: queue,
			http: &http.Client{Timeout: 30 * time.Second}}, func() {}, nil
	}
	queue, err := target.queueName(get, "onboarding")
	if err != nil {
		return nil, nil, err
	}
	client, conn, err := serviceBusClient(ctx, get)
	if err != nil {
		return nil, nil, err
	}
	b := &serviceBusDLQ{dl: servicebus.NewDeadLetters(client, queue, nil), namespace: conn.Namespace(), queue: queue}
	st, note := settingsStore(ctx, get)
	if note != "" {
		fmt.Fprintf(stderr, "note: recorded reasons are not shown: %s\n", note)
	}
	b.store = st
	return b, func() { client.Close(context.WithoutCancel(ctx)) }, nil
}

// settingsStore opens the state store the app settings name, to read the
// failure log; note says why there is none.
func settingsStore(ctx context.Context, get config.Getenv) (workflow.Store, string) {
	cfg, err := config.Load(get)
	if err != nil {
		return nil, "the settings do not load: " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	if cfg.StateStore == "memory" {
		return nil, "STATE_STORE=memory keeps the failure log inside the app process"
	}
	var cred azcore.TokenCredential
	if cfg.TableConnection == "" {
		if cred, err = app.NewCredential(cfg.Identity); err != nil {
			return nil, "state store: " + err.Error()
		}
	}
	st, err := app.OpenStore(ctx, cfg, cred)
	if err != nil {
		return nil, "state store: " + err.Error()
	}
	return st, ""
}

// writeDLQList renders dead letters as a table.
func writeDLQList(w io.Writer, dls []deadLetter, now time.Time) error {
	t := table{header: []string{"MESSAGE ID", "ENQUEUED", "DELIVERIES", "REASON", "RECORDED REASON"}}
	for _, dl := range dls {
		t.add(dl.MessageID, stamp(dl.EnqueuedTime, now), strconv.Itoa(dl.DeliveryCount), orDash(dl.Reason), recordedReason(dl))
	}
	return t.write(w)
}

// writeDLQShow renders one dead letter with its body.
func writeDLQShow(w io.Writer, dl deadLetter, now time.Time) {
	var b strings.Builder
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-16s %s\n", k, v)
		}
	}
	fmt.Fprintf(&b, "dead letter %s\n", dl.MessageID)
	row("enqueued", stamp(dl.EnqueuedTime, now))
	if !dl.DeadLetteredAt.IsZero() {
		row("dead-lettered", stamp(dl.DeadLetteredAt, now))
	}
	row("deliveries", strconv.Itoa(dl.DeliveryCount))
	row("reason", orDash(dl.Reason))
	row("description", dl.Description)
	row("recorded reason", recordedReason(dl))
	if dl.Recorded != nil {
		row("onboarding", dl.Recorded.Key)
		row("recorded at", stamp(dl.Recorded.At, now))
	}
	row("content type", dl.ContentType)
	row("subject", dl.Subject)
	for _, k := range slices.Sorted(maps.Keys(dl.Properties)) {
		row("property", fmt.Sprintf("%s=%v", k, dl.Properties[k]))
	}
	b.WriteString("body:\n")
	b.WriteString(indent(renderBody(dl.Body), "  "))
	io.WriteString(w, b.String())
}

// renderBody pretty-prints a JSON body (a structured CloudEvent), shows
// other text as is and binary as base64.
func renderBody(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "(empty)\n"
	}
	var out bytes.Buffer
	if json.Valid(body) && json.Indent(&out, body, "", "  ") == nil {
		return out.String() + "\n"
	}
	if isText(body) {
		return strings.TrimRight(string(body), "\n") + "\n"
	}
	return "(binary, base64) " + base64.StdEncoding.EncodeToString(body) + "\n"
}

// isText reports whether b is UTF-8 without control characters other
// than tabs and line breaks.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

func indent(s, pre string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(pre + l)
		}
	}
	return b.String()
}

func recordedReason(dl deadLetter) string {
	if dl.Recorded == nil || dl.Recorded.Reason == "" {
		return "(none recorded)"
	}
	return dl.Recorded.Reason
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// deadLetterJSON is a dead letter for --json, with the body inline when it
// is JSON and as text or base64 otherwise.
type deadLetterJSON struct {
	deadLetter
	Body       json.RawMessage `json:"body,omitempty"`
	BodyText   string          `json:"bodyText,omitempty"`
	BodyBase64 string          `json:"bodyBase64,omitempty"`
}

func dlqJSON(dls []deadLetter) []deadLetterJSON {
	out := make([]deadLetterJSON, len(dls))
	for i, dl := range dls {
		out[i].deadLetter = dl
		switch {
		case json.Valid(dl.Body):
			out[i].Body = dl.Body
		case isText(dl.Body):
			out[i].BodyText = string(dl.Body)
		default:
			out[i].BodyBase64 = base64.StdEncoding.EncodeToString(dl.Body)
		}
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
