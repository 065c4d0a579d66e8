package devhost

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeSpan(t *testing.T) {
	cases := map[string]time.Duration{
		"00:10:00":     10 * time.Minute,
		"00:00:00.100": 100 * time.Millisecond,
		"1.02:00:00":   26 * time.Hour,
		"-1":           0,
	}
	for in, want := range cases {
		got, err := parseTimeSpan(in)
		if err != nil || got != want {
			t.Errorf("%q = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"10m", "00:61:00", "00:00:00", "x.00:00:01", ""} {
		if _, err := parseTimeSpan(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLoadAppConfig(t *testing.T) {
	app := writeApp(t, `{"version":"2.0","FunctionTimeout":"00:01:00",
	  "extensions":{"ServiceBus":{"MaxConcurrentCalls":4,"maxAutoLockRenewalDuration":"00:00:30"},"http":{"routePrefix":"/v1/"}},
	  "customHandler":{"enableForwardingHttpRequest":false}}`,
		map[string]string{"A": sbFunction("msg", "q", "binary"), "B": statusFunction})
	a, err := LoadApp(app, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := HostConfig{FunctionTimeout: time.Minute, MaxConcurrentCalls: 4, MaxAutoLockRenewalDuration: 30 * time.Second,
		AutoCompleteMessages: true, RoutePrefix: "v1"}
	if a.Host != want {
		t.Fatalf("host config = %+v, want %+v", a.Host, want)
	}
	if len(a.Functions) != 2 || a.Functions[0].Name != "A" || a.Functions[1].Name != "B" {
		t.Fatalf("functions = %+v", a.Functions)
	}

	// The repository layout: functions/<name>/function.json, host.json at the root.
	nested := writeApp(t, `{"extensions":{"serviceBus":{"maxConcurrentCalls":2}}}`, map[string]string{"functions/A": sbFunction("msg", "q", "")})
	a, err = LoadApp(nested, nil)
	if err != nil || len(a.Functions) != 1 || a.Functions[0].Name != "A" || a.Host.MaxConcurrentCalls != 2 {
		t.Fatalf("nested layout: %+v, %v", a, err)
	}
}

func TestLoadAppErrorsNameTheField(t *testing.T) {
	sb := func(extra string) string {
		return `{"bindings":[{"name":"msg","type":"serviceBusTrigger","direction":"in","queueName":"q"` + extra + `}]}`
	}
	cases := []struct {
		name, host, fn, want string
	}{
		{"maxConcurrentCalls zero", `{"extensions":{"serviceBus":{"maxConcurrentCalls":0}}}`, sb(""), "maxConcurrentCalls"},
		{"bad functionTimeout", `{"functionTimeout":"5 minutes"}`, sb(""), "functionTimeout"},
		{"host.json not JSON", `{`, sb(""), "host.json"},
		{"missing queueName", "", `{"bindings":[{"name":"msg","type":"serviceBusTrigger","direction":"in"}]}`, "queueName"},
		{"topic", "", sb(`,"topicName":"t","subscriptionName":"s"`), "topicName"},
		{"sessions", "", sb(`,"isSessionsEnabled":true`), "isSessionsEnabled"},
		{"cardinality many", "", sb(`,"cardinality":"many"`), "cardinality"},
		{"bad dataType", "", sb(`,"dataType":"stream"`), "dataType"},
		{"unsupported trigger", "", `{"bindings":[{"name":"t","type":"timerTrigger","direction":"in"}]}`, "timerTrigger"},
		{"no trigger", "", `{"bindings":[{"name":"o","type":"http","direction":"out"}]}`, "exactly one trigger"},
		{"binding without name", "", `{"bindings":[{"type":"serviceBusTrigger","queueName":"q"}]}`, "bindings[0].name"},
		{"not JSON", "", `{`, "function.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := writeApp(t, tc.host, map[string]string{"F": tc.fn})
			_, err := LoadApp(app, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
	if _, err := LoadApp(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "no functions") {
		t.Fatalf("empty app: %v", err)
	}
}

func TestDisabledFunctionNotRun(t *testing.T) {
	app := writeApp(t, "", map[string]string{"F": `{"disabled":"%F_OFF%","bindings":[{"name":"msg","type":"serviceBusTrigger","direction":"in","queueName":"q"}]}`})
	h := startHarness(t, harnessConfig{app: app, settings: map[string]string{"F_OFF": "true"}})
	q, _ := h.broker.Queue("q")
	mustSend(t, q, Message{MessageID: "m"})
	time.Sleep(50 * time.Millisecond)
	if n := len(h.handler.requests()); n != 0 {
		t.Fatalf("disabled function invoked %d times", n)
	}
}
