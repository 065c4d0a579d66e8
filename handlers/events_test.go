package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// goldenEvent is what the reference §6 message body must decode to.
func goldenEvent() workflow.Event {
	return workflow.Event{
		ID:     goldenMessageID,
		Type:   "com.contoso.procurement.partner-approved",
		Source: "/procurement/partners",
		Time:   time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC),
		Data:   json.RawMessage(`{"partnerId":"P-1042","email":"ada@fabrikam.com","displayName":"Ada Lovelace"}`),
	}
}

// binaryModeProps are the attributes of the golden event as binary-mode
// application properties with the given prefix.
func binaryModeProps(prefix string) map[string]any {
	return map[string]any{
		prefix + "specversion":    "1.0",
		prefix + "id":             goldenMessageID,
		prefix + "type":           "com.contoso.procurement.partner-approved",
		prefix + "source":         "/procurement/partners",
		prefix + "time":           "2024-05-01T12:34:56Z",
		prefix + "subject":        "P-1042",
		prefix + "onboardattempt": "2",
		"origin":                  "procurement",
	}
}

const goldenData = `{"partnerId":"P-1042","email":"ada@fabrikam.com","displayName":"Ada Lovelace"}`

func sameEvent(t *testing.T, got, want workflow.Event) {
	t.Helper()
	var gd, wd any
	if err := json.Unmarshal(got.Data, &gd); err != nil {
		t.Fatalf("delivered data is not JSON: %q", got.Data)
	}
	_ = json.Unmarshal(want.Data, &wd)
	if !reflect.DeepEqual(gd, wd) {
		t.Errorf("data = %s, want %s", got.Data, want.Data)
	}
	got.Data, want.Data = nil, nil
	if !got.Time.Equal(want.Time) {
		t.Errorf("time = %v, want %v", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if len(got.Extensions) == 0 {
		got.Extensions = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event = %+v\nwant    %+v", got, want)
	}
}

// TestEventsDecodesHostEnvelopes posts envelopes in the host's exact format
// (the two reference bodies verbatim, then variants) and checks the
// delivery the processor receives.
func TestEventsDecodesHostEnvelopes(t *testing.T) {
	withExt := goldenEvent()
	withExt.Subject = "P-1042"
	withExt.Extensions = map[string]string{"onboardattempt": "2"}

	cases := []struct {
		name      string
		body      func(t *testing.T) []byte
		wantCount int
		want      workflow.Event
	}{
		{"reference 6.1 binary dataType verbatim", func(t *testing.T) []byte { return readFile(t, "testdata/host-binary.json") }, 1, goldenEvent()},
		{"reference 6.2 string mode verbatim", func(t *testing.T) []byte { return readFile(t, "testdata/host-string.json") }, 1, goldenEvent()},
		{"plain JSON object body", func(t *testing.T) []byte {
			return envelope{body: readFile(t, "testdata/message-body.json"), mode: "object"}.bytes(t)
		}, 1, goldenEvent()},
		{"structured, redelivered (DeliveryCount 3)", func(t *testing.T) []byte {
			return envelope{body: readFile(t, "testdata/message-body.json"), meta: map[string]json.RawMessage{"DeliveryCount": json.RawMessage(`"3"`)}}.bytes(t)
		}, 3, goldenEvent()},
		{"structured without ContentType (body has specversion)", func(t *testing.T) []byte {
			return envelope{body: readFile(t, "testdata/message-body.json"), meta: map[string]json.RawMessage{"ContentType": nil}}.bytes(t)
		}, 1, goldenEvent()},
		{"binary mode cloudEvents_ prefix, binary dataType", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: map[string]json.RawMessage{
				"ContentType":           hostString("application/json"),
				"ApplicationProperties": props(binaryModeProps("cloudEvents_")),
				"UserProperties":        props(binaryModeProps("cloudEvents_")),
			}}.bytes(t)
		}, 1, withExt},
		{"binary mode cloudEvents: prefix, binary dataType", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: map[string]json.RawMessage{
				"ContentType":           hostString("application/json"),
				"ApplicationProperties": props(binaryModeProps("cloudEvents:")),
			}}.bytes(t)
		}, 1, withExt},
		{"binary mode cloudEvents_ prefix, string mode", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), mode: "string", meta: map[string]json.RawMessage{
				"ContentType":           hostString("application/json"),
				"ApplicationProperties": props(binaryModeProps("cloudEvents_")),
			}}.bytes(t)
		}, 1, withExt},
		{"binary mode, extension 4.x UserProperties only", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: map[string]json.RawMessage{
				"ContentType":           hostString("application/json"),
				"ApplicationProperties": nil,
				"UserProperties":        props(binaryModeProps("cloudEvents_")),
			}}.bytes(t)
		}, 1, withExt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proc := &fakeProcessor{}
			rec := &fakeRecorder{}
			srv, _ := server(t, handlers.Options{Processor: proc, Failures: rec})
			r := invoke(t, srv, "OnboardingEvents", tc.body(t))
			checkShape(t, r)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, logs %q", r.status, r.logs)
			}
			ds := proc.deliveries()
			if len(ds) != 1 {
				t.Fatalf("processor called %d times", len(ds))
			}
			d := ds[0]
			if d.MessageID != goldenMessageID || d.DeliveryCount != tc.wantCount {
				t.Errorf("delivery = %q/%d, want %q/%d", d.MessageID, d.DeliveryCount, goldenMessageID, tc.wantCount)
			}
			sameEvent(t, d.Event, tc.want)
			if n := len(rec.recorded()); n != 0 {
				t.Errorf("failure recorded for a good message: %+v", rec.recorded())
			}
		})
	}
}

