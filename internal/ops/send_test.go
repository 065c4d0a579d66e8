package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// repoFile is a path of the repository, from this package's directory.
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildEvent(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	data := writeFile(t, "ada.json", `{"email":"ada@fabrikam.com"}`)
	badData := writeFile(t, "bad.json", "{\n  \"email\": \"ada@fabrikam.com\",\n}")
	notEvent := writeFile(t, "data.json", `{"email":"ada@fabrikam.com"}`)
	noID := writeFile(t, "noid.json", `{"specversion":"1.0","type":"partner-approved","source":"/p","data":{}}`)
	for _, tc := range []struct {
		name    string
		spec    EventSpec
		wantErr string // substring; empty = success
		check   func(t *testing.T, id, typ, source string, data []byte)
	}{
		{name: "example file", spec: EventSpec{File: repoFile("examples", "partner-approved.json")},
			check: func(t *testing.T, id, typ, source string, data []byte) {
				if id != "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a" || typ != "partner-approved" || source != "/procurement/partners" {
					t.Errorf("id %q type %q source %q", id, typ, source)
				}
				if !strings.Contains(string(data), "grace.hopper@contoso.com") {
					t.Errorf("data %s", data)
				}
			}},
		{name: "file with --id and --source", spec: EventSpec{File: repoFile("examples", "partner-approved.json"), ID: "new-1", Source: "/other"},
			check: func(t *testing.T, id, _, source string, _ []byte) {
				if id != "new-1" || source != "/other" {
					t.Errorf("id %q source %q", id, source)
				}
			}},
		{name: "built from @file", spec: EventSpec{Type: "partner-approved", Data: "@" + data},
			check: func(t *testing.T, id, typ, source string, d []byte) {
				if len(id) != 36 || typ != "partner-approved" || source != DefaultSource || !jsonEqual(d, []byte(`{"email":"ada@fabrikam.com"}`)) {
					t.Errorf("id %q type %q source %q data %s", id, typ, source, d)
				}
			}},
		{name: "built from inline JSON", spec: EventSpec{Type: "t", Data: `{"a":1}`, ID: "x", Source: "/s"},
			check: func(t *testing.T, id, _, source string, d []byte) {
				if id != "x" || source != "/s" || !jsonEqual(d, []byte(`{"a":1}`)) {
					t.Errorf("id %q source %q data %s", id, source, d)
				}
			}},
		{name: "missing file", spec: EventSpec{File: "nope.json"}, wantErr: "FILE nope.json: no such file"},
		{name: "missing data file", spec: EventSpec{Type: "t", Data: "@nope.json"}, wantErr: "--data nope.json: no such file"},
		{name: "invalid data JSON", spec: EventSpec{Type: "t", Data: "@" + badData}, wantErr: "invalid JSON at line 3"},
		{name: "invalid inline JSON", spec: EventSpec{Type: "t", Data: "{"}, wantErr: "--data: invalid JSON"},
		{name: "data file given as FILE", spec: EventSpec{File: notEvent}, wantErr: "not a CloudEvent (no \"specversion\"); to send it as event data use: onboard send --type partner-approved --data @"},
		{name: "event failing Validate", spec: EventSpec{File: noID}, wantErr: "not a valid CloudEvent: id: MUST be a non-empty string"},
		{name: "both FILE and --type", spec: EventSpec{File: noID, Type: "t"}, wantErr: "either FILE"},
		{name: "nothing", spec: EventSpec{}, wantErr: "nothing to send"},
		{name: "--type without --data", spec: EventSpec{Type: "t"}, wantErr: "--data: required"},
		{name: "invalid source", spec: EventSpec{Type: "t", Data: "{}", Source: "%zz"}, wantErr: "--source \"%zz\": must be a URI-reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := buildEvent(tc.spec, now)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, err := encodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			// what the handler will see
			ev, err := handlers.ParseCloudEvent(servicebus.ContentTypeCloudEventsJSON, nil, body)
			if err != nil {
				t.Fatalf("handler cannot parse %s: %v", body, err)
			}
			tc.check(t, ev.ID, ev.Type, ev.Source, ev.Data)
		})
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// devOps is an ops API over a real broker, as `dev` serves it.
func devOps(t *testing.T) (*devhost.Broker, string) {
	t.Helper()
	b, err := devhost.NewBroker(devhost.BrokerOptions{Queue: devhost.QueueOptions{MaxDeliveryCount: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := httptest.NewServer(devhost.NewAdminHandler(b, nil))
	t.Cleanup(srv.Close)
	return b, srv.URL
}

func TestSendCommandToDevRuntime(t *testing.T) {
	example, err := filepath.Abs(repoFile("examples", "partner-approved.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // no local.settings.json
	for _, name := range []string{"ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace", "ONBOARDING_QUEUE"} {
		t.Setenv(name, "")
	}
	b, url := devOps(t)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := Send(ctx, SendOptions{Event: EventSpec{File: example}, Target: Target{DevURL: url, DevURLGiven: true, Queue: "onboarding"}}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); got != "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a" {
		t.Errorf("printed %q, want the event id as message id", got)
	}
	q, _ := b.Lookup("onboarding")
	m, ok := q.TryReceive()
	if !ok {
		t.Fatal("nothing on the queue")
	}
	if m.MessageID != "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a" || m.ContentType != "application/cloudevents+json; charset=utf-8" || m.Subject != "partner-approved" {
		t.Errorf("message id %q content type %q subject %q", m.MessageID, m.ContentType, m.Subject)
	}
	ev, err := handlers.ParseCloudEvent(m.ContentType, m.ApplicationProperties, m.Body)
	if err != nil || ev.Type != workflow.TypePartnerApproved {
		t.Fatalf("body not the handler's CloudEvent: %v %s", err, m.Body)
	}

	// the same file again: dropped by duplicate detection, and said so
	out.Reset()
	errOut.Reset()
	if err := Send(ctx, SendOptions{Event: EventSpec{File: example}, Target: Target{DevURL: url, DevURLGiven: true, Queue: "onboarding"}}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "dropped by duplicate detection") {
		t.Errorf("stderr %q: want the duplicate explained", errOut.String())
	}

	// --type/--data, queue taken from the runtime when not given (none
	// has a trigger here, so the default)
	out.Reset()
	if err := Send(ctx, SendOptions{Event: EventSpec{Type: "partner-approved", Data: `{"requestId":"PR-1","email":"x@y.com"}`}, Target: Target{DevURL: url, DevURLGiven: true}}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if st := q.Stats(); st.Active != 1 {
		t.Errorf("queue %+v: want the built event", st)
	}

	// an unreachable runtime is named
	err = Send(ctx, SendOptions{Event: EventSpec{File: example}, Target: Target{DevURL: "http://127.0.0.1:1", DevURLGiven: true}}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "is `onboard dev` running?") {
		t.Errorf("err = %v", err)
	}
}

func TestSendPicksServiceBusFromSettings(t *testing.T) {
	example, _ := filepath.Abs(repoFile("examples", "partner-approved.json"))
	t.Chdir(t.TempDir())
	if err := os.WriteFile(config.LocalSettingsFile, []byte(`{"Values":{"ServiceBusConnection__fullyQualifiedNamespace":"not a host"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ServiceBusConnection", "")
	var out, errOut bytes.Buffer
	// a ServiceBusConnection* setting selects Service Bus: its bad value is
	// reported by name (unchecked: no policy settings here)
	err := Send(context.Background(), SendOptions{Event: EventSpec{File: example}, Target: Target{DevURL: devhost.DefaultDevURL}, NoValidate: true}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "ServiceBusConnection__fullyQualifiedNamespace") {
		t.Fatalf("err = %v; want the setting named", err)
	}
	// an explicit --dev-url wins over the setting
	_, url := devOps(t)
	if err := Send(context.Background(), SendOptions{Event: EventSpec{File: example}, Target: Target{DevURL: url, DevURLGiven: true, Queue: "q"}}, &out, &errOut); err != nil {
		t.Fatalf("explicit --dev-url: %v", err)
	}
}