// TestEventsRejectsBadMessages: undecodable envelopes and invalid
// CloudEvents fail fast with 500, a reason naming the field, a log line,
// and the failure recorded under the MessageId.
func TestEventsRejectsBadMessages(t *testing.T) {
	structured := func(mutate func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal([]byte(`{"specversion":"1.0","type":"partner-approved","source":"/procurement","id":"e-1","datacontenttype":"application/json","data":{"email":"ada@fabrikam.com"}}`), &m)
		mutate(m)
		b, _ := json.Marshal(m)
		return b
	}
	binary := func(mutate func(p map[string]any)) map[string]json.RawMessage {
		p := binaryModeProps("cloudEvents_")
		mutate(p)
		return map[string]json.RawMessage{"ContentType": hostString("application/json"), "ApplicationProperties": props(p)}
	}
	cases := []struct {
		name       string
		body       func(t *testing.T) []byte
		wantReason []string // substrings of the recorded reason
		noRecord   bool     // no MessageId known: nothing to record
	}{
		{"structured: missing id", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { delete(m, "id") })}.bytes(t)
		}, []string{"cloudevent.id", "MUST be a non-empty string"}, false},
		{"structured: bad specversion", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { m["specversion"] = "2.0" })}.bytes(t)
		}, []string{"cloudevent.specversion", "2.0"}, false},
		{"structured: no specversion", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { delete(m, "specversion") })}.bytes(t)
		}, []string{"cloudevent.specversion"}, false},
		{"structured: missing type and source", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { delete(m, "type"); delete(m, "source") })}.bytes(t)
		}, []string{"cloudevent.source", "cloudevent.type"}, false},
		{"structured: body not JSON", func(t *testing.T) []byte {
			return envelope{body: []byte("not json")}.bytes(t)
		}, []string{"cloudevent", "not a valid CloudEvent"}, false},
		{"structured: text data", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { m["datacontenttype"] = "text/plain"; m["data"] = "hello" })}.bytes(t)
		}, []string{"cloudevent.data", "must be JSON"}, false},
		{"batch content type", func(t *testing.T) []byte {
			return envelope{body: []byte("[]"), meta: map[string]json.RawMessage{"ContentType": hostString("application/cloudevents-batch+json")}}.bytes(t)
		}, []string{"ContentType", "batched"}, false},
		{"binary: mixed prefixes", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: binary(func(p map[string]any) { p["cloudEvents:partner"] = "x" })}.bytes(t)
		}, []string{"ApplicationProperties", "cloudEvents_", "cloudEvents:", "mixes"}, false},
		{"binary: missing id", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: binary(func(p map[string]any) { delete(p, "cloudEvents_id") })}.bytes(t)
		}, []string{"ApplicationProperties.cloudEvents_id", "MUST be a non-empty string"}, false},
		{"binary: missing specversion", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: binary(func(p map[string]any) { delete(p, "cloudEvents_specversion") })}.bytes(t)
		}, []string{"ApplicationProperties.cloudEvents_specversion", "REQUIRED"}, false},
		{"binary: bad specversion", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: binary(func(p map[string]any) { p["cloudEvents_specversion"] = "9.9" })}.bytes(t)
		}, []string{"ApplicationProperties.cloudEvents_specversion", "9.9"}, false},
		{"binary: bad time", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: binary(func(p map[string]any) { p["cloudEvents_time"] = "yesterday" })}.bytes(t)
		}, []string{"ApplicationProperties.cloudEvents_time", "RFC 3339"}, false},
		{"binary: object-valued attribute", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: binary(func(p map[string]any) { p["cloudEvents_type"] = map[string]any{"a": 1} })}.bytes(t)
		}, []string{"ApplicationProperties.cloudEvents_type", "string, number or boolean"}, false},
		{"binary: non-JSON body", func(t *testing.T) []byte {
			return envelope{body: []byte("hello"), meta: map[string]json.RawMessage{
				"ContentType": hostString("text/plain"), "ApplicationProperties": props(binaryModeProps("cloudEvents_"))}}.bytes(t)
		}, []string{"body", "must be JSON", "text/plain"}, false},
		{"not a CloudEvent", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: map[string]json.RawMessage{"ContentType": hostString("application/json")}}.bytes(t)
		}, []string{"ContentType", "not a CloudEvent"}, false},
		{"bad base64", func(t *testing.T) []byte {
			b := envelope{body: []byte("x")}.bytes(t)
			var m map[string]map[string]json.RawMessage
			_ = json.Unmarshal(b, &m)
			m["Data"]["msg"] = json.RawMessage(`"eyJzcGVj!!!"`)
			out, _ := json.Marshal(m)
			return out
		}, []string{"Data.msg", "base64"}, false},
		{"string mode, broken inner literal", func(t *testing.T) []byte {
			b := envelope{body: []byte("x")}.bytes(t)
			var m map[string]map[string]json.RawMessage
			_ = json.Unmarshal(b, &m)
			m["Data"]["msg"] = json.RawMessage(`"\"{\\\"specversion\\\":"`)
			out, _ := json.Marshal(m)
			return out
		}, []string{"Data.msg", "string literal"}, false},
		{"missing trigger binding", func(t *testing.T) []byte {
			return envelope{binding: "message", body: []byte(goldenData)}.bytes(t)
		}, []string{"Data.msg", "missing"}, false},
		{"DeliveryCount not a number", func(t *testing.T) []byte {
			return envelope{body: readFile(t, "testdata/message-body.json"), meta: map[string]json.RawMessage{"DeliveryCount": json.RawMessage(`"abc"`)}}.bytes(t)
		}, []string{"Metadata.DeliveryCount", "integer"}, false},
		{"MessageId not a string", func(t *testing.T) []byte {
			return envelope{body: readFile(t, "testdata/message-body.json"), meta: map[string]json.RawMessage{"MessageId": json.RawMessage(`{}`)}}.bytes(t)
		}, []string{"Metadata.MessageId"}, true},
		{"envelope not JSON", func(t *testing.T) []byte { return []byte(`{"Data":`) }, []string{"envelope"}, true},
		{"structured: data and data_base64", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { m["data_base64"] = "eyJlbWFpbCI6ImV2ZUBldmlsLmV4YW1wbGUifQ==" })}.bytes(t)
		}, []string{"cloudevent.data_base64", "mutually exclusive"}, false},
		{"structured: type given twice", func(t *testing.T) []byte {
			b := readFile(t, "testdata/message-body.json")
			return envelope{body: []byte(strings.Replace(string(b), `"type":`, `"type":"reminder-due","type":`, 1))}.bytes(t)
		}, []string{"cloudevent.type", "duplicate key"}, false},
		{"structured: type in two cases", func(t *testing.T) []byte {
			b := readFile(t, "testdata/message-body.json")
			return envelope{body: []byte(strings.Replace(string(b), `"type":`, `"Type":"reminder-due","type":`, 1))}.bytes(t)
		}, []string{"cloudevent.type", `duplicates "Type" in another case`}, false},
		{"structured: line break in id", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { m["id"] = "e-1\nlevel=INFO msg=forged" })}.bytes(t)
		}, []string{"cloudevent.id", "control character U+000A"}, false},
		{"structured: bidi override in type", func(t *testing.T) []byte {
			return envelope{body: structured(func(m map[string]any) { m["type"] = "partner-\u202eapproved" })}.bytes(t)
		}, []string{"cloudevent.type", "bidirectional control U+202E"}, false},
		{"binary: zero-width space in id, control in an extension", func(t *testing.T) []byte {
			return envelope{body: []byte(goldenData), meta: binary(func(p map[string]any) {
				p["cloudEvents_id"] = "e\u200b1"
				p["cloudEvents_onboardattempt"] = "1\u0000"
			})}.bytes(t)
		}, []string{"ApplicationProperties.cloudEvents_id", "U+200B", "ApplicationProperties.cloudEvents_onboardattempt", "U+0000"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proc := &fakeProcessor{}
			rec := &fakeRecorder{}
			now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			srv, logs := server(t, handlers.Options{Processor: proc, Failures: rec, Now: func() time.Time { return now }})
			start := time.Now()
			r := invoke(t, srv, "OnboardingEvents", tc.body(t))
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("rejection took %v; must fail fast", el)
			}
			checkShape(t, r)
			if r.status != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500 (logs %q)", r.status, r.logs)
			}
			if n := len(proc.deliveries()); n != 0 {
				t.Errorf("processor called %d times for an undecodable message", n)
			}
			joined := strings.Join(r.logs, "\n")
			for _, want := range tc.wantReason {
				if !strings.Contains(joined, want) {
					t.Errorf("reply logs %q do not mention %q", r.logs, want)
				}
			}
			var logged bool
			for _, l := range logs.lines(t) {
				if l[logkey.Outcome] == handlers.OutcomeRejected && strings.Contains(fmt.Sprint(l[logkey.Error]), tc.wantReason[0]) {
					logged = true
					if l[logkey.Function] != "OnboardingEvents" || l[logkey.InvocationID] != "5a0c0f0e-2b1e-4a53-9c7e-2f6b8f0d1c11" {
						t.Errorf("log line lacks function/invocation id: %v", l)
					}
				}
			}
			if !logged {
				t.Errorf("no rejection log line naming %q:\n%s", tc.wantReason[0], logs.String())
			}
			fs := rec.recorded()
			if tc.noRecord {
				if len(fs) != 0 {
					t.Errorf("recorded %+v without a MessageId", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("recorded %d failures, want 1", len(fs))
			}
			f := fs[0]
			if f.MessageID != goldenMessageID || !f.At.Equal(now) {
				t.Errorf("failure = %+v, want MessageID %s at %v", f, goldenMessageID, now)
			}
			for _, want := range tc.wantReason {
				if !strings.Contains(f.Reason, want) {
					t.Errorf("recorded reason %q does not mention %q", f.Reason, want)
				}
			}
		})
	}
}

// TestEventsMapsProcessorOutcome: nil → 200 (complete), permanent → 500,
// retry-not-scheduled → 500, panic → 500 and the handler keeps serving.
func TestEventsMapsProcessorOutcome(t *testing.T) {
	cases := []struct {
		name        string
		fn          func(ctx context.Context, d workflow.Delivery) (workflow.Result, error)
		wantStatus  int
		wantOutcome string
		wantLog     string
	}{
		{"success", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			return workflow.Result{Key: "ada@fabrikam.com", Action: "invited", Detail: "guest created for ada@fabrikam.com"}, nil
		}, http.StatusOK, handlers.OutcomeCompleted, "invited a***@fabrikam.com"},
		{"retry scheduled counts as success", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			return workflow.Result{Key: "ada@fabrikam.com", Action: "retry-scheduled"}, nil
		}, http.StatusOK, handlers.OutcomeCompleted, "retry-scheduled"},
		{"permanent", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			return workflow.Result{Key: "ada@fabrikam.com"}, &workflow.PermanentError{Op: "invite", Reason: "Graph 400 for ada@fabrikam.com"}
		}, http.StatusInternalServerError, handlers.OutcomePermanent, "permanent failure"},
		{"validation", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			return workflow.Result{}, fmt.Errorf("partner-approved: %w", &workflow.ValidationError{Field: "email", Rule: "required"})
		}, http.StatusInternalServerError, handlers.OutcomePermanent, "email: required"},
		{"retry could not be scheduled", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			return workflow.Result{}, fmt.Errorf("schedule retry: %w", &workflow.TransientError{Op: "schedule", Err: errors.New("service bus unavailable")})
		}, http.StatusInternalServerError, handlers.OutcomeAbandoned, "service bus unavailable"},
		{"panic", func(context.Context, workflow.Delivery) (workflow.Result, error) {
			var m map[string]int
			m["boom"]++ // nil map write
			return workflow.Result{}, nil
		}, http.StatusInternalServerError, handlers.OutcomePanic, "panic"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proc := &fakeProcessor{fn: tc.fn}
			srv, logs := server(t, handlers.Options{Processor: proc})
			r := invoke(t, srv, "OnboardingEvents", readFile(t, "testdata/host-binary.json"))
			checkShape(t, r)
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d (logs %q)", r.status, tc.wantStatus, r.logs)
			}
			if joined := strings.Join(r.logs, "\n"); !strings.Contains(joined, tc.wantLog) {
				t.Errorf("reply logs %q lack %q", r.logs, tc.wantLog)
			}
			var found map[string]any
			for _, l := range logs.lines(t) {
				if l[logkey.Outcome] != nil {
					found = l
				}
			}
			if found == nil || found[logkey.Outcome] != tc.wantOutcome {
				t.Fatalf("outcome log = %v, want outcome %q", found, tc.wantOutcome)
			}
			for k, want := range map[string]any{
				logkey.Function: "OnboardingEvents", logkey.InvocationID: "5a0c0f0e-2b1e-4a53-9c7e-2f6b8f0d1c11",
				logkey.MessageID: goldenMessageID, logkey.DeliveryCount: float64(1),
				logkey.EventType: "com.contoso.procurement.partner-approved", logkey.EventID: goldenMessageID,
			} {
				if found[k] != want {
					t.Errorf("log field %s = %v, want %v", k, found[k], want)
				}
			}
			all := logs.String() + strings.Join(r.logs, "\n")
			if strings.Contains(all, "ada@fabrikam.com") {
				t.Errorf("an unmasked email reached the logs:\n%s", all)
			}
			// The handler survives (a panic must not take the process down).
			r2 := invoke(t, srv, "OnboardingEvents", readFile(t, "testdata/host-string.json"))
			if r2.status != tc.wantStatus {
				t.Errorf("second invocation status = %d, want %d", r2.status, tc.wantStatus)
			}
		})
	}
}

// TestEventsRecorderProblemsStillFail: a failing or panicking recorder must
// not change the answer (500) nor crash the handler.
func TestEventsRecorderProblemsStillFail(t *testing.T) {
	bad := envelope{body: []byte(`{"specversion":"1.0","type":"t","source":"/s"}`)}
	for _, tc := range []struct {
		name string
		rec  handlers.FailureRecorder
	}{
		{"recorder error", &fakeRecorder{err: errors.New("table storage down")}},
		{"recorder panic", panicRecorder{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, logs := server(t, handlers.Options{Processor: &fakeProcessor{}, Failures: tc.rec})
			r := invoke(t, srv, "OnboardingEvents", bad.bytes(t))
			checkShape(t, r)
			if r.status != http.StatusInternalServerError {
				t.Fatalf("status = %d", r.status)
			}
			if !strings.Contains(logs.String(), "cannot record failure") {
				t.Errorf("recorder problem not logged:\n%s", logs.String())
			}
		})
	}
}

type panicRecorder struct{}

func (panicRecorder) RecordFailure(context.Context, workflow.Failure) error { panic("recorder bug") }

// TestEventsConcurrentInvocations: the host sends up to maxConcurrentCalls
// POSTs at once; each gets its own delivery and answer.
func TestEventsConcurrentInvocations(t *testing.T) {
	const n = 64
	var inFlight, maxInFlight int
	var mu sync.Mutex
	proc := &fakeProcessor{fn: func(ctx context.Context, d workflow.Delivery) (workflow.Result, error) {
		mu.Lock()
		inFlight++
		if inFlight > maxInFlight {
			maxInFlight = inFlight
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		if strings.HasSuffix(d.MessageID, "-odd") {
			return workflow.Result{}, &workflow.PermanentError{Op: "test", Reason: "odd"}
		}
		return workflow.Result{Key: d.Event.ID, Action: "invited"}, nil
	}}
	srv, _ := server(t, handlers.Options{Processor: proc})
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("m-%d", i)
			if i%2 == 1 {
				id += "-odd"
			}
			body := fmt.Sprintf(`{"specversion":"1.0","type":"partner-approved","source":"/p","id":"e-%d","data":{"n":%d}}`, i, i)
			env := envelope{body: []byte(body), mode: []string{"binary", "string"}[i%2],
				meta: map[string]json.RawMessage{"MessageId": hostString(id), "DeliveryCount": json.RawMessage(fmt.Sprintf(`"%d"`, i%5+1))}}
			statuses[i] = invoke(t, srv, "OnboardingEvents", env.bytes(t)).status
		}(i)
	}
	wg.Wait()
	for i, s := range statuses {
		want := http.StatusOK
		if i%2 == 1 {
			want = http.StatusInternalServerError
		}
		if s != want {
			t.Errorf("invocation %d: status %d, want %d", i, s, want)
		}
	}
	ds := proc.deliveries()
	if len(ds) != n {
		t.Fatalf("%d deliveries, want %d", len(ds), n)
	}
	for _, d := range ds {
		var i int
		if _, err := fmt.Sscanf(d.Event.ID, "e-%d", &i); err != nil {
			t.Fatalf("bad event id %q", d.Event.ID)
		}
		if !strings.HasPrefix(d.MessageID, fmt.Sprintf("m-%d", i)) || d.DeliveryCount != i%5+1 || string(d.Event.Data) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Errorf("delivery mixed up: %+v", d)
		}
	}
	if maxInFlight < 2 {
		t.Errorf("invocations were serialized (max in flight %d)", maxInFlight)
	}
}
